"""The review record: every claim of the registry with the document's words, where they stand, the
reading the verdict judges, the verdict, the check that proves it, its counter-cases, and the date it
was last read against the document. Generated into docs/claims-review.md; a test keeps the file
equal to what the registry gives now.

python tools/claims_review.py            print the record (Markdown)
python tools/claims_review.py --write    write it to docs/claims-review.md
python tools/claims_review.py --check    exit 1 when docs/claims-review.md differs from the registry
python tools/claims_review.py --quotes DOCUMENTS [--book BOOK]
    exit 1 when a claim's quote is not in its document: DOCUMENTS is the folder of the five source
    documents (000_….txt …), where a quote must stand character for character; BOOK the d2l-zh
    chapter's Markdown files (a folder of chapter_deep-learning-computation/*.md, a d2l-zh
    checkout, or its git repository, read at HEAD), where a quote must stand in the words a
    reader sees: d2l's (**…**) and [**…**] markers dropped, a line wrapped inside a sentence
    joined (no space at a Chinese character). A quote that joins passages marks each cut with
    " … ": each passage must be found, in order. Claims of a document not given are left out,
    and the output says how many were.

Nothing here runs a check: the record says what each claim is and how it is proven, not whether it
is proven today (`python -m reference run NAME` and the suite do that).
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import reference
from reference import documents
from reference.example import Claim, Example, Verdict

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


FINDING = "the project's finding, not a statement of the document"


def claim_section(example: Example, claim: Claim) -> list[str]:
    lines = [f"#### `{claim_id(example, claim)}`", "", f"> {plain(claim.text)}", ""]
    if claim.quote:
        words = "the document's words it starts from" if claim.finding else "the document"
        lines.append(f"- **{words[0].upper()}{words[1:]}:** {code_span(claim.quote)}")
    else:
        lines.append("- **The document:** not yet quoted")
    if claim.finding:
        lines.append(f"- **Whose:** {FINDING}")
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
    """Per document, its claims' verdicts, the document's statements apart from the project's
    findings ('3 + 1': three statements of the document and one finding hold)."""
    lines = [
        "| document | claims (the document's + the project's findings) | holds | holds only when "
        "| false | about the GPU | reviewed |",
        "|---|---|---|---|---|---|---|",
    ]
    for document, claims in grouped.items():

        def split(selected: list[Claim]) -> str:
            findings = sum(c.finding for c in selected)
            return f"{len(selected) - findings} + {findings}"

        by_verdict = {v: [c for _, c in claims if c.verdict is v] for v in Verdict}
        reviewed = sum(bool(c.reviewed) for _, c in claims)
        lines.append(
            f"| [{documents.short_name(document)}](#{anchor(document)}) "
            f"| {split([c for _, c in claims])} | {split(by_verdict[Verdict.HOLDS])} "
            f"| {split(by_verdict[Verdict.HOLDS_ONLY_WHEN])} | {split(by_verdict[Verdict.FALSE])} "
            f"| {sum(c.about_cuda for _, c in claims)} | {reviewed} of {len(claims)} |"
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
    findings = sum(c.finding for claims in grouped.values() for _, c in claims)
    lines = [
        "# Claims, reviewed against the documents",
        "",
        f"Generated from the registry by `{COMMAND}`; do not edit it by hand "
        "(`tests/test_claims_review.py` fails when it differs from what the registry gives).",
        "",
        f"{total} claims: {total - findings} statements the documents make, and {findings} of "
        f"the project's own findings, marked **Whose:** {FINDING} (a finding about a document's "
        "example, or the reference's answer to a question the document asks). Each with the "
        "document's words (whitespace shown as single spaces), where they stand, the reading "
        "the verdict judges "
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


# The book's Markdown is not what its reader sees: d2l marks the phrases it highlights with
# (**…**) or [**…**] (markers that hold no `**` inside, so `(**kwargs)` is left alone), and wraps
# its lines inside a sentence.
BOOK_EMPHASIS = re.compile(
    r"\(\*\*((?:(?!\*\*).)+?)\*\*\)|\[\*\*((?:(?!\*\*).)+?)\*\*\]", re.DOTALL
)
WRAPPED_LINE = re.compile(r"(\S)[ \t]*\n[ \t]*(?=(\S))")
# A Chinese character or a CJK or full-width punctuation mark: no space where a line wraps at it.
CHINESE = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
CHAPTER = "chapter_deep-learning-computation"
# A quote that joins passages of its document marks each cut with " … " (as 「…」 does in print).
CUT = " … "


def joined(match: re.Match) -> str:
    before, after = match[1], match[2]
    return before + ("" if CHINESE.match(before) or CHINESE.match(after) else " ")


@functools.lru_cache(maxsize=4)  # the chapter is rendered once for all its quotes
def rendered(markdown: str) -> str:
    """The book's words as a reader sees them: the emphasis markers dropped, a line wrapped inside
    a paragraph joined to the next (with no space after or before a Chinese character or
    punctuation mark, with one otherwise); a blank line still parts two paragraphs."""
    text = BOOK_EMPHASIS.sub(lambda m: m[1] if m[1] is not None else m[2], markdown)
    return WRAPPED_LINE.sub(joined, text)


def quote_found(quote: str, text: str, *, book: bool = False) -> bool:
    """Whether each passage of `quote` (its parts between CUTs) is in `text`, in order: character
    for character in a source document, in its rendered words (`rendered`, on both) in the book."""
    if book:
        quote, text = rendered(quote), rendered(text)
    position = 0
    for passage in quote.split(CUT):
        found = text.find(passage, position)
        if found < 0:
            return False
        position = found + len(passage)
    return True


def book_chapter(book: Path) -> str:
    """The chapter's Markdown files, one after another: from `book` itself (a folder of them), its
    CHAPTER folder (a d2l-zh checkout), or its HEAD (a bare git repository of d2l-zh, read with
    git: the mirror this project is developed beside)."""
    if (book / CHAPTER).is_dir():
        book = book / CHAPTER
    if not any(book.glob("*.md")) and (book / "HEAD").is_file():
        return git_chapter(book)
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(book.glob("*.md")))


def git_chapter(repository: Path) -> str:
    git = ["git", "--git-dir", str(repository)]
    listed = subprocess.run(
        [*git, "ls-tree", "--name-only", "HEAD", f"{CHAPTER}/"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    ).stdout.split()
    names = sorted(name for name in listed if name.endswith(".md"))
    if not names:
        raise SystemExit(f"{repository}: no {CHAPTER}/*.md at HEAD")
    # One git process for all of them: `cat-file --batch` answers '<id> blob <size>' and the bytes.
    batch = subprocess.run(
        [*git, "cat-file", "--batch"],
        input="".join(f"HEAD:{name}\n" for name in names).encode(),
        capture_output=True,
        check=True,
    ).stdout
    texts, offset = [], 0
    for _ in names:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[2])
        texts.append(batch[header_end + 1 : header_end + 1 + size].decode("utf-8"))
        offset = header_end + 1 + size + 1  # the blob, then a newline
    return "\n".join(texts)


def quotes_not_found(documents_dir: Path | None, book: Path | None) -> tuple[list[str], int, int]:
    """(claims whose quote is not in their document, quotes checked, quotes left out because their
    document was not given). The book's quotes are looked for in every file of the chapter."""
    texts: dict[str, str] = {}
    if documents_dir is not None:
        for path in sorted(documents_dir.glob("*.txt")):
            texts[path.name] = path.read_text(encoding="utf-8")
    if book is not None:
        texts[documents.BOOK] = book_chapter(book)
    missing, checked, left_out = [], 0, 0
    for example, claim in every_claim():
        if not claim.quote:
            continue
        if example.document not in texts:
            left_out += 1
            continue
        checked += 1
        book_quote = example.document == documents.BOOK
        if not quote_found(claim.quote, texts[example.document], book=book_quote):
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
    parser.add_argument(
        "--book",
        type=Path,
        help="a folder of the d2l-zh chapter's .md files, a d2l-zh checkout or its git repository",
    )
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
