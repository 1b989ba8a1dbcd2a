"""The release tools: the pre-release leg's comparison of survival tables (tools/prerelease.py, run
weekly on torch's nightly build), the newest release named alike in every place
(tools/torch_releases.py), and the reports printed as UTF-8 (tools/test_report.py)."""

import importlib.util
import io
import sys
from pathlib import Path

import pytest

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


# --- the newest release, named alike everywhere (tools/torch_releases.py consistent) -------------

torch_releases = sys.modules["torch_releases"]
test_report = sys.modules["test_report"]
ROOT = TOOLS.parent
NAMING_FILES = [
    "tox.ini",
    ".github/workflows/ci.yml",
    ".github/workflows/gpu.yml",
    ".github/workflows/snapshot-update.yml",
    "README.md",
    "docs/maintainers.md",
]


def test_every_place_names_the_newest_release_here():
    assert [place for place, ok in torch_releases.newest_places(ROOT).items() if not ok] == []


def copy_of_the_naming_files(tmp_path: Path) -> Path:
    for name in NAMING_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((ROOT / name).read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "named"),
    [
        (".github/workflows/gpu.yml", "torch215-cuda", "torch214-cuda", "gpu.yml: its CUDA env is torch214-cuda"),
        (".github/workflows/ci.yml", 'torch: ["25", "215"]', 'torch: ["25", "214"]', 'ci.yml: the matrix\'s torch factors include "215"'),
        ("README.md", "| `torch215-cpu` | 2.15.0, the newest |", "| `torch215-cpu` | 2.15.0 |", "README.md: the matrix table names torch215-cpu"),
        ("docs/maintainers.md", "torch 2.15.0", "torch 2.14.1", "docs/maintainers.md: the release routine names torch 2.15.0"),
        (".github/workflows/snapshot-update.yml", 'default: "2.15.0"', 'default: "2.14.1"', "snapshot-update.yml: the default input"),
        ("tox.ini", "torch215: EXPECTED_TORCH = 2.15.0", "torch215: EXPECTED_TORCH = 2.15", "tox.ini: torch215's EXPECTED_TORCH"),
    ],
    ids=["gpu", "ci", "readme", "docs", "snapshot-update", "expected"],
)  # fmt: skip
def test_each_place_that_misses_the_newest_release_is_named(
    tmp_path, capsys, file, old, new, named
):
    root = copy_of_the_naming_files(tmp_path)
    assert torch_releases.check_consistent(root) == 0
    edit(root / file, old, new)
    assert torch_releases.check_consistent(root) == 1
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("error:")]
    assert any(named in error for error in errors), errors
    assert all(Path(file).name in error for error in errors), errors  # that file alone


def test_a_bump_in_tox_ini_alone_names_every_place_left_behind(tmp_path, capsys):
    """The release named 2.16.0 in tox.ini only: the workflows, the README and the docs still name
    torch215, which tox.ini no longer defines (the GPU job would fail at start)."""
    root = copy_of_the_naming_files(tmp_path)
    tox_ini = (root / "tox.ini").read_text(encoding="utf-8")
    (root / "tox.ini").write_text(
        tox_ini.replace("torch215", "torch216").replace("2.15.0", "2.16.0"), encoding="utf-8"
    )
    assert torch_releases.check_consistent(root) == 1
    out = capsys.readouterr().out
    for place in (".github/workflows/gpu.yml: names torch215", ".github/workflows/ci.yml: names torch215",
                  "README.md: names torch215", 'ci.yml: the matrix names "215"'):  # fmt: skip
        assert place in out, out


# --- reports print UTF-8 whatever the console's encoding -----------------------------------------

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite tests="1" failures="1" errors="0" skipped="0">
<testcase classname="tests.test_cli" name="test_x"><failure message="concatenated → averaged (拼接)"/></testcase>
</testsuite></testsuites>
"""


@pytest.mark.parametrize("utf8", [True, False], ids=["utf8", "without-it"])
def test_the_failure_report_prints_on_a_cp1252_console(tmp_path, monkeypatch, utf8):
    """Windows' redirected stdout is cp1252 outside tox: "→" and Chinese would end the summary step."""
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT, encoding="utf-8")
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="cp1252"))
    if not utf8:  # the control: the console's own encoding
        monkeypatch.setattr(test_report, "utf8_stdout", lambda: None)
        with pytest.raises(UnicodeEncodeError):
            test_report.main(["failures", str(junit)])
        return
    assert test_report.main(["failures", str(junit)]) == 0
    sys.stdout.flush()
    assert "concatenated → averaged (拼接)" in raw.getvalue().decode("utf-8")
