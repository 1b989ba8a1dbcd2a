"""Every registered example builds and runs forward and backward, and its registry entry holds what
its model does (each claim's verdict is proven in test_snapshots.py, beside the summary it is read
from)."""

import dataclasses
import functools

import pytest
import torch
from torch import nn

import reference
from reference import documents, probes, registry
from reference.example import HOLDS, Claim, Example, counter
from reference.tying import shared_parameter_names
from reference_testing import locked

NAMES = reference.names()


@pytest.mark.parametrize("name", NAMES)
def test_forward_and_backward_on_cpu(name):
    example = reference.get(name)
    model, _, output = example.run("cpu")
    assert isinstance(output, torch.Tensor) and output.is_floating_point()
    if name in NO_GRADIENT:
        # Their point: autograd cannot reach their parameters (unregistered, or used through .data).
        assert not output.requires_grad or not any(p.requires_grad for p in model.parameters())
        return
    output.sum().backward()
    assert [n for n, p in model.named_parameters() if p.grad is None] == []


# Examples whose documented point is that no gradient reaches their parameters.
NO_GRADIENT = {"list_sequential", "my_linear"}


# The seed documents, and the book chapter the last catalogue section draws on.
SOURCES = {
    "000_a6308e5ad6e05d30.txt",
    "001_67e6fd569dcb38d2.txt",
    "002_7dbee0fb0b47d5a0.txt",
    "003_509c77070272da3f.txt",
    "004_437a7907a92ead85.txt",
    documents.BOOK,
}


def test_every_entry_is_registered_once_and_names_its_source():
    entries = [example for topic in registry.TOPICS for example in topic.EXAMPLES]
    assert len(entries) == len(NAMES)  # a repeated name would silently replace another entry
    assert {e.name: e.document for e in entries if e.document not in SOURCES} == {}


@pytest.mark.parametrize("name", NAMES)
def test_declared_sharing_is_what_the_model_shares(name):
    """`shares` is declared, not inferred: an example that loses (or gains) a tie fails here."""
    example = reference.get(name)
    assert shared_parameter_names(example.model(), example.untie) == list(example.shares)


def test_building_or_running_an_example_leaves_the_callers_rng_alone():
    """Models are built under `seeded()`, which forks the RNG: the caller's draws do not change."""
    torch.manual_seed(1234)
    before = torch.get_rng_state()
    for name in NAMES:
        reference.get(name).run("cpu")
    assert torch.equal(torch.get_rng_state(), before)


def an_example_whose_claim(check) -> Example:
    return Example(
        name="rng_guard_probe",
        document=documents.BOOK,
        shows="a probe of the global-RNG guard",
        build=lambda: nn.Linear(2, 1),
        make_input=lambda g: torch.randn(1, 2, generator=g),
        claims=(Claim("probe", "a probe", HOLDS, check, no_counter="a probe of the guard"),),
    )


def draws_from_the_global_rng(device) -> bool:
    return torch.rand(1).item() >= 0  # the global RNG, outside seeded(): what the guard must see


def draws_from_its_own_generator(device) -> bool:
    return torch.rand(1, generator=torch.Generator().manual_seed(0)).item() >= 0


@pytest.mark.parametrize(
    ("check", "drew"), [(draws_from_the_global_rng, True), (draws_from_its_own_generator, False)]
)
def test_the_global_rng_guard_sees_a_claim_check_that_draws(monkeypatch, check, drew):
    """The guard of test_structure, made to act: a claim check that draws from the global RNG on
    its default path stops the summary, one that draws from its own generator does not. A guard
    that never fires (or always does) fails here."""
    monkeypatch.setitem(registry.EXAMPLES, "rng_guard_probe", an_example_whose_claim(check))
    monkeypatch.setattr(locked, "MOVED_THE_GLOBAL_RNG", {})
    make = functools.partial(locked.computed_structure_and_where.__wrapped__, "rng_guard_probe")
    if drew:
        with pytest.raises(locked.DrewFromTheGlobalRNG, match="rng_guard_probe on cpu"):
            make("cpu")
    else:
        data, _ = make("cpu")
        assert [c["proven"] for c in data["claims"]] == [True]  # the check ran
    assert {("rng_guard_probe", "cpu"): drew} == locked.MOVED_THE_GLOBAL_RNG


