"""Nested pytest runs on a small synthetic project, in this interpreter: the snapshot-safety and
orphan-snapshot tests run the real `snapshot_json.py` this way.

A plugin (conftest's `pytest_plugins`) for its `run_pytest` fixture, and helpers. In-process runs
(pytester restores sys.modules and sys.path after each) save a process start per run, about half a
second; only `-n 2` starts processes, its two workers.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from snapshot_json import PRUNE_VARIABLE

SNAPSHOT_JSON = Path(__file__).with_name("snapshot_json.py")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        """What an assertion message shows: the exit status and the ends of both streams."""
        return f"--- exit {self.returncode}\n{self.stdout[-6000:]}\n{self.stderr[-3000:]}"


def write_project(folder: Path, files: dict[str, str]) -> Path:
    """The synthetic project's files (texts dedented) and a copy of the real `snapshot_json.py`."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    shutil.copy(SNAPSHOT_JSON, folder / "tests" / "snapshot_json.py")
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


class UsesTheProjectsExtension:
    """Plugin for a nested run: the project's copy of snapshot_json must be the one in use.

    The outer run's module (same name, already imported) writes under the repository's snapshots/;
    should it ever stand in for the project's, the nested run stops before any test runs.
    """

    def __init__(self, project: Path):
        self.snapshots = project.resolve() / "snapshots"

    def pytest_sessionstart(self, session):
        module = sys.modules.get("snapshot_json")
        if module is None or self.snapshots != module.SNAPSHOTS:
            raise pytest.UsageError(f"the nested run's snapshot_json is {module}")


# Variables of the outer run that must not reach a nested one: pytest's and xdist's (an inherited
# PYTEST_XDIST_WORKER makes syrupy in the nested run think it is a worker and skip its
# unused-snapshot step: every check would pass vacuously; PYTEST_ADDOPTS would add options), the
# synthetic projects' own switches, and pruning.
OUTER_ONLY = ("PYTEST_", "SAFETY_", PRUNE_VARIABLE)


@pytest.fixture
def run_pytest(pytester, monkeypatch):
    """`run_pytest(project, *arguments, **environment)`: pytest in `project`, in this interpreter,
    isolated from the outer run (`OUTER_ONLY`), with the outer `snapshot_json` out of sys.modules so
    that the project's conftest imports the project's copy.
    """

    def run(project: Path, *args: str, **env: str) -> Run:
        with monkeypatch.context() as patch:
            for name in os.environ:
                if name.startswith(OUTER_ONLY):
                    patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            patch.delitem(sys.modules, "snapshot_json", raising=False)
            patch.chdir(project)
            result = pytester.runpytest_inprocess(
                "-q", *args, plugins=[UsesTheProjectsExtension(project)]
            )
        return Run(int(result.ret), result.stdout.str(), result.stderr.str())

    return run
