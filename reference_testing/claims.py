"""Which test claims each snapshot file: where a project's tests and snapshots are (`Layout`), the
file a test's snapshot is written to (`snapshot_name`), and the files that no collected test claims
(`Collection.orphans`).

A snapshot belongs to a test that exists, not to an assertion that ran: a test that failed before
its assertion, a skipped one, a CUDA case on a machine without CUDA, a deselected one, all still
claim their file, because the claim is read from what pytest collected. The device is no part of
a snapshot's name, so every device's case claims the same file.

The plugin (`plugin`) and the syrupy extension (`extension`) both read this module; neither
imports the other. It imports neither torch nor syrupy: the plugin loads it in every pytest run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SNAPSHOTS_INI = "json_snapshots"
TESTS_INI = "json_snapshot_tests"
# A test parameter of this name is not part of the snapshot's name: every device shares one snapshot.
DEVICE_PARAMETER = "device"
SUFFIX = ".json"


@dataclass(frozen=True)
class Layout:
    """Where a project's tests and their snapshots are: `<snapshots>/<test file>/<snapshot>.json`,
    the test file's path taken relative to `tests`."""

    tests: Path
    snapshots: Path

    def folder_of(self, test_file: str | Path) -> Path:
        return Path(snapshot_folder(str(test_file), self.tests, self.snapshots))

    def module_of(self, folder: Path) -> Path | None:
        """The test file whose snapshots `folder` holds (None for the snapshot folder itself)."""
        relative = folder.relative_to(self.snapshots)
        return self.tests / relative.with_suffix(".py") if relative.parts else None


LAYOUT = pytest.StashKey[Layout]()


def layout_of(config) -> Layout | None:
    """The configured layout; None where the run's configuration names no snapshot folder."""
    return config.stash.get(LAYOUT, None)


def is_active(config) -> bool:
    return LAYOUT in config.stash


@functools.cache
def snapshot_folder(test_file: str, tests: Path, snapshots: Path) -> str:
    """<snapshots>/<test file relative to tests, without .py>. Cached: syrupy asks again for every
    file it discovers (11,000 times a run), and resolving the path each time cost half a second."""
    return str(snapshots / Path(test_file).resolve().relative_to(tests).with_suffix(""))


def snapshot_name(item) -> str:
    """A test's snapshot file, without `.json`: `test_forward[mlp]` for `test_forward[mlp-cpu]`
    (the device's id left out), `TestClass.test_x` for a method, `test_x` without parameters."""
    classes = item.nodeid.partition("[")[0].split("::")[1:-1]  # a class, or classes nested
    base = ".".join([*classes, item.originalname])
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return base
    device = callspec.params.get(DEVICE_PARAMETER)
    ids = [part for part in callspec.id.split("-") if device is None or part != str(device)]
    return f"{base}[{'-'.join(ids)}]" if ids else base


def claims(names: set[str], stem: str) -> bool:
    """Whether the tests named `names` claim the file `stem`.json: a test's first snapshot is its
    name, a later one in the same test its name and `.1`, `.2`, ..."""
    base, dot, index = stem.rpartition(".")
    return stem in names or (bool(dot) and index.isdigit() and base in names)


@dataclass
class Collection:
    """What one run collected, as far as snapshot files go.

    `claimed`: each test file collected whole, with the snapshot names of its tests. A file that
    was not collected, or not whole (skipped at module level, as a module written for another
    torch release is; failed to import; left out with --ignore or --lf; narrowed to some of its
    tests with `file.py::test`), is not in it, and its snapshots are never judged: its tests may
    still claim them. `asked`: the paths the run's arguments named, where a test file that no
    longer exists would have been collected.
    """

    claimed: dict[Path, set[str]] = field(default_factory=dict)
    asked: list[Path] = field(default_factory=list)
    narrowed: set[Path] = field(default_factory=set)
    resolved: dict[Path, Path] = field(default_factory=dict)  # a module's path as pytest has it

    def add_module(self, path: Path) -> None:
        """A test file collected whole (unless the arguments narrowed it)."""
        self.resolved[path] = path.resolve()
        if self.resolved[path] not in self.narrowed:
            self.claimed.setdefault(self.resolved[path], set())

    def drop_module(self, path: Path) -> None:
        """A test file not collected whole after all (a class in it skipped or failed)."""
        self.narrowed.add(path.resolve())
        self.claimed.pop(path.resolve(), None)

    def add_item(self, item) -> None:
        names = self.claimed.get(self.resolved.get(item.path))
        if names is not None and isinstance(item, pytest.Function):
            names.add(snapshot_name(item))

    def would_collect(self, module: Path) -> bool:
        return any(module == path or module.is_relative_to(path) for path in self.asked)

    def orphans(self, layout: Layout) -> tuple[int, list[Path]]:
        """(how many snapshot files the run can judge, those of them no collected test claims).
        It can judge the files of a test file collected whole, and those of a test file that no
        longer exists where the run's arguments would have collected it."""
        judged, found = 0, []
        for path in sorted(layout.snapshots.rglob(f"*{SUFFIX}")):
            if path.name.startswith(".") or not path.is_file():
                continue  # a temporary file of an interrupted write is no snapshot
            module = layout.module_of(path.parent)
            if module in self.claimed:
                judged += 1
                if not claims(self.claimed[module], path.stem):
                    found.append(path)
            elif (module is None or not module.exists()) and self.would_collect(
                module or layout.tests
            ):
                judged += 1
                found.append(path)
        return judged, found


def collection_asked(config) -> tuple[list[Path], set[Path]]:
    """(paths the run's arguments name, test files named with `::`) as absolute paths."""
    base = config.invocation_params.dir
    asked, narrowed = [], set()
    for argument in config.args:
        path, separator, _ = str(argument).partition("::")
        resolved = (base / path).resolve()
        asked.append(resolved)
        if separator:
            narrowed.add(resolved)
    return asked, narrowed
