"""JSON snapshots for syrupy: one readable file per snapshot under the top-level `snapshots/` folder,
compared as numbers with a tolerance, written atomically, never deleted by an update.

What an update changed, value by value, is reported by `tools/snapshot_changes.py`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SNAPSHOTS = ROOT / "snapshots"

# A test parameter of this name is not part of the snapshot's name: every device shares one snapshot.
DEVICE_PARAMETER = "device"

# Set to 1 only for a deliberate clean-up in a full, unfiltered run; see the README.
PRUNE_VARIABLE = "REFERENCE_SNAPSHOT_PRUNE"


class CorruptSnapshot(Exception):
    pass


def dumps(data: Any) -> str:
    """Readable JSON; dicts keep their order (state_dict keys are ordered: never sort them)."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@dataclass(frozen=True)
class Tolerance:
    """How far a locked number may move and still be the same result.

    A number is judged against the scale of the group it belongs to, as a whole tensor is judged
    rather than element by element: a tensor's summary statistics against its largest magnitude
    (`max_abs`), a list of numbers (a trace, a weight row) against its largest entry, a lone number
    against itself. It matches when it is within `atol + rtol · scale` of the snapshot.
    `noise` is the largest deviation (in units of scale) measured across the machines and releases
    a user brings (`tools/calibrate.py`); a failure says how many times that it is. `signal` is the
    smallest deviation a change the suite must catch produced: the tolerance sits between the two.
    """

    rtol: float
    atol: float = 0.0
    noise: float = 0.0
    signal: float = 0.0

    def allows(self, deviation: float, scale: float) -> bool:
        return deviation <= self.atol + self.rtol * scale

    def explain(self, deviation: float, scale: float) -> str:
        if scale == 0:
            return f"differs by {deviation:.3g}; tolerance {self.atol:g} (the scale is 0)"
        relative = deviation / scale
        budget = (
            f"; {relative / self.noise:.3g}× the measured noise {self.noise:.2g}"
            if self.noise
            else "; no noise was measured here"
        )
        return (
            f"differs by {deviation:.3g} = {relative:.3g} of scale {scale:.3g} "
            f"(tolerance {self.rtol:g} of scale{budget})"
        )


EXACT = Tolerance(rtol=0.0)
# torch.testing.assert_close's float32 defaults: what a snapshot that declares no tolerance gets.
FLOAT32 = Tolerance(rtol=1.3e-6, atol=1e-5)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numbers_in(value: Any) -> list[float]:
    """Every number in a list nested to any depth, or [] if anything else is inside."""
    if is_number(value):
        return [value]
    if isinstance(value, list):
        found = [numbers_in(item) for item in value]
        if all(f or item == [] for f, item in zip(found, value, strict=True)):
            return [n for f in found for n in f]
    return []


def group_scale(expected: Any) -> float | None:
    """The scale a group of numbers is judged against, or None where `expected` is no group."""
    if isinstance(expected, dict) and is_number(expected.get("max_abs")):
        return abs(expected["max_abs"])  # a tensor's statistics (probes.tensor_stats)
    if isinstance(expected, list) and (found := numbers_in(expected)):
        return max(abs(n) for n in found)
    return None


