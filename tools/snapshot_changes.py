"""What a snapshot update changed: every file under snapshots/ added, removed or changed since a git
revision (default HEAD), value by value; with --summary FILE, also as the Markdown report that
`tox -e update` and the snapshot-update workflow publish.

python tools/snapshot_changes.py [REV] [--summary FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from snapshot_json import EXACT, differences, load  # noqa: E402


def changes(revision: str = "HEAD") -> list[str]:
    """Every snapshot file added, removed or changed since `revision`, value by value."""
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", "snapshots"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    if revision != "HEAD":
        diff = subprocess.run(["git", "diff", "--name-status", revision, "--", "snapshots"],
                              cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()  # fmt: skip
        status += [f"{line[0]}  {line.split(None, 1)[1]}" for line in diff]
    report = []
    for line in sorted(set(status)):
        code, path = line[:2].strip(), line[3:].strip()
        if code in ("??", "A"):
            report.append(f"added    {path}")
        elif code == "D" or not (ROOT / path).exists():
            report.append(f"REMOVED  {path}")
        else:
            old = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout  # fmt: skip
            found = differences(
                load((ROOT / path).read_text(encoding="utf-8"), path), load(old, f"{revision}:{path}"), EXACT
            )
            report.append(f"changed  {path}: {len(found)} value(s)")
            report += [f"    {d}" for d in found[:20]] + (
                [f"    ... {len(found) - 20} more"] if len(found) > 20 else []
            )
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/snapshot_changes.py", description=__doc__)
    parser.add_argument("revision", nargs="?", default="HEAD", help="compare with (default HEAD)")
    parser.add_argument("--summary", metavar="FILE", help="also write the report as Markdown")
    args = parser.parse_args(argv)
    lines = changes(args.revision) or ["no snapshot changed"]
    print("\n".join(lines))
    if args.summary:
        torch_line = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"],
                                    capture_output=True, text=True).stdout.strip()  # fmt: skip
        body = "\n".join(lines)
        Path(args.summary).write_text(
            f"## Snapshot update on torch {torch_line}\n\n```\n{body}\n```\n\n"
            "Review each value: a real PyTorch change gets a version-dependent expectation in "
            "code with a citation (see the README), not just a new snapshot.\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
