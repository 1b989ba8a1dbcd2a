"""What each snapshot locks: one function per kind of snapshot, from an example to JSON-able data.

`tests/test_snapshots.py` asserts these against `snapshots/test_snapshots/` (the names: `kinds`);
`tools/calibrate.py` recomputes them under the machines and releases a user brings, to measure the
noise the tolerances in `tolerances` must absorb. One function, two uses: what is calibrated is
what is locked.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from typing import Any

import torch

import reference
from reference.probes import (
    DEVICE_DEPENDENT,
    check_says,
    gradient_facts,
    initial_parameters,
    summary,
    tensor_stats,
)
from reference.probes import training_trace as trained

from .kinds import stem

NAMES = reference.names()
VARIANTS = [(name, label) for name in NAMES for label, _ in reference.get(name).variants]
TRAINED = [name for name in NAMES if reference.get(name).train is not None]
# Declared in the registry (tests/test_examples.py checks each declaration against the model), so an
# example that loses its tie fails instead of dropping out of test_shared_gradients.
SHARED = [name for name in NAMES if reference.get(name).shares]


def structure_and_where(name: str, device: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The summary, and apart from it what each claim about the GPU says on this device (decided on
    CUDA, "not decided here" elsewhere: `probes.DEVICE_DEPENDENT`), by claim: the snapshot is
    every device's. A copy of the one computed in this process: its claims are
    the costliest part, and test_claim_verdict_is_proven reads the same verdicts."""
    return copy.deepcopy(computed_structure_and_where(name, device))


# (name, device) -> whether building, running and checking the example drew from the caller's
# global RNG (every draw belongs inside `seeded()` or to a `generator()`): set as the summary is made.
MOVED_THE_GLOBAL_RNG: dict[tuple[str, str], bool] = {}


class DrewFromTheGlobalRNG(AssertionError):
    """Raised where the summary is made, not left to a test to assert: a test that forgets to look
    cannot let a draw through."""


def drawing_from_the_global_rng(make: Callable[[], Any]) -> tuple[Any, bool]:
    """What `make()` returns, and whether it drew from the global (CPU) RNG: its state moved.
    (Both states are the generator's bytes, one dtype and shape: `torch.equal` compares them whole.)
    tests/test_examples.py gives it a claim that draws, and one that does not."""
    before = torch.random.get_rng_state()
    made = make()
    return made, not torch.equal(before, torch.random.get_rng_state())


@functools.cache
def computed_structure_and_where(
    name: str, device: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    example = reference.get(name)
    data, drew = drawing_from_the_global_rng(lambda: summary(example, device))
    # The checks run once a process (probes.check_says), maybe before this summary: each records
    # whether it drew.
    drew = drew or any(check_says(c, device).moved_the_global_rng for c in example.claims)
    MOVED_THE_GLOBAL_RNG[name, device] = drew
    if drew:
        raise DrewFromTheGlobalRNG(
            f"{name} on {device}: building, running or checking it drew from the global RNG "
            "(every draw belongs inside seeded() or to a generator())"
        )
    where = {
        c["claim"]: {key: c.pop(key) for key in DEVICE_DEPENDENT if key in c}
        for c in data["claims"]
        if c.get("about") == "cuda"
    }
    return data, where


def structure(name: str, device: str) -> dict[str, Any]:
    """Ordered state_dict keys, parameters, counts, alias groups, repr, output, claims."""
    return structure_and_where(name, device)[0]


def variant_structure(name: str, variant: str) -> dict[str, Any]:
    example = reference.get(name)
    return {
        "summary": summary(example, "cpu", variant=variant),
        "initial_parameters": initial_parameters(example, variant),
    }


def forward_output(name: str, device: str) -> torch.Tensor:
    _, _, output = reference.get(name).run(device)
    assert output.device.type == torch.device(device).type
    return output


def forward(name: str, device: str) -> dict[str, Any]:
    return tensor_stats(forward_output(name, device))


def initial(name: str) -> dict[str, Any]:
    return initial_parameters(reference.get(name))


def shared_gradients(name: str, device: str) -> list[dict[str, Any]]:
    return gradient_facts(reference.get(name), device)


def training_trace(name: str, device: str) -> dict[str, Any]:
    return trained(reference.get(name), device)


Producer = Callable[[str], Any]


def cpu_snapshots() -> Iterator[tuple[str, str, str, Producer]]:
    """(file stem, kind, example name, producer(device)) for every snapshot the suite locks."""
    for name in NAMES:
        yield stem("structure", name), "structure", name, lambda d, n=name: structure(n, d)
        yield stem("forward", name), "forward", name, lambda d, n=name: forward(n, d)
        yield stem("initial", name), "initial", name, lambda _d, n=name: initial(n)
    for name, label in VARIANTS:
        yield (
            stem("variant", name, label),
            "variant",
            name,
            lambda _d, n=name, v=label: variant_structure(n, v),
        )
    for name in SHARED:
        yield stem("gradients", name), "gradients", name, lambda d, n=name: shared_gradients(n, d)
    for name in TRAINED:
        yield stem("trace", name), "trace", name, lambda d, n=name: training_trace(n, d)
