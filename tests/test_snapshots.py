"""The registry, locked: one JSON snapshot per example and fact, shared by every device.

A real change in PyTorch, the reference or its seeds fails here and the failure lists each changed
value; `pytest --snapshot-update` then rewrites only the files whose values really changed.
"""

import itertools

import pytest
import torch

import reference
from reference.probes import gradient_facts, initial_parameters, summary, tensor_stats

from conftest import example_device_cases
from snapshot_json import FLOAT32_RTOL, with_tolerance

NAMES = reference.names()
VARIANTS = [(name, label) for name in NAMES for label, _ in reference.get(name).variants]
TRAINED = [name for name in NAMES if reference.get(name).train is not None]
# Declared in the registry (tests/test_examples.py checks each declaration against the model), so an
# example that loses its tie fails instead of dropping out of test_shared_gradients.
SHARED = [name for name in NAMES if reference.get(name).shares]

# Traces are compared with their own tolerances:
# - train_shared_weight_net: 3 SGD steps (seed 1) that move weights by ~3e-4, gradients ~1e-2. The
#   float32 default atol (1e-5) would hide a 3% change of a move, so atol is 1e-8, rtol the default.
# - train_shared_regression: 1000 dependent Adam steps. Rounding that differs between kernels
#   (CPU vs CUDA, another CPU's vectorisation) grows along them, so rtol is 1e-4. Measured: torch
#   2.13 and 2.14 give bit-identical traces on the same CPU; CUDA is not measured yet.
# Initial values come from the CPU generator, bit-identical on every device. An absolute floor
# sized for unit-scale values (1e-5) would hide a 1e-3 change of a weight of 0.005, so the floor is
# 1e-8 and the comparison is relative: one float32 ulp passes, a relative 1e-3 fails.
INITIAL_VALUES = with_tolerance(rtol=FLOAT32_RTOL, atol=1e-8)

TRACE_TOLERANCES = {
    "train_shared_weight_net": with_tolerance(rtol=FLOAT32_RTOL, atol=1e-8),
    "train_shared_regression": with_tolerance(rtol=1e-4, atol=1e-7),
}


@pytest.mark.parametrize(("name", "device"), example_device_cases(NAMES))
def test_structure(name, device, snapshot_json):
    """Ordered state_dict keys, parameters, counts, alias groups, repr, output, claims."""
    data = summary(reference.get(name), device)
    assert [c for c in data["claims"] if not c["proven"]] == []
    # Where a GPU claim was proven depends on the device; the snapshot is every device's.
    where = {c["claim"]: c.pop("where") for c in data["claims"] if "where" in c}
    if device == "cpu":
        assert all(w.endswith("cuda not checked here") for w in where.values()), where
    assert data == snapshot_json


@pytest.mark.parametrize(("name", "variant"), VARIANTS, ids=[f"{n}-{v}" for n, v in VARIANTS])
def test_variant_structure(name, variant, snapshot):
    """Other builds a document shows for the same example (e.g. both concatenation axes)."""
    example = reference.get(name)
    locked = {
        "summary": summary(example, "cpu", variant=variant),
        "initial_parameters": initial_parameters(example, variant),
    }
    assert locked == snapshot.use_extension(INITIAL_VALUES)


@pytest.mark.parametrize(("name", "device"), example_device_cases(NAMES))
def test_forward(name, device, snapshot_json):
    """Output shape, dtype and values (statistics), the same on every device within tolerance."""
    _, _, output = reference.get(name).run(device)
    assert output.device.type == torch.device(device).type
    # A forward snapshot of a dead model locks nothing: every sample must get its own output.
    if output.dim() > 1 and output.shape[0] > 1:
        assert not all(torch.equal(output[0], sample) for sample in output[1:]), output
    assert tensor_stats(output) == snapshot_json


@pytest.mark.parametrize("name", NAMES)
def test_initial_parameters(name, snapshot):
    """Statistics of every initial parameter: a change in PyTorch's default initialisation shows."""
    assert initial_parameters(reference.get(name)) == snapshot.use_extension(INITIAL_VALUES)


@pytest.mark.parametrize(("name", "device"), example_device_cases(SHARED))
def test_shared_gradients(name, device, snapshot_json):
    """Every name of a shared parameter sees one .grad object, equal to the sum over its uses."""
    example = reference.get(name)
    facts = gradient_facts(example, device)
    assert [fact["names"][0] for fact in facts] == list(example.shares)
    for fact in facts:
        assert fact["one_grad_object"], fact
        assert fact["equals_sum_of_uses"], fact
        assert fact["uses"] >= 2, fact
        assert fact["contributing_uses"] >= 2, fact  # else the sum proves 0 = 0 + 0, or x = x + 0
    assert facts == snapshot_json


@pytest.mark.parametrize(("name", "device"), example_device_cases(TRAINED))
def test_training_trace(name, device, snapshot):
    trace = reference.get(name).train(device)
    assert trace["shared_grad_identical_every_step"]
    # What a trace watches must move, else it locks a model that does not learn.
    assert trace["step_loss"][-1] < trace["step_loss"][0], trace["step_loss"]
    for before, after in itertools.pairwise(trace.get("epochs", [])):
        assert after["shared_weight_rows"] != before["shared_weight_rows"], after
        assert any(value for row in before["shared_grad_rows"] for value in row), before
    assert trace == snapshot.use_extension(TRACE_TOLERANCES[name])
