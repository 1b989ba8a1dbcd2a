"""The registry, locked: one JSON snapshot per example and fact, shared by every device.

A real change in PyTorch, the reference or its seeds fails here and the failure lists each changed
value, with how far it is beyond the measured noise; `pytest --snapshot-update` then rewrites only
the files whose values really changed. What each kind locks is in `locked.py`, how far each may move
in `tolerances.py`.
"""

import itertools

import pytest

import reference
from reference.example import Verdict
from reference.probes import tensor_stats
from reference_testing import locked
from reference_testing.devices import example_device_cases
from reference_testing.tolerances import extension_for


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.NAMES))
def test_structure(name, device, snapshot):
    """Ordered state_dict keys, parameters, counts, alias groups, repr, output, claims."""
    data, where = locked.structure_and_where(name, device)
    assert [c for c in data["claims"] if "proven" in c and not c["proven"]] == []
    assert not locked.MOVED_THE_GLOBAL_RNG[name, device], "a claim check drew from the global RNG"
    # A claim about the GPU: decided (and proven) on CUDA; elsewhere not decided, its check agreeing.
    for w in where.values():
        decided = (True, None) if device == "cuda" else (None, True)
        assert (w["proven"], w.get("check_on_this_device")) == decided, where
    assert data == snapshot.use_extension(extension_for("structure", name))


CLAIMS = [(name, claim) for name in locked.NAMES for claim in reference.get(name).claims]


@pytest.mark.parametrize(("name", "claim"), CLAIMS, ids=[f"{n}.{c.name}" for n, c in CLAIMS])
def test_claim_verdict_is_proven(name, claim):
    """Each claim on its own, with its text: read from the summary test_structure locks (its checks
    run once a process, and here, in the same file, on the same xdist worker)."""
    assert isinstance(claim.verdict, Verdict)
    data, where = locked.structure_and_where(name, "cpu")
    (result,) = [c for c in data["claims"] if c["claim"] == claim.name]
    # A claim about the GPU is not decided on the CPU; its check runs there all the same.
    said = where[claim.name]["check_on_this_device"] if claim.about_cuda else result["proven"]
    assert said is True, (
        f"{name}: the check for {claim.text!r} disagrees with {claim.verdict_text!r}"
    )


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
    output = locked.forward_output(name, device)
    # A forward snapshot of a dead model locks nothing: every sample must get its own output.
    if output.dim() > 1 and output.shape[0] > 1:
        assert not all(output[0].equal(sample) for sample in output[1:]), output
    assert tensor_stats(output) == snapshot.use_extension(extension_for("forward", name))


@pytest.mark.parametrize("name", locked.NAMES)
def test_initial_parameters(name, snapshot):
    """Statistics of every initial parameter: a change in PyTorch's default initialisation shows."""
    assert locked.initial(name) == snapshot.use_extension(extension_for("initial", name))


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.SHARED))
def test_shared_gradients(name, device, snapshot):
    """Every shared parameter's gradient equals the sum over its uses."""
    facts = locked.shared_gradients(name, device)
    assert [fact["names"][0] for fact in facts] == list(reference.get(name).shares)
    for fact in facts:
        assert fact["equals_sum_of_uses"], fact
        assert fact["uses"] >= 2, fact
        assert fact["contributing_uses"] >= 2, fact  # else the sum proves 0 = 0 + 0, or x = x + 0
    assert facts == snapshot.use_extension(extension_for("gradients", name))


@pytest.mark.parametrize(("name", "device"), example_device_cases(locked.TRAINED))
def test_training_trace(name, device, snapshot):
    trace = locked.training_trace(name, device)
    assert trace["shared_grad_identical_every_step"]
    # What a trace watches must move, else it locks a model that does not learn.
    assert trace["step_loss"][-1] < trace["step_loss"][0], trace["step_loss"]
    for before, after in itertools.pairwise(trace.get("epochs", [])):
        assert after["shared_weight_rows"] != before["shared_weight_rows"], after
        assert any(value for row in before["shared_grad_rows"] for value in row), before
    assert trace == snapshot.use_extension(extension_for("trace", name))