def differences(
    actual: Any, expected: Any, tolerance: Tolerance, path: str = "$", scale: float | None = None
) -> list[str]:
    """Where `actual` differs from `expected`, numbers judged by `tolerance` against their scale."""
    if scale is None:
        scale = group_scale(expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(actual) is type(expected) and actual == expected
        return [] if same else [f"{path}: {expected!r} -> {actual!r}"]
    if is_number(expected) and is_number(actual):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if actual == expected else [f"{path}: {expected} -> {actual}"]
        own_scale = abs(expected) if scale is None else scale
        deviation = abs(actual - expected)
        if tolerance.allows(deviation, own_scale):
            return []
        return [f"{path}: {expected!r} -> {actual!r} ({tolerance.explain(deviation, own_scale)})"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return [f"{path}: keys {list(expected)} -> {list(actual)}"]
        return [
            d
            for key in expected
            for d in differences(actual[key], expected[key], tolerance, f"{path}.{key}", scale)
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [
                f"{path}: {len(expected)} items -> {len(actual)} items: {_short(expected)} -> {_short(actual)}"
            ]
        return [
            d
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for d in differences(a, e, tolerance, f"{path}[{i}]", scale)
        ]
    return [] if actual == expected else [f"{path}: {_short(expected)} -> {_short(actual)}"]


def largest_deviation(actual: Any, expected: Any, scale: float | None = None) -> float:
    """The largest deviation of a number from the snapshot, in units of its group's scale
    (`inf` where anything but a number changed): what `tools/calibrate.py` measures."""
    if scale is None:
        scale = group_scale(expected)
    if is_number(expected) and is_number(actual) and not isinstance(expected, bool):
        if isinstance(expected, int) and isinstance(actual, int):
            return 0.0 if actual == expected else math.inf
        own_scale = abs(expected) if scale is None else scale
        deviation = abs(actual - expected)
        if deviation == 0:
            return 0.0
        return deviation / own_scale if own_scale else math.inf
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return math.inf
        return max(
            (largest_deviation(actual[k], expected[k], scale) for k in expected), default=0.0
        )
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return math.inf
        pairs = zip(actual, expected, strict=True)
        return max((largest_deviation(a, e, scale) for a, e in pairs), default=0.0)
    return 0.0 if actual == expected and type(actual) is type(expected) else math.inf


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load(text: str, location: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptSnapshot(
            f"snapshot file {location} is not valid JSON ({error}); restore it from git "
            f"(git checkout -- {os.path.relpath(location, ROOT)}) or delete it to regenerate it"
        ) from None


@functools.cache
def snapshot_folder(test_file: str) -> str:
    """snapshots/<test file without .py>. Cached: syrupy asks again for every file it discovers
    (11,000 times a run), and resolving the path each time cost half a second."""
    return str(SNAPSHOTS / Path(test_file).resolve().relative_to(TESTS).with_suffix(""))


class JSONSnapshot(SingleFileSnapshotExtension):
    """Syrupy extension: `snapshots/<test file>/<test>[<params but device>].json`."""

    file_extension = "json"
    _write_mode = WriteMode.TEXT
    tolerance = FLOAT32  # the suite's tests declare theirs (tests/tolerances.py)

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return snapshot_folder(test_location.filepath)

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        callspec = getattr(test_location.item, "callspec", None)
        if callspec is None:
            return super().get_snapshot_name(test_location=test_location, index=index)
        device = callspec.params.get(DEVICE_PARAMETER)
        ids = [part for part in callspec.id.split("-") if device is None or part != str(device)]
        base = test_location.item.originalname
        name = f"{base}[{'-'.join(ids)}]" if ids else base
        return name if not index else f"{name}.{index}"

    @classmethod
    def matches_test_location(cls, *, test_location, snapshot_location: str) -> bool:
        return Path(snapshot_location).stem == cls.get_snapshot_name(test_location=test_location)

    def serialize(self, data, **_options) -> str:
        return dumps(data)

    def read_snapshot_data_from_location(
        self, *, snapshot_location: str, snapshot_name: str, session_id: str
    ):
        text = super().read_snapshot_data_from_location(
            snapshot_location=snapshot_location, snapshot_name=snapshot_name, session_id=session_id
        )
        if text is not None:
            load(text, snapshot_location)  # a corrupt file fails loudly, naming itself
        return text

    def matches(self, *, serialized_data, snapshot_data) -> bool:
        return not differences(
            json.loads(serialized_data), json.loads(snapshot_data), self.tolerance
        )

    def diff_lines(self, serialized_data, snapshot_data) -> Iterator[str]:
        if not snapshot_data:
            yield "no snapshot yet: run pytest --snapshot-update to create it"
            return
        found = differences(json.loads(serialized_data), json.loads(snapshot_data), self.tolerance)
        yield f"{len(found)} difference(s), snapshot -> now:"
        yield from (f"  {line}" for line in found)

    def delete_snapshots(self, *, snapshot_location: str, snapshot_names: set[str]) -> None:
        # syrupy deletes the snapshots of tests it did not see run: tests deselected with -k/-m, a
        # device's or a release's tests that were not collected, another xdist worker's. Only a
        # deliberate prune may delete.
        if os.environ.get(PRUNE_VARIABLE) == "1":
            super().delete_snapshots(
                snapshot_location=snapshot_location, snapshot_names=snapshot_names
            )
        else:
            warnings.warn(
                f"kept {snapshot_location}: not used by this run ({PRUNE_VARIABLE}=1 to prune)",
                stacklevel=1,
            )

    @classmethod
    def write_snapshot_collection(cls, *, snapshot_collection, name_order=None) -> None:
        # Write beside the target and rename over it: an interrupted update leaves old or new, never half.
        target = Path(snapshot_collection.location)
        data = next(iter(snapshot_collection)).data
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        os.chmod(temporary, _ordinary_file_mode())  # mkstemp makes it owner-only
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _ordinary_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def with_tolerance(tolerance: Tolerance) -> type[JSONSnapshot]:
    """The extension judging numbers by `tolerance`.

    The class is registered in this module under a plain name: the xdist controller finds each
    worker's extension by import path, and a class it cannot import leaves syrupy deleting files
    on its own.
    """
    name = "JSONSnapshot_" + "_".join(
        f"{field}_{value:g}" for field, value in vars(tolerance).items()
    ).replace(".", "p").replace("-", "m").replace("+", "")
    if name not in globals():
        attributes = {"tolerance": tolerance, "__module__": __name__, "__qualname__": name}
        globals()[name] = type(name, (JSONSnapshot,), attributes)
    return globals()[name]


def keep_unused_snapshots(config) -> None:
    """Call from `pytest_configure`: syrupy's cleanup of "unused" snapshots stays off (it can also
    unlink files without asking the extension), unless pruning on purpose."""
    if os.environ.get(PRUNE_VARIABLE) != "1":
        config.option.no_cleanup = True


# How this project removes a snapshot file on purpose (syrupy's own advice does not delete here).
PRUNE_COMMAND = f"{PRUNE_VARIABLE}=1 pytest -n 0 --snapshot-update"
SYRUPY_ADVICE = "Re-run pytest with --snapshot-update to delete unused snapshots"


@contextlib.contextmanager
def project_advice_on_unused_snapshots(config) -> Iterator[None]:
    """Around syrupy's terminal summary: where syrupy finds snapshot files no test claims (it does
    so only in a run that selected everything those files could belong to, and fails that run),
    name every file and say how this project removes one, instead of syrupy's advice."""
    session = getattr(config, "_syrupy", None)
    report = getattr(session, "report", None)
    if report is None or not report.num_unused or config.option.update_snapshots:
        yield
        return
    session.report = _ProjectAdvice(report)
    try:
        yield
    finally:
        session.report = report


class _ProjectAdvice:
    """syrupy's report, its advice on unused snapshots replaced by the project's."""

    def __init__(self, report):
        self._report = report

    def __getattr__(self, name):
        return getattr(self._report, name)

    @property
    def lines(self) -> Iterator[str]:
        yield from (line for line in self._report.lines if SYRUPY_ADVICE not in line)
        yield "Snapshot files that no test of this run claims (the run selected every test):"
        for collection in self._report.unused:
            location = os.path.relpath(collection.location)
            yield f"  {location}  ({', '.join(sorted(s.name for s in collection))})"
        yield (
            "If their tests were removed on purpose, delete them with a full, unfiltered run: "
            f"{PRUNE_COMMAND}  (then review git status); otherwise restore the tests."
        )


# --- the wiring: a pytest plugin (`pytest_plugins = ["snapshot_json"]` in a conftest) -------------


def pytest_configure(config):
    keep_unused_snapshots(config)


@pytest.hookimpl(wrapper=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    with project_advice_on_unused_snapshots(config):
        return (yield)


@pytest.fixture
def snapshot_json(snapshot):
    """syrupy's `snapshot`, writing and comparing with `JSONSnapshot`."""
    return snapshot.use_extension(JSONSnapshot)
