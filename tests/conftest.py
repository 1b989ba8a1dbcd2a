"""Suite-wide settings: torch made deterministic before any test runs, the JSON snapshots, and
nothing of torch in pytest-xdist's controller, which runs no test.
"""

import gc
import importlib.machinery
import os
import sys
from pathlib import Path

# Before anything can import torch: numpy (which torch imports) starts an OpenBLAS thread pool
# unless told not to. Nothing here uses numpy's BLAS, and a process of one thread may fork its DDP
# ranks instead of spawning them (reference.distributed.start_method).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest

# pytester and our `run_pytest` fixture: nested pytest runs on synthetic projects, in-process (the
# JSON snapshots are the installed `reference_testing` plugin's, configured in pyproject.toml).
pytest_plugins = ["pytester", "machinery.nested_pytest"]

REQUIRE_CUDA = os.environ.get("REFERENCE_REQUIRE_CUDA") == "1"
PERTURBATION_VARIABLE = "REFERENCE_PERTURB"  # perturbations.VARIABLE, read here without torch


def runs_tests(config) -> bool:
    """False in pytest-xdist's controller: it hands the tests to its workers and runs none, so it
    need not import torch: the workers start sooner."""
    return not config.pluginmanager.has_plugin("dsession")


@pytest.hookimpl(trylast=True)  # after xdist's, which registers the controller's "dsession"
def pytest_configure(config):
    if REQUIRE_CUDA:
        require_cuda()
    if os.environ.get(PERTURBATION_VARIABLE):  # a wrong name stops the run here, not in each worker
        from reference_testing.perturbations import named_in_environment

        try:
            named_in_environment()
        except ValueError as error:
            raise pytest.UsageError(str(error)) from None
    if runs_tests(config):
        from reference.seeding import configure_determinism
        from reference_testing.perturbations import activate_from_environment

        configure_determinism()  # before any test can initialise CUDA
        activate_from_environment()  # REFERENCE_PERTURB: calibration and mutation runs


# The order in which pytest-xdist hands the test files to its workers (--dist loadfile, with
# --no-loadscope-reorder in pyproject.toml): the costliest first, so that the cheap ones fill in at
# the end instead of one worker finishing the last costly file while the other waits. Measured under
# -n 2 (docs/maintainers.md, "How fast"): the DDP ranks' forkserver (an xdist worker has a thread of its own, so
# its ranks cannot be forked) and the compile rows, then the nested pytest runs and the traces.
COSTLIEST_FIRST = (
    "test_distributed.py",
    "test_survival.py",
    "test_snapshot_safety.py",
    "test_snapshots.py",
    "test_snapshot_orphans.py",
    "test_cli.py",
)


# mutmut's first run (tools/mutate.py), which learns which functions each test reaches, wraps each
# function in a trampoline that sets a ContextVar: strict torch.export refuses to trace it, so there
# the strict-export rows say "raises" whatever the code. In that run only, the tests that export
# strictly or read the whole table may fail (what they reached before is still recorded); against
# each mutant they run as always (the trampoline then reads a name, which export traces).
MUTMUT_STATS_RUN = os.environ.get("MUTANT_UNDER_TEST") == "stats"


def exports_strictly(item) -> bool:
    return ("strict" in item.name and "export" in item.name) or "printed_table" in item.fixturenames


def pytest_collection_modifyitems(config, items):
    """The files of COSTLIEST_FIRST in that order, then the others in theirs (the sort is stable).
    Every test id is ASCII: pytest escapes any other character in a node id ("σ" as "\\u03c3"),
    and a tool that passes ids back to pytest (mutmut runs a mutant's tests by id) finds none."""
    rank = {name: i for i, name in enumerate(COSTLIEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    if MUTMUT_STATS_RUN:
        reason = "mutmut's stats run: strict export cannot trace its trampolines"
        for item in filter(exports_strictly, items):
            item.add_marker(pytest.mark.xfail(strict=False, reason=reason))
    escaped = [item.nodeid for item in items if not item.nodeid.isascii() or "\\" in item.nodeid]
    if escaped:
        raise pytest.UsageError(f"test ids must be ASCII (give ids=...): {', '.join(escaped[:5])}")


def pytest_collection_finish(session):
    """What torch, its compiler stack, the registry and the collected tests have built by now lives as
    long as the process: out of the collector's sight, each full collection need not walk it again."""
    gc.freeze()


@pytest.hookimpl(trylast=True)  # after pytest's own last collection, which reports unraisables
def pytest_unconfigure(config):
    """What the tests left alive is frozen too, so that the interpreter's shutdown walks nothing
    (measured with torch 2.13: 1.4 s from the last line to the exit with nothing frozen, 0.25 s with
    everything frozen; a caller of pytest.main that goes on keeps them until it ends). Except where
    an extension built with nanobind is loaded (triton, with torch 2.15's CUDA build): nanobind
    counts its objects at shutdown and reports each one still alive as leaked, so everything is
    unfrozen to be freed."""
    if nanobind_extension_loaded():
        gc.unfreeze()
    else:
        gc.freeze()


def nanobind_extension_loaded(modules=None) -> bool:
    """Whether a loaded extension module (of `modules`, sys.modules by default) holds something
    made by nanobind: a function (its type is `nb_func`), a class (its metaclass is `nb_type...`) or
    an instance of one."""
    extension = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return any(
        (getattr(module, "__file__", None) or "").endswith(extension)
        and any(made_by_nanobind(value) for value in vars(module).values())
        for module in list((sys.modules if modules is None else modules).values())
    )


def made_by_nanobind(value) -> bool:
    kind = type(value)
    return (
        kind.__name__ == "nb_func"
        or kind.__name__.startswith("nb_type")
        or type(kind).__name__.startswith("nb_type")
    )


def require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise pytest.UsageError(
            "REFERENCE_REQUIRE_CUDA=1 (a CUDA tox env) but torch sees no CUDA device "
            f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); "
            "run a -cpu env instead, or fix the driver or CUDA_VISIBLE_DEVICES"
        )


def pytest_report_header(config):
    if not os.environ.get(PERTURBATION_VARIABLE):
        return None
    from reference_testing.perturbations import named_in_environment

    perturbation = named_in_environment()
    return f"perturbation: {perturbation.name} ({perturbation.kind}): {perturbation.what}"


# Where Python warns of each text file opened in the locale's encoding (`-X warn_default_encoding`,
# PYTHONWARNDEFAULTENCODING=1: the portability env), such a warning from the project's own code fails
# the run and names the place: on Windows that file would be read or written as cp1252. Warnings
# from other packages (torch opens a file so at import) are theirs to fix.
PROJECT_CODE = tuple(
    Path(__file__).resolve().parents[1] / part
    for part in ("reference", "reference_testing", "tests", "tools")
)
locale_encoded: set[str] = set()


def pytest_warning_recorded(warning_message, when, nodeid, location):
    filename = Path(warning_message.filename).resolve()
    if issubclass(warning_message.category, EncodingWarning) and any(
        filename.is_relative_to(folder) for folder in PROJECT_CODE
    ):
        locale_encoded.add(
            f"{filename.relative_to(PROJECT_CODE[0].parent)}:{warning_message.lineno}"
        )


def pytest_terminal_summary(terminalreporter):
    if locale_encoded:
        terminalreporter.section("text files opened in the locale's encoding (name UTF-8)")
        for place in sorted(locale_encoded):
            terminalreporter.line(place)


def pytest_sessionfinish(session, exitstatus):
    is_xdist_worker = hasattr(session.config, "workerinput")
    if locale_encoded and not is_xdist_worker and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
