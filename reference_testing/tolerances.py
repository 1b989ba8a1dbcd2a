"""How far each kind of locked number may move, measured, not guessed.

Every number is judged against the scale of its group (`compare.Tolerance`): a tensor's
statistics against its largest magnitude, a trace or a weight row against its largest entry. The
figures below are deviations in units of that scale, from `python tools/calibrate.py` (noise: the
largest deviation any benign variation produced; signal: the smallest deviation a change the suite
must catch produced) and, for CUDA, from ../shared/measurements (an H100, torch 2.11).

A tolerance sits between the two with a margin on both sides. `noise` is recorded so that a failure
can say how far beyond the noise budget it is: "numerics" (a few times the noise) reads apart from
"behaviour" (orders of magnitude beyond it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .compare import Tolerance

if TYPE_CHECKING:
    from .extension import JSONSnapshot

# Kinds of snapshot (`kinds`) -> tolerance, in units of scale. Measured on
# torch 2.13 (x86-64, 2 cores) against torch 2.15, ISA default/avx2, one thread, one ulp on every
# F.linear output, and the H100 figures; the signal is the smallest catching change's largest move.
#   kind       noise (variation)        signal (change)              tol    tol/noise  signal/tol
#   forward    9.6e-7 (ulp_linear)      1.5e-4 (one weight ×1.001)   1e-5   10×        15×
#   initial    3.4e-7 (isa_default)     1.0e-3 (one weight ×1.001)   1e-5   29×        100×
#   gradients  3.7e-7 (CUDA, H100)      1.0e-3 (one weight ×1.001)   1e-5   27×        100×
#   trace      3.5e-7 (isa_default)     5.5e-4 (one weight ×1.001)   1e-5   29×        55×
#              (the 3-step SGD trace; SGD's lr +1% breaks its one-update-per-step check outright)
# `structure` and `variant` hold counts, names and booleans (exact) besides the initial values of a
# variant, judged as `initial`.
KINDS: dict[str, Tolerance] = {
    "structure": Tolerance(rtol=1e-5, noise=3.4e-7, signal=1.0e-3),
    "variant": Tolerance(rtol=1e-5, noise=3.4e-7, signal=1.0e-3),
    "forward": Tolerance(rtol=1e-5, noise=9.6e-7, signal=1.5e-4),
    "initial": Tolerance(rtol=1e-5, noise=3.4e-7, signal=1.0e-3),
    "gradients": Tolerance(rtol=1e-5, noise=3.7e-7, signal=1.0e-3),
    "trace": Tolerance(rtol=1e-5, noise=3.5e-7, signal=5.5e-4),
}

# How far a tolerance must stay from each side: at least MARGIN times the noise, and at most the
# signal over MARGIN (tests/machinery/test_tolerance.py holds every entry to it).
MARGIN = 5

# Per-example overrides, as PyTorch's ModuleInfo entries carry theirs: (kind, example) -> tolerance.
OVERRIDES: dict[tuple[str, str], Tolerance] = {
    # 1000 dependent Adam steps: rounding grows along the trace, to 1.2e-6 of the first loss (one
    # ulp on linear outputs; ISA default 9.5e-7, CUDA 9.9e-8). The smallest catching change moves it
    # 3.5e-4 (one weight ×1.001; Adam's lr +1%: 7e-3, Huber's delta +1%: 9.1e-3). 2e-5 leaves 17×
    # on each side. Judged against the trace's largest loss, not at the noise floor of the
    # converged loss (~3e-3, where rounding is 1e-3 of the value itself).
    ("trace", "train_shared_regression"): Tolerance(rtol=2e-5, noise=1.2e-6, signal=3.5e-4),
}


def tolerance_for(kind: str, name: str) -> Tolerance:
    return OVERRIDES.get((kind, name), KINDS[kind])


def extension_for(kind: str, name: str) -> type[JSONSnapshot]:
    from .extension import with_tolerance  # syrupy: only where a test asserts a snapshot

    return with_tolerance(tolerance_for(kind, name))
