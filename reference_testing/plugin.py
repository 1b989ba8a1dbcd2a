"""The pytest plugin (entry point `pytest11`): the `snapshot_json` fixture, syrupy kept from deleting
snapshots, the project's advice on snapshot files no test claims, and the `cuda` marker's skip.

Installed, it is loaded in every pytest run, so it stays idle unless the run's configuration names
a snapshot folder (`json_snapshots`, relative to the configuration file). It imports neither torch
nor syrupy until a run of such a project needs them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Set to 1 only for a deliberate clean-up in a full, unfiltered run; see the README.
PRUNE_VARIABLE = "REFERENCE_SNAPSHOT_PRUNE"
# How this project removes a snapshot file on purpose (syrupy's own advice does not delete here).
PRUNE_COMMAND = f"{PRUNE_VARIABLE}=1 pytest -n 0 --snapshot-update"
SYRUPY_ADVICE = "Re-run pytest with --snapshot-update to delete unused snapshots"

SNAPSHOTS_INI = "json_snapshots"
TESTS_INI = "json_snapshot_tests"


@dataclass(frozen=True)
class Layout:
    """Where a project's tests and their snapshots are: `<snapshots>/<test file>/<snapshot>.json`,
    the test file's path taken relative to `tests`."""

    tests: Path
    snapshots: Path


LAYOUT = pytest.StashKey[Layout]()


def pytest_addoption(parser):
    parser.addini(
        SNAPSHOTS_INI,
        "JSON snapshots (reference_testing): their folder, relative to the configuration file; "
        "unset, the plugin does nothing",
        default="",
    )
    parser.addini(
        TESTS_INI,
        "JSON snapshots (reference_testing): the folder test files are named relative to",
        default="tests",
    )


def layout_of(config) -> Layout | None:
    """The configured layout; None where the run's configuration names no snapshot folder."""
    return config.stash.get(LAYOUT, None)


def is_active(config) -> bool:
    return LAYOUT in config.stash


def keep_unused_snapshots(config) -> None:
    """syrupy's cleanup of "unused" snapshots stays off (it can also unlink files without asking
    the extension), unless pruning on purpose."""
    if os.environ.get(PRUNE_VARIABLE) != "1":
        config.option.no_cleanup = True


def pytest_configure(config):
    folder = config.getini(SNAPSHOTS_INI)
    if not folder:
        return
    base = config.inipath.parent if config.inipath else config.rootpath
    tests = (base / config.getini(TESTS_INI)).resolve()
    config.stash[LAYOUT] = Layout(tests=tests, snapshots=(base / folder).resolve())
    keep_unused_snapshots(config)
    if not getattr(config.option, "update_snapshots", False):
        # syrupy's own `--snapshot-details`: it names each unused snapshot file and its tests.
        config.option.include_snapshot_details = True


def pytest_collection_modifyitems(config, items):
    if is_active(config) and any(item.get_closest_marker("cuda") for item in items):
        from .devices import skip_cuda_cases_without_cuda

        skip_cuda_cases_without_cuda(items)


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not is_active(config) or getattr(config.option, "update_snapshots", False):
        return (yield)
    with project_advice_on_unused_snapshots(terminalreporter):
        return (yield)


@contextlib.contextmanager
def project_advice_on_unused_snapshots(terminalreporter) -> Iterator[None]:
    """Around syrupy's terminal summary: where syrupy finds snapshot files no test claims (it does
    so only in a run that selected everything those files could belong to, and fails that run), it
    lists them (`--snapshot-details`); its advice to re-run with --snapshot-update, which deletes
    nothing here, is replaced by how this project removes one. Through pytest's reporter, the line
    as syrupy writes it: syrupy's report object is not public."""
    shadowed = vars(terminalreporter).get("write_line")
    write_line = terminalreporter.write_line

    def advised(line, **markup):
        if SYRUPY_ADVICE not in str(line):
            write_line(line, **markup)
            return
        write_line(
            "The snapshot files above are claimed by no test of this run (it selected every test)."
        )
        write_line(
            "If their tests were removed on purpose, delete them with a full, unfiltered run: "
            f"{PRUNE_COMMAND}  (then review git status); otherwise restore the tests.",
            red=True,
        )

    terminalreporter.write_line = advised
    try:
        yield
    finally:
        if shadowed is None:
            del terminalreporter.write_line
        else:
            terminalreporter.write_line = shadowed


@pytest.fixture
def snapshot_json(snapshot):
    """syrupy's `snapshot`, writing and comparing with `JSONSnapshot`."""
    from .extension import JSONSnapshot

    return snapshot.use_extension(JSONSnapshot)
