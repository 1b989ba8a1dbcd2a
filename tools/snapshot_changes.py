"""What a snapshot update changed: every file under snapshots/ added, removed or changed since a git
revision (default HEAD), value by value, judged as the failing test judges it; with --summary FILE,
also as the Markdown report that `tox -e update` and the snapshot-update workflow publish.

python tools/snapshot_changes.py [REV] [--summary FILE]

Each changed value says its snapshot's kind (structure, forward, initial, variant, gradients,
trace), how far it moved against the tolerance of that kind and example (`reference_testing.tolerances`) and
how many times the measured noise that is, and whether it reads as **numerics** (within
BEHAVIOUR_BEYOND_NOISE times the noise: another rounding) or **behaviour** (beyond it, or anything
but a number). The changes are grouped by example, then by kind.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from reference_testing.compare import EXACT, FLOAT32, Tolerance, differences, load
from reference_testing.kinds import KIND_OF_TEST, SUITE_MODULE
from reference_testing.tolerances import tolerance_for

ROOT = Path(__file__).resolve().parents[1]
# Where the report sends a reader for what to do with a change: the release routine.
ROUTINE = '"When PyTorch releases a new version", step 3'
# A value that moved less than this many times the noise measured for its kind reads as numerics.
BEHAVIOUR_BEYOND_NOISE = 100
STEM = re.compile(r"^(?P<test>\w+)\[(?P<params>.*)\]$")
TIMES_NOISE = re.compile(r"; (?P<times>[\d.e+]+)× the measured noise")


@dataclass
class Change:
    path: str
    status: str  # added, removed, changed
    example: str
    kind: str
    lines: list[str] = field(default_factory=list)


def what_it_locks(path: str) -> tuple[str, str, Tolerance]:
    """(example, kind, tolerance) of a snapshot file, from its name: `test_forward[mlp].json`."""
    found = STEM.match(Path(path).stem)
    if found is None:
        return Path(path).stem, "other", FLOAT32
    test, params = found["test"], found["params"]
    kind = KIND_OF_TEST.get(test)
    if kind is None or SUITE_MODULE not in Path(path).parts:
        return params, test.removeprefix("test_"), FLOAT32
    example = params.split("-", 1)[0] if kind == "variant" else params
    return example, kind, tolerance_for(kind, example)


def reading(line: str) -> str:
    """numerics or behaviour, from a difference line."""
    times = TIMES_NOISE.search(line)
    if times is not None and float(times["times"]) < BEHAVIOUR_BEYOND_NOISE:
        return "numerics"
    return "behaviour"


def judged(new: object, old: object, tolerance: Tolerance) -> list[str]:
    """Each value beyond the tolerance, read as numerics or behaviour; then how many moved within
    it (an update rewrites them with the file, though no test would have failed on them)."""
    beyond = differences(new, old, tolerance)
    within = len(differences(new, old, EXACT)) - len(beyond)
    lines = [f"{reading(line)}: {line}" for line in beyond]
    if within > 0:
        lines.append(f"{within} more value(s) moved within the tolerance")
    return lines


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True, encoding="utf-8"
    ).stdout


def changes(revision: str = "HEAD") -> list[Change]:
    """Every snapshot file added, removed or changed since `revision`, value by value."""
    status = git("status", "--porcelain", "--untracked-files=all", "--", "snapshots").splitlines()
    if revision != "HEAD":
        diff = git("diff", "--name-status", revision, "--", "snapshots").splitlines()
        status += [f"{line[0]}  {line.split(None, 1)[1]}" for line in diff]
    found = []
    for line in sorted(set(status)):
        code, path = line[:2].strip(), line[3:].strip()
        example, kind, tolerance = what_it_locks(path)
        if code in ("??", "A"):
            found.append(Change(path, "added", example, kind))
        elif code == "D" or not (ROOT / path).exists():
            found.append(Change(path, "REMOVED", example, kind))
        else:
            new = load((ROOT / path).read_text(encoding="utf-8"), path)
            old = load(git("show", f"{revision}:{path}"), f"{revision}:{path}")
            found.append(Change(path, "changed", example, kind, judged(new, old, tolerance)))
    return found


def render(found: list[Change], shown: int = 20) -> list[str]:
    """By example, then by kind: the file, its status, and its values."""
    lines = []
    for example in sorted({c.example for c in found}):
        lines.append(f"{example}:")
        for change in sorted((c for c in found if c.example == example), key=lambda c: c.kind):
            lines.append(f"  {change.kind} ({change.status}): {change.path}")
            lines += [f"      {line}" for line in change.lines[:shown]]
            if len(change.lines) > shown:
                lines.append(f"      ... {len(change.lines) - shown} more")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/snapshot_changes.py", description=__doc__)
    parser.add_argument("revision", nargs="?", default="HEAD", help="compare with (default HEAD)")
    parser.add_argument("--summary", metavar="FILE", help="also write the report as Markdown")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):  # UTF-8 whatever the console says (as test_report.py)
        sys.stdout.reconfigure(encoding="utf-8")
    lines = render(changes(args.revision)) or ["no snapshot changed"]
    print("\n".join(lines))
    if args.summary:
        torch_line = subprocess.run(
            [sys.executable, "-c", "import torch; print(torch.__version__)"],
            capture_output=True,
            encoding="utf-8",
        ).stdout.strip()
        body = "\n".join(lines)
        Path(args.summary).write_text(
            f"## Snapshot update on torch {torch_line}\n\n```\n{body}\n```\n\n"
            f"numerics: moved less than {BEHAVIOUR_BEYOND_NOISE}× the noise measured for its kind; "
            "behaviour: beyond that, or not a number. Review each value: a real PyTorch change "
            "gets a version-dependent expectation in code with a citation (docs/maintainers.md, "
            f"{ROUTINE}), not just a new snapshot.\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
