"""A snapshot update never loses data: proven on a small synthetic project.

Each test copies a pre-generated project into `tmp_path` (no torch in it) that uses our
`JSONSnapshot` extension the way the real suite does: tests
parametrised over names and a `device` (the CUDA case collected and skipped, as on a CPU-only
machine), a tolerance variant made by `with_tolerance`, a marker-selected test. Its baseline also
holds snapshots that a CPU-only run on this release does not produce: those of tests that exist
only where CUDA is present, and those of a test module written for another torch release. syrupy
on its own counts all of these "unused" and deletes them on `--snapshot-update`; these tests show
that every file survives every kind of update run, that only a change beyond tolerance rewrites a
file, that an interrupted write leaves the old file, and that a corrupt file is named and kept.
`test_syrupy_alone_would_delete` runs the same scenario with the plugin's guards undone and sees
the files go: the check used everywhere here does fail when deletion can happen. A deliberate prune
(`REFERENCE_SNAPSHOT_PRUNE=1`) removes only what no collected test claims: here the files of the
tests that are defined only where CUDA is present (the real suite collects every test on every
device and release, and skips it where it cannot run, so that it keeps its file), never those of a
module skipped whole.

Nested runs are in this interpreter (`run_pytest`, with pytester), which saves a process start per
run; only `-n 2` starts processes, its two workers.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import textwrap
from pathlib import Path

import pytest
from syrupy.data import Snapshot, SnapshotCollection

from reference_testing.compare import FLOAT32, Tolerance, differences
from reference_testing.extension import JSONSnapshot
from reference_testing.plugin import PRUNE_VARIABLE

from machinery.nested_pytest import (
    SYRUPY_DELETES_CONFTEST,
    built_once,
    snapshot_files,
    write_project,
)

# The synthetic project's trace tolerance (its test module declares the same): wider than float32's,
# so that a change can fall between the two.
TRACE = Tolerance(rtol=1e-4, atol=1e-6)

PROJECT = {
    "pytest.ini": """
        [pytest]
        testpaths = tests
        addopts = -p no:cacheprovider -ra --strict-markers
        xfail_strict = true
        markers =
            slow: the marker-selected test (pytest -m slow)
        json_snapshots = snapshots
        """,
    "tests/conftest.py": SYRUPY_DELETES_CONFTEST
    + textwrap.dedent("""
        import json
        from pathlib import Path

        VALUES = json.loads(Path(__file__).with_name("values.json").read_text(encoding="utf-8"))

        # This project plays a CPU-only machine (no torch here to ask): CUDA cases are collected
        # and skipped, as the real suite's `cuda` cases are there.
        CUDA_ABSENT = pytest.mark.skipif(True, reason="CUDA is not available")


        def device_cases(names):
            return [
                case
                for name in names
                for case in (
                    pytest.param(name, "cpu", id=f"{name}-cpu"),
                    pytest.param(name, "cuda", marks=CUDA_ABSENT, id=f"{name}-cuda"),
                )
            ]
        """),
    "tests/test_shapes.py": """
        import os

        import pytest

        from conftest import VALUES, device_cases
        from reference_testing.compare import Tolerance
        from reference_testing.extension import JSONSnapshot, with_tolerance

        NAMES = ["alpha", "beta", "gamma"]
        TRACE = with_tolerance(Tolerance(rtol=1e-4, atol=1e-6))
        FACTS = [(name, kind) for name in ("alpha", "beta") for kind in ("summary", "trace")]


        # First in the file, and the file under 24 items, so that under -n 2 each worker's first
        # batch (two items) asserts with JSONSnapshot and then with the tolerance variant, as a
        # worker that reaches test_training_trace does in the real suite.
        @pytest.mark.parametrize(("name", "kind"), FACTS)
        def test_facts(name, kind, snapshot):
            extension = TRACE if kind == "trace" else JSONSnapshot
            assert VALUES["test_facts"][f"{name}-{kind}"] == snapshot.use_extension(extension)


        @pytest.mark.parametrize(("name", "device"), device_cases(NAMES))
        def test_structure(name, device, snapshot_json):
            assert VALUES["test_structure"][name] == snapshot_json


        @pytest.mark.slow
        @pytest.mark.parametrize(("name", "device"), device_cases(NAMES))
        def test_forward(name, device, snapshot_json):
            assert VALUES["test_forward"][name] == snapshot_json


        @pytest.mark.parametrize("name", NAMES)
        def test_initial(name, snapshot_json):
            assert VALUES["test_initial"][name] == snapshot_json


        # Tests that exist only where CUDA is present: not collected at all on a CPU-only run.
        if os.environ.get("SAFETY_CUDA") == "1":

            @pytest.mark.parametrize("name", NAMES)
            def test_cuda_only(name, snapshot_json):
                assert VALUES["test_cuda_only"][name] == snapshot_json

            @pytest.mark.parametrize("name", NAMES)
            def test_cuda_trace(name, snapshot):
                assert VALUES["test_cuda_trace"][name] == snapshot.use_extension(TRACE)
        """,
    "tests/test_release_other.py": """
        import os

        import pytest

        from conftest import VALUES

        if os.environ.get("SAFETY_RELEASE") != "other":
            pytest.skip("written for another torch release", allow_module_level=True)


        @pytest.mark.parametrize("name", ["alpha", "beta"])
        def test_old_api(name, snapshot_json):
            assert VALUES["test_old_api"][name] == snapshot_json
        """,
}

# What the baseline run has on top of an ordinary run: CUDA-only tests and another release's module.
EXTRA_ENV = {"SAFETY_CUDA": "1", "SAFETY_RELEASE": "other"}
KEYS = {
    "test_facts": ["alpha-summary", "alpha-trace", "beta-summary", "beta-trace"],
    "test_structure": ["alpha", "beta", "gamma"],
    "test_forward": ["alpha", "beta", "gamma"],
    "test_initial": ["alpha", "beta", "gamma"],
    "test_cuda_only": ["alpha", "beta", "gamma"],
    "test_cuda_trace": ["alpha", "beta", "gamma"],
    "test_old_api": ["alpha", "beta"],
}
MODULE = {"test_old_api": "test_release_other"}


def path_of(test: str, key: str) -> str:
    """A snapshot's file under snapshots/ (the device is no part of its name)."""
    return f"{MODULE.get(test, 'test_shapes')}/{test}[{key}].json"


