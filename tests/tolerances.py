"""How far each kind of locked number may move, measured, not guessed.

Every number is judged against the scale of its group (`snapshot_json.Tolerance`): a tensor's
statistics against its largest magnitude, a trace or a weight row against its largest entry. The
figures below are deviations in units of that scale, from `python tools/calibrate.py` (noise: the
largest deviation any benign variation produced; signal: the smallest deviation a change the suite
must catch produced) and, for CUDA, from ../shared/measurements (an H100, torch 2.11).

A tolerance sits between the two with a margin on both sides. `noise` is recorded so that a failure
can say how far beyond the noise budget it is: "numerics" (a few times the noise) reads apart from
"behaviour" (orders of magnitude beyond it).
"""

from __future__ import annotations

from snapshot_json import JSONSnapshot, Tolerance, with_tolerance

# Kinds of snapshot (the `kind` of tests/locked.py) -> tolerance.
KINDS: dict[str, Tolerance] = {
    "structure": Tolerance(rtol=1e-5, noise=4e-7),
    "variant": Tolerance(rtol=1e-5, noise=4e-7),
    "forward": Tolerance(rtol=1e-5, noise=4e-7),
    "initial": Tolerance(rtol=1e-5, noise=4e-7),
    "gradients": Tolerance(rtol=1e-5, noise=5e-7),
    "trace": Tolerance(rtol=1e-5, noise=5e-7),
}

# Per-example overrides, as PyTorch's ModuleInfo entries carry theirs: (kind, example) -> tolerance.
OVERRIDES: dict[tuple[str, str], Tolerance] = {}


def tolerance_for(kind: str, name: str) -> Tolerance:
    return OVERRIDES.get((kind, name), KINDS[kind])


def extension_for(kind: str, name: str) -> type[JSONSnapshot]:
    return with_tolerance(tolerance_for(kind, name))
