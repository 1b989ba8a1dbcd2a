"""Every registered example builds, runs forward and backward, and every claim's verdict is proven."""

import pytest
import torch

import reference
from reference.example import FALSE, HOLDS

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


CLAIMS = [(name, claim) for name in NAMES for claim in reference.get(name).claims]


@pytest.mark.parametrize(("name", "claim"), CLAIMS, ids=[f"{n}.{c.name}" for n, c in CLAIMS])
def test_claim_verdict_is_proven(name, claim):
    assert claim.verdict in (HOLDS, FALSE) or claim.verdict.startswith("holds only when ")
    assert claim.proven("cpu"), (
        f"{name}: the check for {claim.text!r} disagrees with {claim.verdict!r}"
    )


def test_names_are_unique_and_sources_name_a_seed_or_the_chapter():
    assert len(NAMES) == len(set(NAMES))
    for name in NAMES:
        assert reference.get(name).source.split(" ", 1)[0], name
