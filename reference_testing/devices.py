"""The devices every example is checked on: the CPU everywhere, CUDA where present.

A CUDA case carries the `cuda` marker (`pytest -m cuda` selects them all); it is always collected
(a CPU-only snapshot update still sees it) and skipped where CUDA is absent (`plugin`).
"""

import pytest
import torch


def cuda_present() -> bool:
    """Asked when the cases are collected, not when this module is imported: the rule follows the
    machine it runs on (and a test can show it a machine with CUDA)."""
    return torch.cuda.is_available()


CUDA_PRESENT = cuda_present()

# The one marker of a case that needs CUDA: a decorator, or a param's `marks`.
NEEDS_CUDA = pytest.mark.cuda
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


def skip_cuda_cases_without_cuda(items) -> None:
    """Where CUDA is absent, every item marked `cuda` is skipped (a mark, so that the report names
    the test, not this line); where it is present, none is. tests/test_devices.py shows the rule
    both machines."""
    if cuda_present():
        return
    skip = pytest.mark.skipif(True, reason="CUDA is not available")
    for item in items:
        if item.get_closest_marker("cuda"):
            item.add_marker(skip)
