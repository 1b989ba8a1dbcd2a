"""A snapshot file belongs to a test that exists: no run, no advice and no prune deletes the file of
a collected test; a file no collected test claims fails a full run, named, with the project's way to
remove it, and that way removes it and nothing else, naming each file before it goes.

On a tiny synthetic project (no torch), run in this interpreter (`nested_pytest`), configured for the
installed `reference_testing` plugin as the real suite is. The case the project's advice once got
wrong: a test that fails before its snapshot assertion (a claim no longer proven, the everyday case
after a PyTorch release). syrupy called its snapshot "unused" and the advised
`--snapshot-update` deleted it; `test_syrupy_alone_deletes_the_failing_tests_file` runs that with
the plugin's guards undone and sees the file go, so the checks here can fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reference_testing.plugin import PRUNE_COMMAND, PRUNE_VARIABLE

from machinery.nested_pytest import (
    SYRUPY_DELETES_CONFTEST,
    built_once,
    snapshot_files,
    write_project,
)

# What syrupy advises where it finds unused snapshots: here it would delete live files.
SYRUPY_ADVICE = "Re-run pytest with --snapshot-update to delete unused snapshots"

PROJECT = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra
        json_snapshots = snapshots
        """,
    "tests/conftest.py": SYRUPY_DELETES_CONFTEST,
    "tests/test_values.py": """
        import os

        import pytest

        CUDA_ABSENT = pytest.mark.skipif(True, reason="CUDA is not available")
        CASES = [
            case
            for name in ("alpha", "beta")
            for case in (
                pytest.param(name, "cpu", id=f"{name}-cpu"),
                pytest.param(name, "cuda", marks=CUDA_ABSENT, id=f"{name}-cuda"),
            )
        ]


        @pytest.mark.parametrize(("name", "device"), CASES)
        def test_value(name, device, snapshot_json):
            # A claim no longer proven: the test fails before it reaches its snapshot.
            if name in os.environ.get("SAFETY_FAIL", "").split(","):
                raise AssertionError(f"{name}: the claim is no longer proven")
            if name in os.environ.get("SAFETY_SKIP", "").split(","):
                pytest.skip(f"{name}: not on this machine")
            assert {"name": name, "value": len(name) / 3} == snapshot_json


        # Without a device: no skipped twin claims its name (syrupy spares a file that a skipped
        # test's name matches).
        @pytest.mark.parametrize("name", ["beta"])
        def test_variant(name, snapshot_json):
            if name in os.environ.get("SAFETY_FAIL", "").split(","):
                raise AssertionError(f"{name}: the claim is no longer proven")
            assert {"variant": name} == snapshot_json


        def test_two_snapshots(snapshot_json):
            assert {"first": 1} == snapshot_json
            assert {"second": 2} == snapshot_json
        """,
    "tests/test_grouped.py": """
        import os

        import pytest

        # SAFETY_BROKEN=1: the class fails to collect (a parameter its test does not take).
        PARAMETER = "nope" if os.environ.get("SAFETY_BROKEN") == "1" else "name"


        class TestGrouped:
            @pytest.mark.parametrize(PARAMETER, ["delta"])
            def test_grouped(self, name, snapshot_json):
                assert {"grouped": name} == snapshot_json


        def test_alone(snapshot_json):
            assert {"alone": True} == snapshot_json
        """,
    "tests/test_other_release.py": """
        import os

        import pytest

        if os.environ.get("SAFETY_RELEASE") != "other":
            pytest.skip("written for another torch release", allow_module_level=True)


        def test_old_api(snapshot_json):
            assert {"old": True} == snapshot_json
        """,
}
KEPT = {
    "test_values/test_value[alpha].json",
    "test_values/test_value[beta].json",
    "test_values/test_variant[beta].json",
    "test_values/test_two_snapshots.json",
    "test_values/test_two_snapshots.1.json",
    "test_grouped/TestGrouped.test_grouped[delta].json",
    "test_grouped/test_alone.json",
    # A module skipped at collection (written for another release) still owns its files.
    "test_other_release/test_old_api.json",
}
# The snapshot of a parameter that is gone, and of a test file that is gone.
STRAYS = {"test_values/test_value[gone].json", "test_removed/test_x.json"}
JUDGED = (
    len(KEPT) - 1 + len(STRAYS)
)  # the skipped module's file is not judged: its tests are unseen
FAILING = "test_values/test_variant[beta].json"


def files(project: Path) -> set[str]:
    return set(snapshot_files(project))


