"""Every registered example builds and runs forward and backward, and its registry entry holds what
its model does (each claim's verdict is proven in test_snapshots.py, beside the summary it is read
from)."""

import pytest
import torch

import reference
from reference import registry
from reference.tying import shared_parameter_names

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
    "d2l-ch6",
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