EXTRAS = {
    path_of(test, key)
    for test in ("test_cuda_only", "test_cuda_trace", "test_old_api")
    for key in KEYS[test]
}


def f32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def next_f32(value: float) -> float:
    """The next float32 after `value` (one ulp up; value positive)."""
    (bits,) = struct.unpack("<I", struct.pack("<f", value))
    return struct.unpack("<f", struct.pack("<I", bits + 1))[0]


def baseline_values() -> dict:
    """Statistics as the real probes write them: float32 values turned into Python floats."""
    return {
        test: {
            key: {
                "shape": [2, 3 + i],
                "dtype": "torch.float32",
                "mean": f32(0.123457 * (i + 1) + j / 7),
                "loss": f32(12.3457 + i + j),
                "count": 6 + i,
                "proven": [True, False],
            }
            for i, key in enumerate(keys)
        }
        for j, (test, keys) in enumerate(KEYS.items())
    }


def write_values(project: Path, values: dict) -> None:
    (project / "tests" / "values.json").write_text(json.dumps(values, indent=1), encoding="utf-8")


def lost_snapshots(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(set(before) - set(after))


@pytest.fixture
def template(template_folder, run_pytest) -> Path:
    """The synthetic project with every snapshot generated: a full run, CUDA and other release on."""

    def build(folder: Path) -> None:
        write_project(folder, PROJECT)
        write_values(folder, baseline_values())
        run = run_pytest(folder, "-n", "0", "--snapshot-update", **EXTRA_ENV)
        assert run.returncode == 0, run
        expected = {path_of(test, key) for test, keys in KEYS.items() for key in keys}
        assert set(snapshot_files(folder)) == expected, run

    return built_once(template_folder, build)


@pytest.fixture
def project(template, tmp_path) -> Path:
    return Path(shutil.copytree(template, tmp_path / "project"))


# --- (a)-(c): every update invocation keeps every file and rewrites exactly the real changes ------

ONE_ULP = ("test_forward", "alpha", "mean")  # float32 rounding: within any tolerance
WITHIN_TRACE = ("test_facts", "alpha-trace", "loss")  # beyond float32 tolerance, within the trace's
BEYOND = [("test_forward", "beta", "mean"), ("test_facts", "beta-trace", "loss"),
          ("test_structure", "gamma", "mean")]  # fmt: skip


def perturbed(values: dict) -> dict:
    """The data a changed PyTorch would produce: small changes that must not be written, real ones
    that must."""
    new = json.loads(json.dumps(values))
    test, key, field = ONE_ULP
    new[test][key][field] = next_f32(values[test][key][field])
    test, key, field = WITHIN_TRACE
    new[test][key][field] = f32(values[test][key][field] * (1 + 2e-5))
    for test, key, field in BEYOND:
        new[test][key][field] = f32(values[test][key][field] * (1 + 1e-3))
    return new


def test_perturbations_are_what_they_claim():
    """The premises of the update tests, checked with the extension's own comparison."""
    old, new = baseline_values(), perturbed(baseline_values())

    def differs(test, key, tolerance):
        return bool(differences(new[test][key], old[test][key], tolerance))

    test, key, field = ONE_ULP
    assert new[test][key][field] != old[test][key][field]
    assert not differs(test, key, FLOAT32)
    test, key, _ = WITHIN_TRACE
    assert differs(test, key, FLOAT32)
    assert not differs(test, key, TRACE)
    for test, key, _ in BEYOND:
        assert differs(test, key, TRACE if key.endswith("trace") else FLOAT32)


FULL = {path_of(test, key) for test, key, _ in BEYOND}
UPDATES = [
    # arguments; the files to be rewritten (their test runs, its value changed beyond tolerance)
    pytest.param(["-n", "0"], FULL, id="n0"),
    pytest.param(["-n", "2"], FULL, id="n2"),
    pytest.param(["-n", "0", "-k", "alpha or beta"], FULL - {path_of("test_structure", "gamma")},
                 id="k"),
    pytest.param(["-n", "0", "-m", "slow"], {path_of("test_forward", "beta")}, id="m"),
    pytest.param(["-n", "0", "--deselect", "tests/test_shapes.py::test_structure[gamma-cpu]"],
                 FULL - {path_of("test_structure", "gamma")}, id="deselect"),
]  # fmt: skip


@pytest.mark.parametrize(("arguments", "rewritten"), UPDATES)
def test_update_keeps_every_snapshot(project, run_pytest, arguments, rewritten):
    """(a) every file survives, (b) unchanged values leave the bytes alone, (c) only a change beyond
    tolerance rewrites a file, and only that file. syrupy alone deletes the extras in the first
    three runs (`test_syrupy_alone_would_delete`)."""
    values = perturbed(baseline_values())
    write_values(project, values)
    before = snapshot_files(project)
    run = run_pytest(project, "--snapshot-update", *arguments)
    after = snapshot_files(project)
    assert run.returncode == 0, run
    assert lost_snapshots(before, after) == [], run
    assert sorted(set(after) - set(before)) == [], "stray files (an unfinished write?)"
    changed = {name for name in before if after[name] != before[name]}
    assert changed == rewritten, run
    for test, keys in KEYS.items():
        for key in keys:
            if path_of(test, key) in rewritten:
                assert json.loads(after[path_of(test, key)]) == values[test][key]


# --- (d): an interrupted write leaves the old file and nothing else -------------------------------


def write(target: Path, text: str) -> None:
    collection = SnapshotCollection(location=str(target))
    collection.add(Snapshot(name=target.stem, data=text))
    JSONSnapshot.write_snapshot_collection(snapshot_collection=collection)


def test_write_replaces_the_whole_file(tmp_path):
    target = tmp_path / "test_x[a].json"
    target.write_text('{\n  "old": [1, 2, 3, 4, 5, 6, 7, 8]\n}\n', encoding="utf-8")
    write(target, '{"new": 1}\n')
    assert target.read_text(encoding="utf-8") == '{"new": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize(
    ("step", "error"),
    [("fsync", OSError(28, "No space left on device")),
     ("replace", OSError(18, "Invalid cross-device link")),
     ("fsync", KeyboardInterrupt())],
    ids=["fsync-OSError", "replace-OSError", "fsync-KeyboardInterrupt"],
)  # fmt: skip
def test_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch, step, error):
    target = tmp_path / "test_x[a].json"
    old = '{\n  "mean": 0.123456789\n}\n'
    target.write_text(old, encoding="utf-8")

    def interrupted(*_args):
        raise error

    with monkeypatch.context() as patch, pytest.raises(type(error)):
        patch.setattr(os, step, interrupted)
        write(target, '{\n  "mean": 0.5\n}\n')
    assert target.read_text(encoding="utf-8") == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]  # no temporary file left


