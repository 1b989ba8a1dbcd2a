"""The rest of the chapter: the facts the issue asks to see directly, beyond the claims' verdicts."""

import importlib.util

import pytest
import torch
from torch.nn import functional as F

import reference
from reference import custom_layer, documents, model_construction, read_write, registry
from reference.custom_layer import MY_LINEAR
from reference.model_construction import FIXED_HIDDEN_MLP
from reference.releases import torch_release
from reference.seeding import seeded
from reference_testing.devices import NEEDS_CUDA

CHAPTER_NAMES = [
    "mlp",
    "fixed_hidden_mlp",
    "fancy_mlp",
    "chimera",
    "init_functions",
    "lazy_mlp",
    "centered_layer",
    "my_linear",
    "mlp_clone",
]


def test_every_chapter_example_is_registered_in_catalogue_order():
    names = reference.names()
    assert [n for n in names if n in CHAPTER_NAMES] == CHAPTER_NAMES
    for name in CHAPTER_NAMES:
        example = reference.get(name)
        assert example.document == documents.BOOK, name
        assert example.claims, name


def test_each_section_is_the_module_of_its_chinese_name():
    """The house mirrors the book: the code of section 5.3 (`deferred-init`) is `deferred_init.py`,
    and each chapter example is registered by the module of the section its label cites."""
    for section in documents.SECTIONS:
        assert importlib.util.find_spec(f"reference.{section.file.replace('-', '_')}"), section
    cited = {}
    for topic in registry.TOPICS:
        for example in topic.EXAMPLES:
            section = documents.section_of(example.section)
            if section is not None:
                cited[example.name] = section.file.replace("-", "_")
                assert topic.__name__ == f"reference.{cited[example.name]}", example.name
    assert sorted(cited) == sorted(CHAPTER_NAMES)


# --- fixed_hidden_mlp ------------------------------------------------------------------------------


def test_rand_weight_is_absent_from_the_state_dict():
    net = FIXED_HIDDEN_MLP.model("cpu")
    state = net.state_dict()
    assert not any("rand_weight" in key for key in state)
    assert list(state) == [f"linear.{key}" for key in net.linear.state_dict()]
    assert all(p is not net.rand_weight for p in net.parameters())


@pytest.mark.parametrize("to", [torch.float64, pytest.param("cuda", marks=NEEDS_CUDA)])
def test_to_leaves_rand_weight_on_the_cpu_in_float32(to):
    net = FIXED_HIDDEN_MLP.model("cpu")
    net.to(to)
    moved = net.linear.weight
    assert (moved.dtype, moved.device.type) != (torch.float32, "cpu")
    assert net.rand_weight.dtype == torch.float32 and net.rand_weight.device.type == "cpu"


def test_the_books_line_fails_after_to_and_the_reference_forward_does_not():
    net, x = FIXED_HIDDEN_MLP.model("cpu"), FIXED_HIDDEN_MLP.input("cpu")
    net.to(torch.float64)
    x = x.double()
    hidden = net.linear(x)
    with pytest.raises(RuntimeError):
        hidden @ net.rand_weight  # the book's `X @ self.rand_weight`: float64 @ float32
    assert net(x).dtype == torch.float64


def test_shared_inner_layer_gradient_is_the_sum_of_its_two_uses():
    net, x = FIXED_HIDDEN_MLP.model("cpu"), FIXED_HIDDEN_MLP.input("cpu")
    twin, clones = FIXED_HIDDEN_MLP.untie(net)
    assert torch.equal(twin(x), net(x))  # the twin computes the same thing

    net(x).backward()
    twin(x).backward()
    for name in ("weight", "bias"):
        first = getattr(twin.linear_first, name).grad
        second = getattr(twin.linear_second, name).grad
        assert not torch.allclose(first, second)  # the two uses contribute different gradients
        torch.testing.assert_close(getattr(net.linear, name).grad, first + second)
    assert clones["linear.weight"] == ["linear_first.weight", "linear_second.weight"]


# --- fancy_mlp -------------------------------------------------------------------------------------


def test_fancy_mlp_control_flow_replays_the_forward():
    example = reference.get("fancy_mlp")
    net, x = example.model("cpu"), example.input("cpu")
    path = model_construction.fancy_mlp_control_flow(net, x)
    assert path["halvings"] >= 0 and isinstance(path["times_ten"], bool)
    assert path["output"] == pytest.approx(net(x).item(), rel=1e-6)


# --- my_linear -------------------------------------------------------------------------------------


def test_no_gradient_reaches_my_linear_because_of_data():
    linear, x = MY_LINEAR.model("cpu"), MY_LINEAR.input("cpu")
    y = linear(x)
    # `.data` hands forward the values without their autograd history: the output has none either.
    assert not y.requires_grad and y.grad_fn is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    assert linear.weight.grad is None and linear.bias.grad is None

    # Without `.data`, the same computation reaches both parameters.
    F.relu(x @ linear.weight + linear.bias).sum().backward()
    assert linear.weight.grad is not None and linear.bias.grad is not None


def test_my_linear_passes_gradient_to_earlier_layers_but_keeps_none():
    with seeded():
        net = torch.nn.Sequential(torch.nn.Linear(5, 5), custom_layer.MyLinear(5, 3))
    net(MY_LINEAR.input("cpu")).sum().backward()
    assert net[0].weight.grad is not None  # the input's history still flows through the matmul
    assert net[1].weight.grad is None and net[1].bias.grad is None


# --- mlp_clone: the torch release the weights_only expectation is read from -------------------------


@pytest.mark.parametrize(
    ("version", "release"),
    [
        ("2.5.1+cu121", (2, 5)),
        ("2.6.0a0+git1234", (2, 6)),
        ("2.13.0+cpu", (2, 13)),
        ("3.0.0", (3, 0)),
    ],
)
def test_torch_release(monkeypatch, version, release):
    monkeypatch.setattr(torch, "__version__", version)
    assert torch_release() == release


@pytest.mark.parametrize(
    ("release", "refuses"), [((2, 4), False), ((2, 5), False), ((2, 6), True), ((2, 13), True)]
)
def test_default_load_expectation_flips_at_2_6(monkeypatch, release, refuses):
    monkeypatch.setattr(read_write, "torch_release", lambda: release)
    assert read_write.default_load_refuses_modules() is refuses


# --- every chapter claim on a GPU as well ----------------------------------------------------------

CHAPTER_CLAIMS = [
    (name, claim)
    for name in CHAPTER_NAMES
    if name in reference.names()
    for claim in reference.get(name).claims
]


@pytest.mark.parametrize(
    ("name", "claim"),
    [pytest.param(n, c, marks=NEEDS_CUDA, id=f"{n}.{c.name}") for n, c in CHAPTER_CLAIMS],
)
def test_chapter_claims_on_cuda(name, claim):
    assert claim.proven("cuda"), f"{name}: {claim.text!r} disagrees with {claim.verdict!r} on CUDA"
