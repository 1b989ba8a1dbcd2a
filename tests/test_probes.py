"""The core modules under the verdicts, each behaviour seen to decide: the probes (`reference/probes.py`:
defaults, devices, variants, empty and integer tensors, tensors left outside a model's registrations,
ties made in forward, where a GPU claim was proven), `reference/example.py` (an input moved to the
device, an explicit seed) and `reference/seeding.py` (the CUDA settings and seeding, with CUDA's
presence stood in for on the CPU by monkeypatching `torch.cuda`).
"""

import math
import os

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import reference
from reference import probes
from reference.example import Example, to_device
from reference.probes import (
    calls_receiving,
    claim_results,
    gradient_facts,
    inputs_of,
    leading_values,
    left_behind,
    tensor_stats,
    ties_in_forward,
    values,
)
from reference.seeding import (
    SEED,
    available_devices,
    configure_determinism,
    generator,
    seeded,
)

META = torch.device("meta")

# --- the probes' default device is the CPU ---------------------------------------------------------


def test_claim_results_default_to_the_cpu():
    example = reference.get("linear_net_mm")
    assert claim_results(example) == claim_results(example, "cpu")


def test_gradient_facts_default_to_the_cpu():
    example = reference.get("linear_net_mm")
    assert gradient_facts(example) == gradient_facts(example, "cpu")


def test_values_default_to_the_cpu():
    example = reference.get("linear_net_mm")
    assert values(example) == values(example, "cpu")


# --- devices and variants reach what the probes run ------------------------------------------------


def test_gradient_facts_give_the_model_and_its_input_the_device_asked_for(monkeypatch):
    """Meta stands in for CUDA: the proof itself cannot run there, so it only records what it got."""
    got = []

    def record(model, x, forward, untie):
        got.append((next(model.parameters()).device, x.device))
        return []

    monkeypatch.setattr(probes, "shared_gradients", record)
    assert gradient_facts(reference.get("linear_net_mm"), META) == []
    assert got == [(META, META)]


def test_values_run_the_variant_asked_for():
    example = reference.get("init_functions")
    _, _, output = example.run("cpu", "init_constant")
    constant = values(example, "cpu", "init_constant")
    assert constant["output"]["leading"] == leading_values(output)
    assert constant["output"] != values(example, "cpu")["output"]


# --- small helpers ---------------------------------------------------------------------------------


def test_leading_values_are_six_by_default():
    assert leading_values(torch.arange(10)) == [0, 1, 2, 3, 4, 5]


def test_inputs_of_keeps_the_tensors_of_a_tuple():
    a, b = torch.zeros(1), torch.ones(2)
    assert inputs_of(a) == [a]
    found = inputs_of((a, 3, b))
    assert len(found) == 2 and found[0] is a and found[1] is b


# --- tensor statistics: in float64, and an empty tensor has no scale --------------------------------


def test_tensor_stats_are_taken_in_float64():
    """The mean of 1, 2, 4 is 7/3 in float64; float32 would round it to 2.3333332538604736."""
    for tensor in (torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1, 2, 4])):
        assert tensor_stats(tensor)["mean"] == 7 / 3


def test_an_empty_tensor_has_scale_zero():
    stats = tensor_stats(torch.empty(0))
    assert (stats["max_abs"], stats["std"], stats["leading"]) == (0.0, 0.0, [])
    assert math.isnan(stats["mean"])


# --- tensors a model holds outside its registrations ------------------------------------------------


