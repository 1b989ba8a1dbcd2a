"""Suite-wide settings: determinism before CUDA starts, the device cases, the JSON snapshots."""

import os

# numpy (which torch imports) starts an OpenBLAS thread pool unless told not to. Nothing here uses
# numpy's BLAS, and a process of one thread may fork its DDP ranks instead of spawning them
# (reference.distributed.start_method): 4 s less.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest
import torch

from reference.seeding import configure_determinism

from perturbations import activate_from_environment
from snapshot_json import JSONSnapshot, keep_unused_snapshots, project_advice_on_unused_snapshots

# pytester and our `run_pytest` fixture: nested pytest runs on synthetic projects, in-process.
pytest_plugins = ["pytester", "nested_pytest"]

configure_determinism()  # at import, before any test can initialise CUDA
PERTURBATION = activate_from_environment()  # REFERENCE_PERTURB: calibration and mutation runs

REQUIRE_CUDA = os.environ.get("REFERENCE_REQUIRE_CUDA") == "1"
CUDA_PRESENT = torch.cuda.is_available()

# CUDA cases are always collected (a CPU-only snapshot update still sees them) and skipped where
# CUDA is absent.
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


def pytest_report_header(config):
    if PERTURBATION is not None:
        return f"perturbation: {PERTURBATION.name} ({PERTURBATION.kind}): {PERTURBATION.what}"
    return None


def pytest_configure(config):
    keep_unused_snapshots(config)
    if REQUIRE_CUDA and not CUDA_PRESENT:
        raise pytest.UsageError(
            "REFERENCE_REQUIRE_CUDA=1 (a CUDA tox env) but torch sees no CUDA device "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); "
            "run a -cpu env instead, or fix the driver or CUDA_VISIBLE_DEVICES"
        )


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    with project_advice_on_unused_snapshots(config):
        return (yield)


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshot)
