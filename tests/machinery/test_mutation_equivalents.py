"""tools/mutation_equivalents.toml, the mutmut survivors recorded as equivalent: each carries the
argument that no input tells it from the original (and, where that holds only for a kind of input,
which), and names a function and a line that still exist, so an entry cannot outlive its code."""

import importlib
import inspect
import operator
import tomllib
from pathlib import Path

import pytest

EQUIVALENTS = Path(__file__).resolve().parents[2] / "tools" / "mutation_equivalents.toml"
ENTRIES = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8"))["equivalent"]
FIELDS = {"function", "removed", "added", "why", "holds_for"}


def function_named(dotted: str):
    """`reference.tying._names_of` (or `module.Class.method`) -> the function itself."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        return operator.attrgetter(".".join(parts[cut:]))(module)
    raise LookupError(dotted)


@pytest.mark.parametrize("entry", ENTRIES, ids=[str(i) for i in range(len(ENTRIES))])
def test_every_equivalent_carries_its_argument_and_still_exists(entry):
    assert set(entry) <= FIELDS and {"function", "removed", "added", "why"} <= set(entry)
    assert entry["removed"] != entry["added"]
    # An argument, not a label: it says why no input tells the two apart.
    assert len(entry["why"].split()) >= 12, entry["why"]
    assert entry.get("holds_for", "x").strip()
    source = inspect.getsource(function_named(entry["function"]))
    assert entry["removed"] in source, f"{entry['function']} no longer has: {entry['removed']}"


def test_no_entry_is_recorded_twice():
    keys = [(e["function"], e["removed"], e["added"]) for e in ENTRIES]
    assert len(keys) == len(set(keys))
