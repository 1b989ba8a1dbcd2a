"""Nested pytest runs on a small synthetic project, in this interpreter: the snapshot-safety and
orphan-snapshot tests run the installed `reference_testing` plugin this way, configured by the
project's own pytest.ini.

A plugin (tests/conftest.py's `pytest_plugins`) for its `run_pytest` fixture, and helpers. In-process runs
(pytester restores sys.modules and sys.path after each) save a process start per run, about half a
second; only `-n 2` starts processes, its two workers.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference_testing.claims import is_active, layout_of
from reference_testing.plugin import PRUNE_VARIABLE

# For a synthetic project's tests/conftest.py: with SAFETY_SYRUPY_DELETES=1, syrupy's own cleanup of
# "unused" snapshots is back on and the extension deletes as syrupy's own does, the plugin's two
# guards undone. The control run of each guarantee: it shows the check can fail. The extension's
# method is put back when the run ends (an in-process run shares the class with the outer run).
SYRUPY_DELETES_CONFTEST = """
import os

import pytest


@pytest.hookimpl(trylast=True)  # after the plugin's own configuration
def pytest_configure(config):
    if os.environ.get("SAFETY_SYRUPY_DELETES") != "1":
        return
    from syrupy.extensions.single_file import SingleFileSnapshotExtension

    from reference_testing.extension import JSONSnapshot

    config.option.disable_unused_snapshots = False
    config.option.no_cleanup = False
    guard = JSONSnapshot.__dict__["delete_snapshots"]
    JSONSnapshot.delete_snapshots = SingleFileSnapshotExtension.delete_snapshots
    config.add_cleanup(lambda: setattr(JSONSnapshot, "delete_snapshots", guard))
"""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        """What an assertion message shows: the exit status and the ends of both streams."""
        return f"--- exit {self.returncode}\n{self.stdout[-6000:]}\n{self.stderr[-3000:]}"


def write_project(folder: Path, files: dict[str, str]) -> Path:
    """The synthetic project's files (texts dedented)."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def template_folder(tmp_path_factory) -> Path:
    """Where a test module's synthetic project is built once (`built_once`)."""
    return tmp_path_factory.mktemp("template")


def built_once(folder: Path, build: Callable[[Path], None]) -> Path:
    """`folder`/project: made by `build(folder/"building")` for the first test that asks (the
    nested runs a build needs take the function-scoped pytester), found there by the others. A
    build that failed half-way is made again.
    """
    project = folder / "project"
    if project.exists():
        return project
    building = folder / "building"
    shutil.rmtree(building, ignore_errors=True)
    build(building)
    return building.rename(project)


def snapshot_files(project: Path) -> dict[str, bytes]:
    """Every file under snapshots/ (dotfiles too, so a stray temporary file shows), by content."""
    root = project / "snapshots"
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


class UsesTheProjectsSnapshots:
    """Plugin for a nested run: its snapshots must be the project's.

    The plugin module is the outer run's too; should the outer configuration (the repository's
    snapshots/) ever reach the nested run, it stops before any test runs.
    """

    def __init__(self, project: Path):
        self.snapshots = project.resolve() / "snapshots"

    def pytest_sessionstart(self, session):
        if not is_active(session.config):
            return  # a project that does not configure the plugin
        found = layout_of(session.config).snapshots
        if found != self.snapshots:
            raise pytest.UsageError(f"the nested run's snapshots are {found}")


# Variables of the outer run that must not reach a nested one: pytest's and xdist's (an inherited
# PYTEST_XDIST_WORKER makes syrupy in the nested run think it is a worker and skip its
# unused-snapshot step: every check would pass vacuously; PYTEST_ADDOPTS would add options), the
# synthetic projects' own switches, and pruning.
OUTER_ONLY = ("PYTEST_", "SAFETY_", PRUNE_VARIABLE)


@pytest.fixture
def run_pytest(pytester, monkeypatch):
    """`run_pytest(project, *arguments, **environment)`: pytest in `project`, in this interpreter,
    isolated from the outer run (`OUTER_ONLY`).
    """

    def run(project: Path, *args: str, **env: str) -> Run:
        with monkeypatch.context() as patch:
            for name in os.environ:
                if name.startswith(OUTER_ONLY):
                    patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            patch.chdir(project)
            # Named, not only found by entry point: where the project is not installed (another
            # release's venv, a device machine) the outer run named it with -p too.
            result = pytester.runpytest_inprocess(
                "-q", "-p", "reference_testing.plugin", *args,
                plugins=[UsesTheProjectsSnapshots(project)],
            )  # fmt: skip
        return Run(int(result.ret), result.stdout.str(), result.stderr.str())

    return run
