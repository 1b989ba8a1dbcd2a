"""A snapshot file that no test claims fails a full run, named, with the project's way to remove it.

On a tiny synthetic project (no torch: each nested run costs about a second) that uses the real
`snapshot_json.py` and the real conftest hook: a stray file fails a full, unfiltered run (serial and
under xdist) and the failure names it and prints `REFERENCE_SNAPSHOT_PRUNE=1 pytest -n 0
--snapshot-update`, not syrupy's advice (which deletes nothing here); a filtered run passes and keeps
it; the printed command removes it and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from snapshot_json import PRUNE_COMMAND, PRUNE_VARIABLE, SYRUPY_ADVICE

PROJECT = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra
        """,
    "tests/conftest.py": """
        import pytest

        from snapshot_json import (
            JSONSnapshot,
            keep_unused_snapshots,
            project_advice_on_unused_snapshots,
        )


        def pytest_configure(config):
            keep_unused_snapshots(config)


        @pytest.hookimpl(wrapper=True)
        def pytest_terminal_summary(terminalreporter, exitstatus, config):
            with project_advice_on_unused_snapshots(config):
                return (yield)


        @pytest.fixture
        def snapshot_json(snapshot):
            return snapshot.use_extension(JSONSnapshot)
        """,
    "tests/test_values.py": """
        import pytest


        @pytest.mark.parametrize("name", ["alpha", "beta"])
        def test_value(name, snapshot_json):
            assert {"name": name, "value": len(name) / 3} == snapshot_json
        """,
}
STRAY = Path("snapshots/test_values/test_value[gone].json")
KEPT = {"test_values/test_value[alpha].json", "test_values/test_value[beta].json"}


def run_pytest(project: Path, *args: str, prune: bool = False) -> subprocess.CompletedProcess:
    # Nothing of the outer run's pytest or xdist (a worker's variables would make syrupy skip its
    # unused-snapshot step) and no pruning unless asked.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("PYTEST_") and name not in ("PYTHONPATH", PRUNE_VARIABLE)
    }
    env |= {"PYTHONDONTWRITEBYTECODE": "1"} | ({PRUNE_VARIABLE: "1"} if prune else {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def files(project: Path) -> set[str]:
    root = project / "snapshots"
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def project(tmp_path) -> Path:
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    shutil.copy(Path(__file__).with_name("snapshot_json.py"), tmp_path / "tests")
    run = run_pytest(tmp_path, "-n", "0", "--snapshot-update")
    assert run.returncode == 0 and files(tmp_path) == KEPT, run.stdout
    (tmp_path / STRAY).write_text('{"name": "gone"}\n')
    return tmp_path


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_stray_file_fails_a_full_run_named_with_the_command_that_removes_it(project, workers):
    run = run_pytest(project, "-n", workers)
    assert run.returncode != 0, run.stdout
    assert str(STRAY) in run.stdout and PRUNE_COMMAND in run.stdout, run.stdout
    assert SYRUPY_ADVICE not in run.stdout, run.stdout
    assert files(project) == KEPT | {STRAY.relative_to("snapshots").as_posix()}


@pytest.mark.parametrize("selection", [["-k", "alpha"], ["tests/test_values.py::test_value"]])
def test_a_filtered_run_passes_and_keeps_it(project, selection):
    run = run_pytest(project, "-n", "0", *selection)
    assert run.returncode == 0, run.stdout
    assert STRAY.name in {Path(f).name for f in files(project)}


def test_the_printed_command_removes_only_the_stray_file(project):
    command = PRUNE_COMMAND.split()
    assert command[0] == f"{PRUNE_VARIABLE}=1" and command[1] == "pytest"
    run = run_pytest(project, *command[2:], prune=True)
    assert run.returncode == 0, run.stdout
    assert files(project) == KEPT