@pytest.mark.parametrize(
    ("check", "drew"), [(draws_from_the_global_rng, True), (draws_from_its_own_generator, False)]
)
def test_the_guard_sees_a_draw_made_before_the_summary_by_a_check_run_once(
    monkeypatch, check, drew
):
    """A check runs once a process (probes.check_says): where the command line or the pages ran
    it before the snapshot's summary, the guard reads what that run did to the RNG."""
    example = an_example_whose_claim(check)
    monkeypatch.setitem(registry.EXAMPLES, "rng_guard_probe", example)
    monkeypatch.setattr(locked, "MOVED_THE_GLOBAL_RNG", {})
    (claim,) = example.claims
    assert probes.check_says(claim, "cpu") == probes.Said(True, drew)  # the first run, recorded
    make = functools.partial(locked.computed_structure_and_where.__wrapped__, "rng_guard_probe")
    if drew:
        with pytest.raises(locked.DrewFromTheGlobalRNG, match="rng_guard_probe on cpu"):
            make("cpu")
    else:
        make("cpu")
    assert {("rng_guard_probe", "cpu"): drew} == locked.MOVED_THE_GLOBAL_RNG


class DrawsInForward(nn.Module):
    """A model whose forward draws from the global RNG (unseeded noise): what the summary runs."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, x):
        return self.linear(x) + torch.rand(1)


def test_the_guard_sees_a_model_that_draws_though_its_checks_do_not(monkeypatch):
    """The guard's other half: running the example (not a check) draws; the check draws nothing."""
    example = dataclasses.replace(
        an_example_whose_claim(draws_from_its_own_generator), build=DrawsInForward
    )
    monkeypatch.setitem(registry.EXAMPLES, "rng_guard_probe", example)
    monkeypatch.setattr(locked, "MOVED_THE_GLOBAL_RNG", {})
    make = functools.partial(locked.computed_structure_and_where.__wrapped__, "rng_guard_probe")
    with pytest.raises(locked.DrewFromTheGlobalRNG, match="rng_guard_probe on cpu"):
        make("cpu")
    assert probes.check_says(example.claims[0], "cpu").moved_the_global_rng is False


def test_a_check_runs_once_per_claim_device_and_counter():
    """What the summary, the pages and the counter sweep read: the check's one run, not a rerun."""
    calls = []

    def check(device, flipped=False):
        calls.append((device.type, flipped))
        return not flipped

    example = an_example_whose_claim(check)
    (claim,) = example.claims
    flip = counter("flipped", flipped=True)
    said = [probes.check_says(claim, "cpu", k) for k in (None, flip, None, flip)]
    assert [s.value for s in said] == [True, False, True, False]
    assert calls == [("cpu", False), ("cpu", True)]
    # Another claim with the same check runs it again: the runs are told apart by the claim.
    probes.check_says(an_example_whose_claim(check).claims[0], torch.device("cpu"))
    assert calls[-1] == ("cpu", False) and len(calls) == 3


def test_a_tests_edits_to_the_summary_never_reach_the_next_test():
    """The summary is computed once a process and handed out as a copy, nested parts included: a
    test that edits what it was given (the snapshot test drops the GPU claims) leaves the next
    test's summary whole."""
    from reference_testing.locked import structure_and_where

    first, _ = structure_and_where("mlp", "cpu")
    nested = next(key for key, value in first.items() if isinstance(value, (dict, list)) and value)
    first[nested].clear()
    again, _ = structure_and_where("mlp", "cpu")
    assert again[nested], nested


def test_an_unknown_name_is_refused_naming_it_and_the_close_names():
    with pytest.raises(registry.UnknownExample) as refused:
        registry.get("mpl")
    assert (refused.value.name, refused.value.found) == ("mpl", registry.search("mpl"))
    assert str(refused.value) == (
        "unknown example 'mpl'. Did you mean: mlp (a close name)? "
        "(`python -m reference list` lists all)"
    )
