"""Reports for people reading CI: the failing tests of a pytest run, and text capped to a size.

python tools/test_report.py failures JUNIT_XML [--append-to FILE] [--title TEXT] [--strict]
    Markdown: how many tests ran, failed, errored and were skipped, then each failing test with
    the first line of its message. Appended to FILE (a report, or $GITHUB_STEP_SUMMARY), else
    printed. --strict: exit 1 when a test failed or errored, or when pytest wrote no results.
python tools/test_report.py cap FILE --limit N [--link URL]
    FILE's text cut at a line boundary to at most N characters, with a closing line that says
    so and links the full text (GitHub refuses pull-request bodies over 65,536 characters).

Both print UTF-8, whatever the console's or the locale's encoding.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

MESSAGE_WIDTH = 300


def utf8_stdout() -> None:
    """Print UTF-8 whatever the locale says: on Windows a redirected stdout (`>> $GITHUB_STEP_SUMMARY`)
    is cp1252 outside tox, and a failure message quoting "→" or the documents' Chinese would end
    the report in a UnicodeEncodeError."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


def failures(junit: Path, title: str) -> tuple[str, bool]:
    """(Markdown, whether the run is clean)."""
    if not junit.is_file():
        return f"### {title}\n\npytest wrote no results ({junit} is missing): see the log.\n", False
    root = ElementTree.parse(junit).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = {key: sum(int(suite.get(key, 0)) for suite in suites) for key in ("tests", "failures", "errors", "skipped")}  # fmt: skip
    lines = [
        f"### {title}",
        "",
        f"{counts['tests']} tests: {counts['failures']} failed, {counts['errors']} errors, "
        f"{counts['skipped']} skipped",
    ]
    broken = []
    for case in root.iter("testcase"):
        for outcome in ("failure", "error"):
            found = case.find(outcome)
            if found is not None:
                message = (found.get("message") or found.text or "").strip().splitlines()
                first = message[0][:MESSAGE_WIDTH] if message else ""
                name = f"{case.get('classname', '')}::{case.get('name', '')}"
                broken.append(f"- {outcome} `{name}`: {first}")
    if broken:
        lines += ["", *broken]
    return "\n".join(lines) + "\n", not broken and counts["failures"] + counts["errors"] == 0


def cap(text: str, limit: int, link: str | None) -> str:
    if len(text) <= limit:
        return text
    where = f" The full report: {link}" if link else ""
    closing = f"\n\n… cut here: the report has {len(text):,} characters, more than fit.{where}\n"
    kept = text[: max(0, limit - len(closing))]
    kept = kept[: kept.rfind("\n") + 1] or kept
    if kept.count("```") % 2:  # close a code block left open by the cut
        kept += "```\n"
    return (kept + closing)[:limit]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/test_report.py")
    commands = parser.add_subparsers(dest="command", required=True)
    failed = commands.add_parser("failures")
    failed.add_argument("junit", type=Path)
    failed.add_argument("--append-to", type=Path)
    failed.add_argument("--title", default="Tests")
    failed.add_argument("--strict", action="store_true")
    capped = commands.add_parser("cap")
    capped.add_argument("file", type=Path)
    capped.add_argument("--limit", type=int, required=True)
    capped.add_argument("--link")
    args = parser.parse_args(argv)
    utf8_stdout()

    if args.command == "cap":
        sys.stdout.write(cap(args.file.read_text(encoding="utf-8"), args.limit, args.link))
        return 0
    report, clean = failures(args.junit, args.title)
    if args.append_to:
        with args.append_to.open("a", encoding="utf-8") as out:
            out.write("\n" + report)
    print(report, end="")
    return 1 if args.strict and not clean else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
