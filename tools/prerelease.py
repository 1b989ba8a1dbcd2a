"""The pre-release leg: what the installed torch (a nightly, in .github/workflows/torch-nightly.yml)
changes against what the project locks, before it is released.

    python tools/prerelease.py [--against RELEASE] [--report FILE] [--github-output FILE]

Three looks, each a section of the Markdown report:
1. the suite (`pytest -n auto`): which tests fail, with the first line of each message;
2. every snapshot recomputed (with `reference_testing.locked`, what the tests assert) and compared with its
   file under `snapshots/` by the test's own tolerance: each value beyond it, with how far beyond
   the measured noise, as a failing test says it; nothing under `snapshots/` is written;
3. `python -m reference survival --json` against `docs/survival/RELEASE.json` (default: the newest
   release there), row by row.

Writes `differs=true|false` and `torch=VERSION` to --github-output (the workflow's issue is titled
without the version, which changes every night). Exits 0 whether or not something differs (the
report is the result), 2 when it cannot run. The report is printed as UTF-8 whatever the console's
encoding (a failure message may quote Chinese or an arrow).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from test_report import failures, utf8_stdout  # this folder's, as a script's sibling
from torch_releases import version_key

from reference.survival import ROW_KEYS  # what a row says about a tie

ROOT = Path(__file__).resolve().parents[1]
SURVIVAL = ROOT / "docs" / "survival"


def suite_section() -> tuple[str, bool]:
    with tempfile.TemporaryDirectory() as scratch:
        junit = Path(scratch, "junit.xml")
        command = [sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:cacheprovider"]
        subprocess.run([*command, f"--junitxml={junit}"], cwd=ROOT, check=False)
        text, clean = failures(junit, "The suite")
    return text, not clean


def snapshot_section() -> tuple[str, bool]:
    """Every locked snapshot recomputed here and judged as its test judges it."""
    from reference.seeding import configure_determinism
    from reference_testing import kinds, locked
    from reference_testing.compare import differences, load
    from reference_testing.tolerances import tolerance_for

    configure_determinism()
    moved = []
    for stem, kind, name, make in locked.cpu_snapshots():
        path = kinds.locked_file(ROOT / "snapshots", stem)
        expected = load(path.read_text(encoding="utf-8"), str(path))
        found = differences(make("cpu"), expected, tolerance_for(kind, name))
        moved += [f"- `{stem}` ({kind}) {line}" for line in found]
    lines = ["### Snapshot values beyond their tolerance", ""]
    lines += moved or ["none: every locked value is within its measured tolerance"]
    return "\n".join(lines) + "\n", bool(moved)


def survival_rows(table: dict) -> dict[tuple[str, str], dict]:
    return {
        (row["operation"], row["model"]): {fact: row.get(fact) for fact in ROW_KEYS}
        for row in table["rows"]
    }


def row_changes(before: dict, after: dict) -> list[str]:
    """One line per (operation, model) whose facts differ, or that one of the tables lacks."""
    changed = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key) or {}, after.get(key) or {}
        if old != new:
            facts = [
                f"{fact}: {old.get(fact)!r} -> {new.get(fact)!r}"
                for fact in ROW_KEYS
                if old.get(fact) != new.get(fact)
            ]
            changed.append(f"- {key[0]} on `{key[1]}`: " + "; ".join(facts))
    return changed


def newest_release() -> str:
    return max((path.stem for path in SURVIVAL.glob("*.json")), key=version_key)


def survival_section(against: str) -> tuple[str, bool]:
    from reference.cli import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        main(["survival", "--json"])
    now = survival_rows(json.loads(printed.getvalue()))
    locked_rows = survival_rows(
        json.loads((SURVIVAL / f"{against}.json").read_text(encoding="utf-8"))
    )
    changed = row_changes(locked_rows, now)
    lines = [f"### The survival table against torch {against}", ""]
    lines += changed or ["no row differs"]
    return "\n".join(lines) + "\n", bool(changed)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/prerelease.py", description=__doc__)
    parser.add_argument("--against", metavar="RELEASE", help="docs/survival/RELEASE.json")
    parser.add_argument("--report", metavar="FILE", help="write the Markdown report here")
    parser.add_argument("--github-output", metavar="FILE", help="write differs, torch, title")
    args = parser.parse_args(argv)
    utf8_stdout()
    against = args.against or newest_release()
    if not (SURVIVAL / f"{against}.json").is_file():
        known = ", ".join(sorted((p.stem for p in SURVIVAL.glob("*.json")), key=version_key))
        print(
            f"prerelease: no survival table for torch {against!r}; known: {known}", file=sys.stderr
        )
        return 2
    import torch

    version = torch.__version__
    sections = [suite_section(), snapshot_section(), survival_section(against)]
    differs = any(found for _, found in sections)
    verdict = "differs" if differs else "matches what the project locks"
    report = f"## Pre-release check: torch {version} {verdict}\n\n" + "\n".join(
        text for text, _ in sections
    )
    if args.report:
        Path(args.report).write_text(report, encoding="utf-8")
    print(report)
    if args.github_output:
        with open(args.github_output, "a", encoding="utf-8") as output:
            output.write(f"differs={str(differs).lower()}\ntorch={version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
