"""The registry, locked: one JSON snapshot per example and fact, shared by every device.

A real change in PyTorch, the reference or its seeds fails here and the failure lists each changed
value; `pytest --snapshot-update` then rewrites only the files whose values really changed.
"""

import pytest
import torch

import reference
from reference.probes import gradient_facts, initial_parameters, summary, tensor_stats
from reference.tying import alias_groups

from conftest import example_device_cases
from snapshot_json import with_tolerance

NAMES = reference.names()
VARIANTS = [(name, label) for name in NAMES for label, _ in reference.get(name).variants]
TRAINED = [name for name in NAMES if reference.get(name).train is not None]
# Shared by registration (alias groups) or reused inside forward (the example provides an untie).
SHARED = [n for n in NAMES if reference.get(n).untie or alias_groups(reference.get(n).model())]

# Traces are hundreds of dependent optimizer steps: float32 rounding that differs between kernels
# (CPU vs CUDA, one release's vectorisation vs another's) grows along them.
TRACE_TOLERANCE = with_tolerance(rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(("name", "device"), example_device_cases(NAMES))
def test_structure(name, device, snapshot_json):
    """Ordered state_dict keys, parameters, counts, alias groups, repr, output, claims."""
    data = summary(reference.get(name), device)
    assert [c for c in data["claims"] if not c["proven"]] == []
    assert data == snapshot_json


@pytest.mark.parametrize(("name", "variant"), VARIANTS, ids=[f"{n}-{v}" for n, v in VARIANTS])
def test_variant_structure(name, variant, snapshot_json):
    """Other builds a document shows for the same example (e.g. both concatenation axes)."""
    assert summary(reference.get(name), "cpu", variant=variant) == snapshot_json


@pytest.mark.parametrize(("name", "device"), example_device_cases(NAMES))
def test_forward(name, device, snapshot_json):
    """Output shape, dtype and values (statistics), the same on every device within tolerance."""
    _, _, output = reference.get(name).run(device)
    assert output.device.type == torch.device(device).type
    assert tensor_stats(output) == snapshot_json


@pytest.mark.parametrize("name", NAMES)
def test_initial_parameters(name, snapshot_json):
    """Statistics of every initial parameter: a change in PyTorch's default initialisation shows."""
    assert initial_parameters(reference.get(name)) == snapshot_json


@pytest.mark.parametrize(("name", "device"), example_device_cases(SHARED))
def test_shared_gradients(name, device, snapshot_json):
    """Every name of a shared parameter sees one .grad object, equal to the sum over its uses."""
    facts = gradient_facts(reference.get(name), device)
    assert facts, f"{name} shares no parameter"
    for fact in facts:
        assert fact["one_grad_object"], fact
        assert fact["equals_sum_of_uses"], fact
        assert fact["uses"] >= 2, fact
    assert facts == snapshot_json


@pytest.mark.parametrize(("name", "device"), example_device_cases(TRAINED))
def test_training_trace(name, device, snapshot):
    trace = reference.get(name).train(device)
    assert trace["shared_grad_identical_every_step"]
    assert trace == snapshot.use_extension(TRACE_TOLERANCE)
