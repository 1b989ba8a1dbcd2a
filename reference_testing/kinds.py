"""The kinds of snapshot the suite locks, and the names of their files: the one place that ties a
kind to its test in `tests/test_snapshots.py` (the test's name is the file's name) and that test
module to its folder under `snapshots/`. `locked` makes the data, `tolerances` judges it, the tools
find the files here.
"""

from __future__ import annotations

from pathlib import Path

# The test module whose snapshots these are: `snapshots/test_snapshots/`.
SUITE_MODULE = "test_snapshots"

# kind -> the test function in `tests/test_snapshots.py` that locks it.
TEST_OF_KIND = {
    "structure": "test_structure",
    "forward": "test_forward",
    "initial": "test_initial_parameters",
    "variant": "test_variant_structure",
    "gradients": "test_shared_gradients",
    "trace": "test_training_trace",
}
KIND_OF_TEST = {test: kind for kind, test in TEST_OF_KIND.items()}


def stem(kind: str, *params: str) -> str:
    """A snapshot file's name without `.json`: `test_forward[mlp]` (the device is no part of it)."""
    return f"{TEST_OF_KIND[kind]}[{'-'.join(params)}]"


def folder(snapshots: Path) -> Path:
    """The suite's folder under a project's snapshot folder."""
    return snapshots / SUITE_MODULE


def locked_file(snapshots: Path, file_stem: str) -> Path:
    return folder(snapshots) / f"{file_stem}.json"
