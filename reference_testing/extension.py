"""The syrupy extension: one readable JSON file per snapshot, `<snapshots>/<test file>/<test>[<params
but device>].json`, compared with a tolerance (`compare`), written atomically, never deleted.

Where `<snapshots>` and the tests' folder are, and the name of a test's file, come from `claims`
(configured by `plugin`); where the configuration names no snapshot folder, the files go where
syrupy puts them, `__snapshots__/` beside the test file. Removing a file no test claims is the
plugin's, never syrupy's.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from .claims import layout_of, snapshot_folder, snapshot_name
from .compare import FLOAT32, Tolerance, differences, dumps, load


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
        name = snapshot_name(test_location.item)  # the name the plugin reads claims by
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
        # syrupy deletes the snapshots no assertion of its run reached: a test that failed before
        # its assertion, tests deselected with -k/-m, another device's or release's, another xdist
        # worker's. The plugin turns that off; should syrupy ask anyway, the file stays. Only the
        # plugin's prune removes a file, one that no collected test claims.
        warnings.warn(
            f"kept {snapshot_location}: syrupy asked to delete it (the plugin removes a snapshot "
            "file only where no collected test claims it)",
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
