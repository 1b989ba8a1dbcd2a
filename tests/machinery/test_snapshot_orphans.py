"""A snapshot file that no test claims fails a full run, named, with the project's way to remove it.

On a tiny synthetic project (no torch), run in this interpreter (`nested_pytest`), configured for the
installed `reference_testing` plugin as the real suite is: a stray file fails a full, unfiltered run (serial
and under xdist) and the failure names it and prints `REFERENCE_SNAPSHOT_PRUNE=1 pytest -n 0
--snapshot-update`, not syrupy's advice (which deletes nothing here); a filtered run passes and keeps
it; the printed command removes it and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reference_testing.plugin import PRUNE_COMMAND, PRUNE_VARIABLE, SYRUPY_ADVICE

from machinery.nested_pytest import built_once, snapshot_files, write_project

PROJECT = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra
        json_snapshots = snapshots
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


def files(project: Path) -> set[str]:
    return set(snapshot_files(project))


@pytest.fixture
def template(template_folder, run_pytest) -> Path:
    """The project with the snapshots of its two tests."""

    def build(folder: Path) -> None:
        run = run_pytest(write_project(folder, PROJECT), "-n", "0", "--snapshot-update")
        assert run.returncode == 0 and files(folder) == KEPT, run

    return built_once(template_folder, build)


@pytest.fixture
def project(template, tmp_path) -> Path:
    """A copy of the template with a stray file: the snapshot of a test that is gone."""
    project = Path(shutil.copytree(template, tmp_path / "project"))
    (project / STRAY).write_text('{"name": "gone"}\n', encoding="utf-8")
    return project


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_stray_file_fails_a_full_run_named_with_the_command_that_removes_it(
    project, run_pytest, workers
):
    run = run_pytest(project, "-n", workers)
    assert run.returncode != 0, run
    assert str(STRAY) in run.stdout and PRUNE_COMMAND in run.stdout, run
    assert SYRUPY_ADVICE not in run.stdout, run
    assert files(project) == KEPT | {STRAY.relative_to("snapshots").as_posix()}


@pytest.mark.parametrize("selection", [["-k", "alpha"], ["tests/test_values.py::test_value"]])
def test_a_filtered_run_passes_and_keeps_it(project, run_pytest, selection):
    run = run_pytest(project, "-n", "0", *selection)
    assert run.returncode == 0, run
    assert STRAY.name in {Path(f).name for f in files(project)}


def test_the_printed_command_removes_only_the_stray_file(project, run_pytest):
    command = PRUNE_COMMAND.split()
    assert command[0] == f"{PRUNE_VARIABLE}=1" and command[1] == "pytest"
    run = run_pytest(project, *command[2:], **{PRUNE_VARIABLE: "1"})
    assert run.returncode == 0, run
    assert files(project) == KEPT
