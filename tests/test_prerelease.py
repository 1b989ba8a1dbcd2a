"""The pre-release leg's comparison of survival tables (the leg itself: tools/prerelease.py, run
weekly on torch's nightly build)."""

import importlib.util
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load_tool(name: str):
    """tools/NAME.py as the module NAME: the tools import each other as a script's siblings."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


for sibling in ("test_report", "torch_releases"):  # what prerelease imports
    load_tool(sibling)
prerelease = load_tool("prerelease")


def row(operation, model, **facts):
    return {"operation": operation, "model": model, "outcome": "tied", "error": None, **facts}


def test_a_row_that_changed_appeared_or_went_is_named_with_its_facts():
    before = prerelease.survival_rows(
        {"rows": [row("deepcopy", "m"), row("state_dict()", "m"), row("gone", "m")]}
    )
    after = prerelease.survival_rows(
        {"rows": [row("deepcopy", "m", outcome="split"), row("state_dict()", "m"), row("new", "m")]}
    )
    assert prerelease.row_changes(before, after) == [
        "- deepcopy on `m`: outcome: 'tied' -> 'split'",
        "- gone on `m`: outcome: 'tied' -> None",
        "- new on `m`: outcome: None -> 'tied'",
    ]
    assert prerelease.row_changes(before, before) == []


def test_the_newest_release_is_compared_by_version_not_by_name():
    """docs/survival's newest table is the matrix's newest release ("2.9.1" sorts last as text)."""
    from torch_releases import matrix_newest

    _, newest = matrix_newest((TOOLS.parent / "tox.ini").read_text(encoding="utf-8"))
    assert prerelease.newest_release() == newest