class Holder(nn.Module):
    """Tensors in plain containers: a block in a list and a tensor in a dict of a submodule, a tensor
    in a list at the top, and a tuple of plain numbers beside them."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Module()
        self.inner.blocks = [nn.Linear(1, 1)]
        self.inner.table = {"scale": torch.ones(1)}
        self.inner.sizes = (2, 3)
        self.loose = [torch.zeros(1)]


def test_left_behind_names_each_tensor_by_its_path():
    model = Holder()
    assert left_behind(model, "cpu") == {}
    assert left_behind(model, META) == {
        "inner.blocks[0].weight": "cpu",
        "inner.blocks[0].bias": "cpu",
        "inner.table['scale']": "cpu",
        "loose[0]": "cpu",
    }


# --- ties made in forward ---------------------------------------------------------------------------


def untie_weight_used_twice(model: nn.Linear):
    """An untie whose forward reads `weight` twice and `bias` once (one clone is no tie)."""
    return model, {"weight": ["weight_a", "weight_b"], "bias": ["bias"]}


def test_a_parameter_read_once_in_forward_is_no_tie():
    example = Example(
        name="read_once",
        document="tests/test_probes.py",
        shows="a Linear read once in forward",
        build=lambda: nn.Linear(1, 1),
        make_input=lambda g: torch.rand(1, 1, generator=g),
        untie=untie_weight_used_twice,
    )
    assert ties_in_forward(example, example.model()) == {"weight": 2}


# --- example.py: inputs --------------------------------------------------------------------------


def test_to_device_moves_every_tensor_of_a_tuple():
    moved = to_device((torch.zeros(1), (torch.ones(1), "label")), META)
    assert moved[0].device == META and moved[1][0].device == META and moved[1][1] == "label"


def test_an_explicit_seed_draws_another_input():
    example = reference.get("shared_weight_net")
    other = SEED + 7
    assert other != example.seed
    assert torch.equal(example.input(seed=other), example.make_input(generator(other)))
    assert not torch.equal(example.input(seed=other), example.input())


# --- seeding.py: CUDA stood in for on the CPU -------------------------------------------------------


def cuda_present(monkeypatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_available_devices_name_cuda_and_each_device(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert available_devices() == ["cpu"]
    cuda_present(monkeypatch, 2)
    assert available_devices() == ["cpu", "cuda", "cuda:0", "cuda:1"]


def test_seeded_draws_the_same_cpu_numbers_where_cuda_can_start(monkeypatch):
    """With CUDA, `torch.manual_seed` seeds the CPU (and queues CUDA's seeding, as every seeded()
    does there); the CPU numbers are those of the seed."""
    cuda_present(monkeypatch, 1)
    with seeded(3):
        drawn = torch.rand(4)
    assert torch.equal(drawn, torch.rand(4, generator=generator(3)))


@pytest.fixture
def determinism_restored():
    """What configure_determinism sets, put back as it was (conftest.py set it before any test)."""
    saved = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cuda.matmul.allow_tf32,
        torch.backends.cudnn.allow_tf32,
        torch.backends.cudnn.benchmark,
    )
    yield
    threads, deterministic, warn_only, matmul_tf32, cudnn_tf32, benchmark = saved
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
    torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
    torch.backends.cudnn.allow_tf32 = cudnn_tf32
    torch.backends.cudnn.benchmark = benchmark


@pytest.mark.usefixtures("determinism_restored")
def test_configure_determinism_sets_the_cublas_workspace_unless_set(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    configure_determinism()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    configure_determinism()
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"


class TwoUsesAmongOtherCalls(nn.Module):
    """Reads `weight` in two torch calls (once by keyword), and a copy of equal values in a third."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3, 3))
        self.copy = self.weight.detach().clone()

    def forward(self, x):
        h = torch.relu(F.linear(x, self.weight))
        h = torch.matmul(h, self.copy)  # equal values, another tensor: not a use
        return F.linear(input=h, weight=self.weight).sum()


def test_calls_receiving_counts_the_calls_that_take_the_tensor_itself():
    """By identity, positional or keyword; other calls (relu, matmul of an equal copy, sum) are not
    counted, nor the uses of another tensor."""
    model = TwoUsesAmongOtherCalls()
    x = torch.ones(2, 3)
    assert calls_receiving(model.weight, model, x) == 2
    assert calls_receiving(model.copy, model, x) == 1
    assert calls_receiving(torch.ones(3, 3), model, x) == 0