def test_written_file_has_ordinary_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / "test_x[a].json"
    target.write_text("{}\n", encoding="utf-8")
    ordinary = target.stat().st_mode & 0o777
    write(target, '{"new": 1}\n')
    write(tmp_path / "test_x[b].json", '{"new": 1}\n')
    assert ordinary == 0o666 & ~umask
    assert target.stat().st_mode & 0o777 == ordinary
    assert (tmp_path / "test_x[b].json").stat().st_mode & 0o777 == ordinary


# --- (e): a corrupt file fails the run, named, and an update leaves it in place -------------------


def test_corrupt_snapshot_is_named_and_kept(project, run_pytest):
    corrupt = (project / "snapshots" / path_of("test_structure", "beta")).resolve()
    corrupt.write_text(
        '{\n  "mean": 0.12,\n  "cou', encoding="utf-8"
    )  # an edit or a merge that went wrong
    before = snapshot_files(project)

    plain = run_pytest(project, "-n", "0")
    assert plain.returncode != 0, plain
    assert f"snapshot file {corrupt} is not valid JSON" in plain.stdout, plain

    update = run_pytest(project, "-n", "0", "--snapshot-update")
    assert update.returncode != 0, update
    assert f"snapshot file {corrupt} is not valid JSON" in update.stdout, update
    assert snapshot_files(project) == before, update  # nothing lost, nothing rewritten


