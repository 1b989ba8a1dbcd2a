"""The review record: every claim of the registry with the document's words, where they stand, the
reading the verdict judges, the verdict, the check that proves it, its counter-cases, and the date it
was last read against the document. Generated into docs/claims-review.md; a test keeps the file
equal to what the registry gives now.

python tools/claims_review.py            print the record (Markdown)
python tools/claims_review.py --write    write it to docs/claims-review.md
python tools/claims_review.py --check    exit 1 when docs/claims-review.md differs from the registry
python tools/claims_review.py --quotes DOCUMENTS [--book BOOK]
    exit 1 when a claim's quote is not, character for character, in its document: DOCUMENTS is the
    folder of the five source documents (000_….txt …), BOOK a folder of the d2l-zh chapter's
    Markdown files (chapter_deep-learning-computation/*.md); claims of a document not given are
    left out, and the output says how many were.

Nothing here runs a check: the record says what each claim is and how it is proven, not whether it
is proven today (`python -m reference run NAME` and the suite do that).
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import reference
from reference import documents
from reference.example import Claim, Example

REPOSITORY = Path(__file__).resolve().parents[1]
RECORD = REPOSITORY / "docs" / "claims-review.md"
COMMAND = "python tools/claims_review.py --write"
FIELDS = ("quote", "place", "reading", "reviewed")  # what every claim must carry


def claim_id(example: Example, claim: Claim) -> str:
    return f"{example.name}.{claim.name}"


def every_claim() -> list[tuple[Example, Claim]]:
    return [(e, c) for name in reference.names() for e in [reference.get(name)] for c in e.claims]


def missing_fields(claim: Claim) -> list[str]:
    return [field for field in FIELDS if not getattr(claim, field)]


def check_name(check: Callable[..., bool]) -> str:
    """'reference.why_share:sharing_saves_memory': where the check is defined (a partial's
    function; a check made by a function, that function's name and '<locals>')."""
    while isinstance(check, functools.partial):
        check = check.func
    return f"{check.__module__}:{check.__qualname__}"


def one_line(text: str) -> str:
    """A document's words on one line: every run of whitespace (a newline of a printout) a space."""
    return " ".join(text.split())


def code_span(text: str) -> str:
    """`text` on one line as a Markdown code span, fenced by one backtick more than its longest run
    of them (and padded by a space where it holds any)."""
    text = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence, padding = "`" * (longest + 1), " " if longest else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def plain(text: str) -> str:
    """Prose for Markdown: on one line, `*` and angle brackets shown as themselves (GitHub would
    read them as emphasis or drop them as HTML)."""
    for character, escaped in (("\\", "\\\\"), ("*", "\\*"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(character, escaped)
    return one_line(text)


def document_heading(document: str) -> str:
    found = documents.DOCUMENTS.get(document)
    title = found.title if found else document
    kind = found.kind if found else "unknown document"
    short = documents.short_name(document)
    where = "" if document == documents.BOOK else f" (`{document}`)"
    return f"## {short} · {plain(title)}\n\n{plain(kind)}{where}."


def counter_lines(claim: Claim) -> list[str]:
    if not claim.counters:
        return [f"- **Counter-cases:** none: {plain(claim.no_counter)}"]
    lines = ["- **Counter-cases** (the check must say False there):"]
    lines += [f"  - {plain(c.where)}" for c in claim.counters]
    return lines


def claim_section(example: Example, claim: Claim) -> list[str]:
    lines = [f"#### `{claim_id(example, claim)}`", "", f"> {plain(claim.text)}", ""]
    if claim.quote:
        lines.append(f"- **The document:** {code_span(claim.quote)}")
    else:
        lines.append("- **The document:** not yet quoted")
    lines.append(f"- **Where:** {plain(claim.place) or 'not yet placed'}")
    lines.append(f"- **Reading judged:** {plain(claim.reading) or 'not yet recorded'}")
    if claim.literal:
        lines.append(f"- **Read literally:** {plain(claim.literal)}")
    lines.append(f"- **Verdict:** {plain(claim.verdict_text)}")
    gpu = " (a statement about the GPU: decided on CUDA only)" if claim.about_cuda else ""
    lines.append(f"- **Check:** `{check_name(claim.check)}`{gpu}")
    lines += counter_lines(claim)
    lines.append(f"- **Reviewed:** {claim.reviewed or 'not yet reviewed against the document'}")
    return [*lines, ""]


def by_document(claims: Iterable[tuple[Example, Claim]]) -> dict[str, list[tuple[Example, Claim]]]:
    """The claims grouped by document, in the order of `documents.DOCUMENTS` (the book last)."""
    order = {name: i for i, name in enumerate(documents.DOCUMENTS)}
    grouped: dict[str, list[tuple[Example, Claim]]] = {}
    for example, claim in claims:
        grouped.setdefault(example.document, []).append((example, claim))
    return dict(sorted(grouped.items(), key=lambda item: order.get(item[0], len(order))))


def summary_table(grouped: dict[str, list[tuple[Example, Claim]]]) -> list[str]:
    lines = [
        "| document | claims | holds | holds only when | false | about the GPU | reviewed |",
        "|---|---|---|---|---|---|---|",
    ]
    for document, claims in grouped.items():
        verdicts = [c.verdict.value for _, c in claims]
        reviewed = sum(bool(c.reviewed) for _, c in claims)
        lines.append(
            f"| [{documents.short_name(document)}](#{anchor(document)}) | {len(claims)} "
            f"| {verdicts.count('holds')} | {verdicts.count('holds only when')} "
            f"| {verdicts.count('false')} | {sum(c.about_cuda for _, c in claims)} "
            f"| {reviewed} of {len(claims)} |"
        )
    return lines


def anchor(document: str) -> str:
    """The anchor GitHub gives a document's heading: lower case, spaces to '-', punctuation but
    '-' and '_' dropped ('## 000 · 实现…' -> '#000--实现…')."""
    heading = document_heading(document).splitlines()[0].removeprefix("## ")
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def render() -> str:
    grouped = by_document(every_claim())
    total = sum(len(claims) for claims in grouped.values())
    lines = [
        "# Claims, reviewed against the documents",
        "",
        f"Generated from the registry by `{COMMAND}`; do not edit it by hand "
        "(`tests/test_claims_review.py` fails when it differs from what the registry gives).",
        "",
        f"{total} claims. Each one is a statement a document makes (or, where its reading says "
        "so, the project's own finding about a document's example), with the document's words "
        "(whitespace shown as single spaces), where they stand, the reading the verdict judges "
        "(the charitable one: what the author most plausibly meant; the literal one beside it "
        "where it differs), the verdict, the check that proves it (`module:function`, run by "
        "`python -m reference run NAME` and by the suite) and the counter-cases where the same "
        "check must say False. A claim about the GPU is decided on CUDA only.",
        "",
        *summary_table(grouped),
        "",
    ]
    for document, claims in grouped.items():
        lines += [document_heading(document), ""]
        current = None
        for example, claim in claims:
            if example.name != current:
                current = example.name
                where = f" ({plain(example.section)})" if example.section else ""
                lines += [f"### `{example.name}`{where}", "", plain(example.shows), ""]
            lines += claim_section(example, claim)
    return "\n".join(lines).rstrip("\n") + "\n"


def listed_claims(record: str) -> list[str]:
    """The claim ids a record lists, in its order (its `#### \\`example.claim\\`` headings)."""
    return [
        line.removeprefix("#### `").removesuffix("`")
        for line in record.splitlines()
        if line.startswith("#### `")
    ]


def quotes_not_found(
    documents_dir: Path | None, book_dir: Path | None
) -> tuple[list[str], int, int]:
    """(claims whose quote is not in their document, quotes checked, quotes left out because their
    document was not given). The book's quotes are looked for in every file of the chapter."""
    texts: dict[str, str] = {}
    if documents_dir is not None:
        for path in sorted(documents_dir.glob("*.txt")):
            texts[path.name] = path.read_text(encoding="utf-8")
    if book_dir is not None:
        texts[documents.BOOK] = "\n".join(
            path.read_text(encoding="utf-8") for path in sorted(book_dir.glob("*.md"))
        )
    missing, checked, left_out = [], 0, 0
    for example, claim in every_claim():
        if not claim.quote:
            continue
        if example.document not in texts:
            left_out += 1
            continue
        checked += 1
        if claim.quote not in texts[example.document]:
            missing.append(f"{claim_id(example, claim)}: {claim.quote!r}")
    return missing, checked, left_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--write", action="store_true", help=f"write {RECORD.relative_to(REPOSITORY)}"
    )
    action.add_argument("--check", action="store_true", help="exit 1 when the file differs")
    action.add_argument("--quotes", type=Path, metavar="DOCUMENTS", help="the documents' folder")
    parser.add_argument("--book", type=Path, help="a folder of the d2l-zh chapter's .md files")
    args = parser.parse_args(argv)
    if args.book is not None and args.quotes is None:
        parser.error("--book goes with --quotes")
    for folder in (args.quotes, args.book):
        if folder is not None and not folder.is_dir():
            parser.error(f"no such folder: {folder}")
    if args.quotes is not None:
        missing, checked, left_out = quotes_not_found(args.quotes, args.book)
        for line in missing:
            print(f"not in its document: {line}")
        print(f"{checked - len(missing)} of {checked} quotes found; {left_out} left out")
        return 1 if missing else 0
    text = render()
    if args.write:
        RECORD.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {RECORD.relative_to(REPOSITORY)}")
        return 0
    if args.check:
        same = RECORD.is_file() and RECORD.read_text(encoding="utf-8") == text
        if not same:
            print(f"{RECORD.relative_to(REPOSITORY)} differs from the registry: run {COMMAND}")
        return 0 if same else 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
