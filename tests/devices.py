"""The devices every example is checked on: the CPU everywhere, CUDA where present.

CUDA cases are always collected (a CPU-only snapshot update still sees them) and skipped where CUDA
is absent.
"""

import pytest
import torch

CUDA_PRESENT = torch.cuda.is_available()

NEEDS_CUDA = pytest.mark.skipif(not CUDA_PRESENT, reason="CUDA is not available")
DEVICES = ["cpu", pytest.param("cuda", marks=NEEDS_CUDA)]

# Examples whose documented point is that they cannot follow `.to(device)`: on CUDA they must fail.
CANNOT_MOVE = {
    "list_sequential": "its blocks live in a plain Python list, so .to(device) leaves them on the CPU",
}


def example_device_cases(names):
    """(name, device) parameters for every example on every device, CUDA cases marked."""
    cases = []
    for name in names:
        marks = [NEEDS_CUDA]
        if name in CANNOT_MOVE:
            marks.append(
                pytest.mark.xfail(raises=RuntimeError, strict=True, reason=CANNOT_MOVE[name])
            )
        cases += [
            pytest.param(name, "cpu", id=f"{name}-cpu"),
            pytest.param(name, "cuda", marks=marks, id=f"{name}-cuda"),
        ]
    return cases
