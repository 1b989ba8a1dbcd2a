"""The syrupy extension: one readable JSON file per snapshot, `<snapshots>/<test file>/<test>[<params
but device>].json`, compared with a tolerance (`compare`), written atomically, never deleted by an
update unless pruning on purpose.

Where `<snapshots>` and the tests' folder are comes from the pytest configuration (`plugin`); where
it names none, the files go where syrupy puts them, `__snapshots__/` beside the test file.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from .compare import FLOAT32, Tolerance, differences, dumps, load
from .plugin import PRUNE_VARIABLE, layout_of

# A test parameter of this name is not part of the snapshot's name: every device shares one snapshot.
DEVICE_PARAMETER = "device"


@functools.cache
def snapshot_folder(test_file: str, tests: Path, snapshots: Path) -> str:
    """<snapshots>/<test file relative to tests, without .py>. Cached: syrupy asks again for every
    file it discovers (11,000 times a run), and resolving the path each time cost half a second."""
    return str(snapshots / Path(test_file).resolve().relative_to(tests).with_suffix(""))


class JSONSnapshot(SingleFileSnapshotExtension):
    """Syrupy extension: `<snapshots>/<test file>/<test>[<params but device>].json`."""

    file_extension = "json"
    _write_mode = WriteMode.TEXT
    tolerance = FLOAT32  # the suite's tests declare theirs (`tolerances`)

    @classmethod
    def dirname(cls, *, test_location) -> str:
        layout = layout_of(test_location.item.config)
        if layout is None:
            return super().dirname(test_location=test_location)
        return snapshot_folder(test_location.filepath, layout.tests, layout.snapshots)

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