# --- (f): the controls: syrupy alone loses the extras; a prune removes only the uncollected -------


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [(["-n", "0"], EXTRAS),
     (["-n", "0", "-k", "alpha or beta"], {p for p in EXTRAS if "[gamma]" not in p})],
    ids=["n0", "k"],
)  # fmt: skip
def test_syrupy_alone_would_delete(project, run_pytest, arguments, expected):
    """With the plugin's guards undone (syrupy's cleanup on, the extension deleting as syrupy's
    does), an update loses the extras: what the other tests check does catch a deletion."""
    before = snapshot_files(project)
    run = run_pytest(project, "--snapshot-update", *arguments, SAFETY_SYRUPY_DELETES="1")
    assert run.returncode == 0, run
    assert lost_snapshots(before, snapshot_files(project)) == sorted(expected), run


UNCOLLECTED = {p for p in EXTRAS if "test_cuda_" in p}  # defined only where CUDA is present


@pytest.mark.parametrize("arguments", [["-n", "0"], ["-n", "0", "--snapshot-update"]])
def test_a_prune_removes_only_what_no_collected_test_claims(project, run_pytest, arguments):
    """The tests defined only where CUDA is present are not collected here, so nothing claims their
    files; the module skipped whole (another release's) is not judged, and keeps its files."""
    before = snapshot_files(project)
    run = run_pytest(project, *arguments, **{PRUNE_VARIABLE: "1"})
    assert run.returncode == 0, run
    assert lost_snapshots(before, snapshot_files(project)) == sorted(UNCOLLECTED), run
    assert UNCOLLECTED < EXTRAS


def test_the_extension_itself_refuses_to_delete(tmp_path, monkeypatch):
    """The second guard on its own. With syrupy's unused-snapshot detection off the runs above never
    ask the extension to delete, so they cannot see whether it would refuse; syrupy's own
    single-file extension does delete."""
    from syrupy.extensions.single_file import SingleFileSnapshotExtension

    target = tmp_path / "test_x[a].json"
    target.write_text("{}\n", encoding="utf-8")
    for pruning in ("0", "1"):  # not even a deliberate prune goes through syrupy
        monkeypatch.setenv(PRUNE_VARIABLE, pruning)
        with pytest.warns(UserWarning, match=r"syrupy asked to delete it"):
            JSONSnapshot().delete_snapshots(
                snapshot_location=str(target), snapshot_names={"test_x[a]"}
            )
        assert target.read_text(encoding="utf-8") == "{}\n"
    SingleFileSnapshotExtension().delete_snapshots(
        snapshot_location=str(target), snapshot_names={"test_x[a]"}
    )
    assert not target.exists()
