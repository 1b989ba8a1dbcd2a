"""The registry, locked: one JSON snapshot per example and fact, shared by every device.

A real change in PyTorch, the reference or its seeds fails here and the failure lists each changed
value, with how far it is beyond the measured noise; `pytest --snapshot-update` then rewrites only
the files whose values really changed. What each kind locks is in `locked.py`, how far each may move
in `tolerances.py`.
"""

import pytest

import locked
from conftest import example_device_cases
from tolerances import extension_for


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.NAMES))
def test_structure(name, device, snapshot):
    """Ordered state_dict keys, parameters, counts, alias groups, repr, output, claims."""
    data = locked.structure(name, device)
    assert [c for c in data["claims"] if not c["proven"]] == []
    assert data == snapshot.use_extension(extension_for("structure", name))


@pytest.mark.parametrize(
    ("name", "variant"), locked.VARIANTS, ids=[f"{n}-{v}" for n, v in locked.VARIANTS]
)
def test_variant_structure(name, variant, snapshot):
    """Other builds a document shows for the same example (e.g. both concatenation axes)."""
    data = locked.variant_structure(name, variant)
    assert data == snapshot.use_extension(extension_for("variant", name))


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.NAMES))
def test_forward(name, device, snapshot):
    """Output shape, dtype and values (statistics), the same on every device within tolerance."""
    assert locked.forward(name, device) == snapshot.use_extension(extension_for("forward", name))


@pytest.mark.parametrize("name", locked.NAMES)
def test_initial_parameters(name, snapshot):
    """Statistics of every initial parameter: a change in PyTorch's default initialisation shows."""
    assert locked.initial(name) == snapshot.use_extension(extension_for("initial", name))


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.SHARED))
def test_shared_gradients(name, device, snapshot):
    """Every name of a shared parameter sees one .grad object, equal to the sum over its uses."""
    facts = locked.shared_gradients(name, device)
    assert facts, f"{name} shares no parameter"
    for fact in facts:
        assert fact["one_grad_object"], fact
        assert fact["equals_sum_of_uses"], fact
        assert fact["uses"] >= 2, fact
    assert facts == snapshot.use_extension(extension_for("gradients", name))


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.TRAINED))
def test_training_trace(name, device, snapshot):
    trace = locked.training_trace(name, device)
    assert trace["shared_grad_identical_every_step"]
    assert trace == snapshot.use_extension(extension_for("trace", name))