@pytest.fixture
def template(template_folder, run_pytest) -> Path:
    """The project with the snapshots of its tests, another release's module included."""

    def build(folder: Path) -> None:
        write_project(folder, PROJECT)
        run = run_pytest(folder, "-n", "0", "--snapshot-update", SAFETY_RELEASE="other")
        assert run.returncode == 0 and files(folder) == KEPT, run
        run = run_pytest(folder, "-n", "0")
        assert run.returncode == 0, run
        assert f"{len(KEPT) - 1} snapshot files, each claimed by a collected test." in run.stdout

    return built_once(template_folder, build)


@pytest.fixture
def project(template, tmp_path) -> Path:
    """A copy of the template with the stray files."""
    project = Path(shutil.copytree(template, tmp_path / "project"))
    for stray in STRAYS:
        (project / "snapshots" / stray).parent.mkdir(exist_ok=True)
        (project / "snapshots" / stray).write_text('{"name": "gone"}\n', encoding="utf-8")
    return project


def named_orphans(stdout: str) -> set[str]:
    """The files the run's report names as claimed by no collected test."""
    return set(re.findall(r"^\s*snapshots/(\S+\.json)$", stdout, re.MULTILINE))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_stray_file_fails_a_full_run_named_with_the_command_that_removes_it(
    project, run_pytest, workers
):
    run = run_pytest(project, "-n", workers)
    assert run.returncode == 1, run
    assert named_orphans(run.stdout) == STRAYS, run
    assert f"2 of {JUDGED} snapshot files claimed by no collected test" in run.stdout, run
    assert PRUNE_COMMAND in run.stdout and SYRUPY_ADVICE not in run.stdout, run
    assert files(project) == KEPT | STRAYS


@pytest.mark.parametrize("selection", [["-k", "alpha"], ["tests/test_values.py::test_value"]])
def test_a_filtered_run_passes_and_keeps_it(project, run_pytest, selection):
    run = run_pytest(project, "-n", "0", *selection)
    assert run.returncode == 0, run
    assert files(project) == KEPT | STRAYS


def prune_arguments() -> list[str]:
    command = PRUNE_COMMAND.split()
    assert command[:2] == [f"{PRUNE_VARIABLE}=1", "pytest"]
    return command[2:]


PRUNES = [
    pytest.param([], id="the-command"),
    # What the project once advised, which rewrites snapshots too: it must keep them as well.
    pytest.param(["-n", "0", "--snapshot-update"], id="with-update"),
]


@pytest.mark.parametrize("arguments", PRUNES)
def test_the_printed_command_lists_then_removes_only_the_stray_files(
    project, run_pytest, arguments
):
    run = run_pytest(project, *prune_arguments(), *arguments, **{PRUNE_VARIABLE: "1"})
    assert run.returncode == 0, run
    listed = run.stdout.split("deleting 2 snapshot file(s) no collected test claims")[1]
    assert named_orphans(listed) == STRAYS, run
    assert files(project) == KEPT, run


@pytest.mark.parametrize("arguments", [*PRUNES, pytest.param(["-n", "2"], id="the-command-n2")])
def test_a_failing_or_skipped_tests_snapshot_survives_the_advised_prune(
    project, run_pytest, arguments
):
    """beta fails before its assertions (with a device and without) and alpha skips: their files
    are claimed all the same."""
    environment = {"SAFETY_FAIL": "beta", "SAFETY_SKIP": "alpha"}
    run = run_pytest(project, "-n", "0", **environment)
    assert run.returncode == 1 and "2 failed" in run.stdout, run
    assert named_orphans(run.stdout) == STRAYS, run  # the advice names the strays alone
    assert PRUNE_COMMAND in run.stdout, run

    prune = run_pytest(
        project, *prune_arguments(), *arguments, **{PRUNE_VARIABLE: "1"}, **environment
    )
    assert prune.returncode == 1 and "2 failed" in prune.stdout, prune
    assert files(project) == KEPT, prune


def test_a_test_file_not_collected_whole_keeps_its_files(project, run_pytest):
    """A class that fails to collect: its module is not judged, and the prune (which goes on past
    the collection error, as asked) keeps both of its files while it removes the strays."""
    run = run_pytest(
        project,
        *prune_arguments(),
        "--continue-on-collection-errors",
        SAFETY_BROKEN="1",
        **{PRUNE_VARIABLE: "1"},
    )
    assert run.returncode == 1 and "1 error" in run.stdout, run
    assert files(project) == KEPT, run


def test_syrupy_alone_deletes_the_failing_tests_file(project, run_pytest):
    """The control: with the plugin's guards undone, syrupy's cleanup (what the project once
    advised) deletes the snapshot of the test that failed, so the check above can fail."""
    run = run_pytest(
        project, "-n", "0", "--snapshot-update", SAFETY_FAIL="beta", SAFETY_SYRUPY_DELETES="1"
    )
    assert run.returncode == 1, run
    assert FAILING not in files(project), run
