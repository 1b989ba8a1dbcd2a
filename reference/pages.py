"""The learners' pages (docs/learn/): one per source document, one per section of the book's chapter
5 深度学习计算, one for the survival table's two models, and an index.

Each example is shown the way the book is read: where it comes from (the document, the book's section
as the Chinese edition numbers and names it, with the English edition's in brackets, and a link where
the text is public), the reference's code for it, what it prints, each claim with its verdict, the
check that proves it and the counter-cases where it comes out the other way, the corrections to the
document, and its plots.

`python -m reference pages [--out docs/learn]` writes them; tests/test_pages.py keeps the committed
pages equal to what this module gives now. Everything a page says is computed here, from the
registry and from running the examples on the CPU (so a claim about CUDA is "not decided here");
what is declared by hand is in the first part below: the book's sections, which page each example is
on, and where each document's text is public.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import documents
from .errors import install_hint
from .summary_text import PACKAGE_PARENT, number, rounded, ties_cell

COMMAND = "python -m reference pages"
DEFAULT_OUT = Path("docs") / "learn"
INDEX = "README.md"  # GitHub shows a folder's README.md below its file list
IMAGES = "images"

# --- the book's chapter: its sections, as each edition numbers and names them ----------------------

# The Chinese edition's pages (zh.d2l.ai) and source files (github.com/d2l-ai/d2l-zh) are named after
# the section, `model-construction` …; the English edition (d2l.ai, "Builders' Guide") renamed
# deferred-init to lazy-init and split parameter initialisation off into a section of its own.
# Checked 2026-12-07: the chapter's toc in d2l-zh (master, chapter_deep-learning-computation/index.md)
# and d2l-en (chapter_builders-guide/index.md); the pages corpus holds zh.d2l.ai's index.html ("5.
# 深度学习计算") and model-construction.html ("5.1. 层和块"), and d2l.ai's model-construction.html
# ("6.1. Layers and Modules").
ZH_EDITION = "https://zh.d2l.ai/chapter_deep-learning-computation/"
EN_EDITION = "https://d2l.ai/chapter_builders-guide/"
ZH_SOURCE = "https://github.com/d2l-ai/d2l-zh/blob/master/chapter_deep-learning-computation"
CHAPTER = ("5", "深度学习计算")
EN_CHAPTER = ("6", "Builders' Guide")


@dataclass(frozen=True)
class EnglishSection:
    number: str
    title: str
    file: str  # d2l.ai/chapter_builders-guide/<file>.html

    @property
    def url(self) -> str:
        return f"{EN_EDITION}{self.file}.html"


@dataclass(frozen=True)
class Section:
    """A section of the chapter as the Chinese edition numbers and names it, with the English
    edition's section (or sections) that cover the same ground, and the page it gets here."""

    number: str
    title: str
    file: str  # zh.d2l.ai/chapter_deep-learning-computation/<file>.html, and the d2l-zh source
    english: tuple[EnglishSection, ...]
    page: str

    @property
    def label(self) -> str:
        """'5.4 自定义层 (6.5 Custom Layers)'."""
        english = ", ".join(f"{e.number} {e.title}" for e in self.english)
        return f"{self.number} {self.title} ({english})"

    @property
    def url(self) -> str:
        return f"{ZH_EDITION}{self.file}.html"

    @property
    def titles(self) -> tuple[str, ...]:
        return (self.title, *(e.title for e in self.english))


SECTIONS = (
    Section("5.1", "层和块", "model-construction",
            (EnglishSection("6.1", "Layers and Modules", "model-construction"),),
            "5.1-model-construction.md"),
    Section("5.2", "参数管理", "parameters",
            (EnglishSection("6.2", "Parameter Management", "parameters"),
             EnglishSection("6.3", "Parameter Initialization", "init-param")),
            "5.2-parameters.md"),
    Section("5.3", "延后初始化", "deferred-init",
            (EnglishSection("6.4", "Lazy Initialization", "lazy-init"),),
            "5.3-deferred-init.md"),
    Section("5.4", "自定义层", "custom-layer",
            (EnglishSection("6.5", "Custom Layers", "custom-layer"),),
            "5.4-custom-layer.md"),
    Section("5.5", "读写文件", "read-write",
            (EnglishSection("6.6", "File I/O", "read-write"),),
            "5.5-read-write.md"),
    Section("5.6", "GPU", "use-gpu",
            (EnglishSection("6.7", "GPUs", "use-gpu"),),
            "5.6-use-gpu.md"),
)  # fmt: skip


class PagesError(Exception):
    """The pages cannot be made as asked; the command line prints it as one line."""


def section_of(label: str) -> Section:
    """The section a registry label names, by its title in either edition: '§6.5 Custom Layers',
    '5.4 自定义层 (6.5 Custom Layers)' and '§6.1 Layers and Modules (older edition)' all work, so
    relabelling the registry moves no example to another page."""
    found = [s for s in SECTIONS if any(title in label for title in s.titles)]
    if len(found) != 1:
        named = ", ".join(s.number for s in found) or "none"
        raise PagesError(f"the section {label!r} names {named} of the book's sections, not one")
    return found[0]


def edition_note(label: str) -> str:
    """A note in brackets that is not a section's title ('older edition'), or ''."""
    notes = re.findall(r"\(([^()]*)\)", label)
    known = {t for s in SECTIONS for t in s.titles} | {
        e.number for s in SECTIONS for e in s.english
    }
    kept = [n for n in notes if not any(k in n for k in known)]
    return ", ".join(kept)


# --- the documents: where their text is public --------------------------------------------------


@dataclass(frozen=True)
class PublicCopy:
    text: str  # the link's text
    url: str
    what: str  # what is there, compared with the document


@dataclass(frozen=True)
class DocumentSource:
    """Where a document's text can be read, or a plain statement that no copy was found; and the
    book's sections it follows (section number, in what way)."""

    page: str
    copies: tuple[PublicCopy, ...] = ()
    not_found: str = ""
    follows: tuple[tuple[str, str], ...] = ()


# Each copy was opened and compared with the document (2026-12-07): the GitHub notebooks from a
# mirror of their repository (`fetch`), at the commit linked; the reposts through the pages corpus.
DOCUMENT_SOURCES = {
    "000_a6308e5ad6e05d30.txt": DocumentSource(
        page="000-parallel-module.md",
        copies=(
            PublicCopy(
                "NAOXUAN4/DL2025 · DL4_3_26/parallel_share/#1.ipynb",
                "https://github.com/NAOXUAN4/DL2025/blob/4dc76671fbd3dfdbeba63ca28e93fda283c1c912/"
                "DL4_3_26/parallel_share/%231.ipynb",
                "the notebook itself, with the same cells and printed outputs (commit 4dc7667)",
            ),
        ),
        follows=(
            ("5.1", "answers its exercise 2 (平行块)"),
            ("5.2", "answers its exercise 3 (构建包含共享参数层的多层感知机并对其进行训练)"),
        ),
    ),
    "001_67e6fd569dcb38d2.txt": DocumentSource(
        page="001-parameter-access.md",
        copies=(
            PublicCopy(
                "yjcsivsuk/my_d2l · 5 深度学习计算/5.2 参数管理.ipynb",
                "https://github.com/yjcsivsuk/my_d2l/blob/fb8a39d4c8904505571820465c47db3b856b9906/"
                "5%20%E6%B7%B1%E5%BA%A6%E5%AD%A6%E4%B9%A0%E8%AE%A1%E7%AE%97/"
                "5.2%20%E5%8F%82%E6%95%B0%E7%AE%A1%E7%90%86.ipynb",
                "the notebook itself, with the same cells and printed outputs (commit fb8a39d)",
            ),
        ),
        follows=(
            (
                "5.2",
                "a reader's notebook of the section: 参数访问 … 参数绑定, and its "
                "exercise 4 (为什么共享参数是个好主意？) in the closing text",
            ),
        ),
    ),
    "002_7dbee0fb0b47d5a0.txt": DocumentSource(
        page="002-sharing-blog.md",
        copies=(
            PublicCopy(
                "e-com-net.com/article/1290276428352397312.htm",
                "https://e-com-net.com/article/1290276428352397312.htm",
                "a repost of a shorter version: 例子1 to 例子3 in the same words, but without the "
                "remark that the transpose is of [H, W] in [BS, C, H, W]",
            ),
            PublicCopy(
                "codeinn.net/2020/m/misctech/198640.html",
                "https://codeinn.net/2020/m/misctech/198640.html",
                "the same shorter version, reposted",
            ),
        ),
        not_found="The post itself (a Jekyll blog post: `layout: post`) was not found.",
    ),
    "003_509c77070272da3f.txt": DocumentSource(
        page="003-construction-exercises.md",
        not_found="Not found: no public copy of this text turned up (searched by its exercises' "
        "own sentences and its code).",
        follows=(
            ("5.1", "answers its three exercises, and its section names it (model-construction)"),
        ),
    ),
    "004_437a7907a92ead85.txt": DocumentSource(
        page="004-sharing-article.md",
        not_found="Not found: the article names its site, 宙启技术站, and its date, 2023-12-14; "
        "no public copy of it turned up.",
    ),
}

SURVIVAL_PAGE = "survival-models.md"


def page_of(example_name: str, section: str, document: str, survival: Iterable[str]) -> str:
    """The page an entry is on: the survival table's models on their own page, a book example on
    its section's, any other example on its document's (tied_autoencoder and shared_rnn illustrate
    001's closing text, so they stay with 001)."""
    if example_name in survival:
        return SURVIVAL_PAGE
    if section:
        return section_of(section).page
    if document not in DOCUMENT_SOURCES:
        raise PagesError(f"{example_name}: no page for its document {document!r}")
    return DOCUMENT_SOURCES[document].page


def section_by_number(number: str) -> Section:
    return next(s for s in SECTIONS if s.number == number)


# --- what running the examples gives -------------------------------------------------------------


@dataclass
class Code:
    """A class or function of the reference, where it is and its source."""

    name: str
    path: Path
    line: int
    source: str


@dataclass
class Variant:
    label: str
    code: list[Code]
    summary: dict[str, Any]
    values: dict[str, Any]


@dataclass
class Entry:
    """One entry of `list`, with everything its page shows."""

    example: Any  # reference.example.Example
    kind: str
    page: str
    summary: dict[str, Any]
    values: dict[str, Any]
    code: list[Code]
    counters: dict[str, list[bool]]  # claim -> what its check said at each counter-case
    variants: list[Variant] = field(default_factory=list)
    trace: dict[str, Any] | None = None


def code_of(obj: Any) -> Code:
    path = Path(inspect.getsourcefile(obj)).resolve()
    lines, line = inspect.getsourcelines(obj)
    return Code(obj.__qualname__, path, line, "".join(lines).rstrip("\n"))


def is_reference_code(obj: Any) -> bool:
    return getattr(obj, "__module__", "").startswith("reference.")


def builder_shown(build: Callable) -> Callable | None:
    """The function or class that builds the model, itself: None for a lambda or a partial, whose
    own source is a line of the registry entry; the page shows what it calls instead."""
    build = inspect.unwrap(build)
    if isinstance(build, functools.partial) or build.__name__ == "<lambda>":
        return None
    return build


def called_by(build: Callable) -> list[Any]:
    """The reference's functions and classes a builder names (one level down): what a lambda like
    `lambda: applied(init_normal)` or a builder like `xavier_first_42_last` puts together."""
    build = inspect.unwrap(build)
    while isinstance(build, functools.partial):
        build = build.func
    code = getattr(build, "__code__", None)
    if code is None:
        return []
    names: list[str] = []
    pending = [code]
    while pending:  # the builder's own names, and those of the comprehensions and lambdas inside it
        current = pending.pop(0)
        names += current.co_names
        pending += [c for c in current.co_consts if inspect.iscode(c)]
    found = [build.__globals__.get(n) for n in dict.fromkeys(names)]
    return [
        f for f in found if (inspect.isfunction(f) or inspect.isclass(f)) and is_reference_code(f)
    ]


def code_for(build: Callable, model: Any, shown: Iterable[Code] = ()) -> list[Code]:
    """The builder (unless a lambda or partial), the reference's functions and classes it calls
    (and those functions call), and every class of the reference the model is made of, in the
    order `modules()` meets them; what `shown` already holds is left out."""
    objects: list[Any] = []
    builder = builder_shown(build)
    if builder is not None and is_reference_code(builder):
        objects.append(builder)
    pending = called_by(build)
    while pending:  # and what those functions call in turn: rgnet -> block2 -> block1
        found = pending.pop(0)
        if found not in objects:
            objects.append(found)
            pending += called_by(found) if inspect.isfunction(found) else []
    for module in model.modules():
        kind = type(module)
        if is_reference_code(kind) and kind not in objects:
            objects.append(kind)
    seen = {(c.path, c.line) for c in shown}
    found = [code_of(o) for o in objects]
    return [c for c in found if (c.path, c.line) not in seen]


def check_function(check: Callable) -> Callable:
    while isinstance(check, functools.partial):
        check = check.func
    return check


def first_doc_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def collect() -> list[Entry]:
    """Every entry `list` shows, run on the CPU: its summary (what `run --json` prints), its input
    and output values, its code, what each claim's check says at each counter-case, its variants
    and, for a training example, its trace."""
    import torch

    from . import registry, survival_command
    from .probes import check_says, summary, training_trace, values

    extra = survival_command.tied_models_as_examples()
    found = [(registry.get(n), "example") for n in registry.names()]
    found += [(e, "survival table model") for e in extra.values()]
    entries = []
    cpu = torch.device("cpu")
    for example, kind in found:
        data = summary(example, cpu)
        model = example.model(cpu)
        code = code_for(example.build, model)
        counters = {
            c.name: [check_says(c, cpu, k).value for k in c.counters] for c in example.claims
        }
        variants = []
        for label, build in example.variants:
            variant_model = example.model(cpu, label)
            variants.append(
                Variant(
                    label,
                    code_for(build, variant_model, code),
                    summary(example, cpu, label),
                    values(example, cpu, label),
                )
            )
        entries.append(
            Entry(
                example=example,
                kind=kind,
                page=page_of(example.name, example.section, example.document, extra),
                summary=data,
                values=values(example, cpu),
                code=code,
                counters=counters,
                variants=variants,
                trace=training_trace(example, cpu) if example.train is not None else None,
            )
        )
    return entries


# --- Markdown: the pieces -------------------------------------------------------------------------


def plain(text: str) -> str:
    """Prose for Markdown on one line: code spans (between backticks) kept as they are; elsewhere
    the characters GitHub would read as markup (emphasis, links, HTML, a table's cell border) shown
    as themselves."""
    text = " ".join(text.split())
    escaped = []
    for part in re.split(r"(`[^`]+`)", text):
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            escaped.append(part)
            continue
        for character in ("\\", "*", "_", "[", "]", "<", ">", "`", "|"):
            part = part.replace(character, "\\" + character)
        escaped.append(part)
    return "".join(escaped)


def code_span(text: str) -> str:
    """`text` on one line as a code span, fenced by one backtick more than its longest run of them
    (and padded by a space where it holds any); a table's cell border `|` escaped."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence, pad = "`" * (longest + 1), " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fenced(text: str, language: str = "") -> list[str]:
    """A fenced code block, its fence longer than any run of backticks inside."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    fence = "`" * (longest + 1)
    return [f"{fence}{language}", text, fence]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text (code spans as their text) in lower case, every
    character but letters, digits, '_', '-' and spaces dropped, each space made '-'."""
    text = heading.replace("`", "").strip().lower()
    return "".join(ch for ch in text if ch.isalnum() or ch in " -_").replace(" ", "-")


def shape_text(shape: list[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def verdict_kind(result: dict[str, Any]) -> str:
    """'holds', 'holds only when', 'false', or 'not decided here' (a claim about CUDA, run on the
    CPU)."""
    if result["proven"] is None:
        return "not decided here"
    return (
        "holds only when" if result["verdict"].startswith("holds only when") else result["verdict"]
    )


VERDICT_ORDER = ("holds", "holds only when", "false", "not decided here")


def verdict_counts(results: list[dict[str, Any]]) -> str:
    """'3 holds, 1 holds only when, 1 false': how many claims get each verdict."""
    counts: dict[str, int] = {}
    for result in results:
        counts[verdict_kind(result)] = counts.get(verdict_kind(result), 0) + 1
    return ", ".join(f"{counts[k]} {k}" for k in VERDICT_ORDER if k in counts) or "none"


def environment() -> str:
    """What the numbers were computed on: the release and the CPU kernels torch chose. Another
    machine's kernels move the last printed digits (ATEN_CPU_CAPABILITY=default against AVX512:
    -38.0293 against -38.0294), so the tests compare the numbers to the digit only on the same."""
    import torch

    kernels = torch.backends.cpu.get_cpu_capability()
    return f"torch {torch.__version__}, on the CPU ({kernels} kernels)"


def back_link() -> str:
    return f"[← all pages]({INDEX})"


# --- Markdown: a page ----------------------------------------------------------------------------


class Site:
    """The pages being written to `out`: which page each entry is on, and links between them and
    to the repository's files, relative to `out`."""

    def __init__(self, entries: list[Entry], out: Path, checkout: Path):
        self.entries, self.out, self.checkout = entries, Path(out), Path(checkout)
        self.page_of = {e.example.name: e.page for e in entries}

    def to_file(self, in_checkout: str) -> str:
        """A link from `out` to a file of the checkout, named by its path in the checkout."""
        return Path(os.path.relpath(self.checkout / in_checkout, self.out.resolve())).as_posix()

    def to_code(self, code: Code) -> str:
        # The package's own path ("reference/x.py"), wherever it is installed: the link goes to the
        # checkout's copy, which a non-editable install (tox's) does not run from.
        if not code.path.is_relative_to(PACKAGE_PARENT):
            return f"`{code.path.name}`, line {code.line}"
        shown = code.path.relative_to(PACKAGE_PARENT).as_posix()
        return f"[`{shown}`, line {code.line}]({self.to_file(shown)}#L{code.line})"

    def to_example(self, name: str, from_page: str) -> str:
        page = self.page_of[name]
        return f"[{plain(name)}]({'' if page == from_page else page}#{slug(name)})"

    def to_claim(self, example: str, claim: str, from_page: str) -> str:
        page = self.page_of[example]
        anchor = slug(claim_heading(example, claim))
        return f"[{plain(claim_heading(example, claim))}]({'' if page == from_page else page}#{anchor})"

    def on(self, page: str) -> list[Entry]:
        return [e for e in self.entries if e.page == page]


def claim_heading(example: str, claim: str) -> str:
    return f"{example}.{claim}"


def entry_lines(site: Site, entry: Entry) -> list[str]:
    example, data = entry.example, entry.summary
    lines = [f"## {example.name}", "", plain(example.shows)]
    if example.section:
        section, note = section_of(example.section), edition_note(example.section)
        lines += [
            "",
            f"From the book's [{section.label}]({section.url})"
            + (f", {plain(note)}" if note else "")
            + ".",
        ]
    if entry.kind != "example":
        base = base_name(example)
        lines += [
            "",
            f"A model of the survival table, built from the example {site.to_example(base, entry.page)} with the same seed and values.",
        ]
    run = f"Run it: `python -m reference run {example.name}`"
    if example.train is not None:
        run += f"; its training: `python -m reference trace {example.name}`"
    lines += ["", run, "", "### The code", "", *code_lines(site, entry.code)]
    lines += ["", "### What it prints", "", *prints_lines(data, entry.values)]
    if entry.trace is not None:
        lines += ["", "### Training", "", *trace_lines(example.name, entry.trace)]
    if entry.variants:
        lines += ["", "### Variants", ""]
        for variant in entry.variants:
            lines += variant_lines(site, example.name, variant)
        lines.pop()
    lines += ["", "### Claims", "", *claims_lines(site, entry)]
    if entry.kind == "example":
        lines += ["", "### Corrections to the document", ""]
        corrections = [f"- {plain(c)}" for c in data["corrections"]]
        lines += corrections or ["None: the reference builds it as the document does."]
    return lines


def base_name(example: Any) -> str:
    """The registry example a survival table model is built from."""
    from .survival_models import tied_model

    return tied_model(example.name).example


def code_lines(site: Site, code: list[Code]) -> list[str]:
    if not code:
        return ["Built from torch's own modules only: the builder is in the registry entry."]
    lines: list[str] = []
    for item in code:
        lines += [f"{site.to_code(item)}: `{item.name}`", "", *fenced(item.source, "python"), ""]
    return lines[:-1]


LONG_REPR = 25  # lines: a longer printout folds away
LONG_TABLE = 12  # rows: a longer table of parameters folds away


def prints_lines(data: dict[str, Any], values: dict[str, Any]) -> list[str]:
    printed = data["repr"]
    count = printed.count("\n") + 1
    if count > LONG_REPR:
        lines = [f"<details><summary>the model's repr ({count} lines)</summary>", ""]
        lines += [*fenced(printed, "text"), "", "</details>", ""]
    else:
        lines = [*fenced(printed, "text"), ""]
    inputs = values["inputs"]
    for i, facts in enumerate(inputs):
        lines.append(value_line("input" if len(inputs) == 1 else f"input {i}", facts))
    lines.append(value_line("output", values["output"]))
    lines += facts_lines(data)
    rows = [f"| {code_span(n)} | {shape_text(s)} |" for n, s in data["parameters"]]
    table = ["| parameter | shape |", "|---|---|", *rows]
    if len(rows) > LONG_TABLE:
        lines += [
            "",
            f"<details><summary>the {len(rows)} parameters and their shapes</summary>",
            "",
        ]
        lines += [*table, "", "</details>"]
    elif rows:
        lines += ["", *table]
    return lines


def value_line(label: str, facts: dict[str, Any]) -> str:
    shown = [number(v) if isinstance(v, float) else str(v) for v in facts["leading"]]
    more = f" (the first {len(shown)} of {facts['numel']})" if facts["numel"] > len(shown) else ""
    return (
        f"- **{label}:** shape {shape_text(facts['shape'])}, {facts['dtype']}: "
        f"{code_span(', '.join(shown))}{more}"
    )


def facts_lines(data: dict[str, Any]) -> list[str]:
    """The state_dict keys, the parameter counts and the ties, as `run` prints them."""
    keys = data["state_dict_keys"]
    counts = data["parameter_count"]
    ties = ties_cell(data["alias_groups"], data["ties_in_forward"])
    return [
        "- **state_dict keys**, in order: "
        + (", ".join(code_span(k) for k in keys) if keys else "none: nothing is registered"),
        f"- **parameter count:** {counts['unique']} elements, each Parameter counted once; "
        f"{counts['total']} counted once per name",
        "- **ties:** " + ("; ".join(code_span(t) for t in ties.split("; ")) if ties else "none"),
    ]


def trace_lines(name: str, trace: dict[str, Any]) -> list[str]:
    steps, epochs = trace["step_loss"], trace["epoch_loss"]
    lines = [
        f"{len(steps)} optimizer steps in {len(epochs)} epochs, seeded: every run gives these "
        "numbers.",
        "",
        f"![{name}: the loss of each step and of each epoch]({IMAGES}/{image_name(name)})",
        "",
        f"<!-- {image_marker(trace)} -->",
        "",
    ]
    recorded = trace.get("epochs", [])
    columns = [k for k in (recorded[0] if recorded else {}) if k not in ("epoch", "loss")]
    lines.append("| epoch | mean loss |" + "".join(f" {k} |" for k in columns))
    lines.append("|---|---|" + "---|" * len(columns))
    for i, loss in enumerate(epochs):
        cells = "".join(f" {code_span(rounded(recorded[i][k]))} |" for k in columns)
        lines.append(f"| {i + 1} | {number(loss)} |{cells}")
    lines.append("")
    for key, value in trace.items():
        if key not in ("step_loss", "epoch_loss", "epochs"):
            lines.append(f"- **{plain(key)}:** {code_span(rounded(value))}")
    return [*lines, "", "Rounded as torch prints; `--json` prints every digit."]


def variant_lines(site: Site, name: str, variant: Variant) -> list[str]:
    data = variant.summary
    lines = [
        f"#### {name} --variant {variant.label}",
        "",
        f"Run it: `python -m reference run {name} --variant {variant.label}`",
        "",
        value_line("output", variant.values["output"]),
        *facts_lines(data),
        "",
    ]
    if variant.code:
        lines += ["<details><summary>its code</summary>", ""]
        lines += [*code_lines(site, variant.code), "", "</details>", ""]
    return lines


def claims_lines(site: Site, entry: Entry) -> list[str]:
    results = entry.summary["claims"]
    if not results:
        return ["None of its own: the survival table locks what becomes of its tie."]
    wrong = [r["claim"] for r in results if r["proven"] is False]
    agree = (
        f"the checks of {', '.join(wrong)} DISAGREE with their verdicts here"
        if wrong
        else "every check that decides here agrees with its verdict"
    )
    lines = [
        f"{len(results)} claims{findings_note(results)}: {verdict_counts(results)}; {agree}.",
        "",
    ]
    claims = {c.name: c for c in entry.example.claims}
    for result in results:
        lines += claim_lines(site, entry, claims[result["claim"]], result)
    return lines[:-1]


def findings_note(results: list[dict[str, Any]]) -> str:
    """' (2 of them the project's findings)': how many claims are the project's, not the document's."""
    findings = sum(bool(r.get("finding")) for r in results)
    if not findings:
        return ""
    return f" ({findings} of them the project's finding{'s' if findings > 1 else ''})"


FINDING_WORDS = (
    "the project's finding, not a statement of the document (the document's words below are "
    "where it starts)"
)


def claim_lines(site: Site, entry: Entry, claim: Any, result: dict[str, Any]) -> list[str]:
    lines = [
        f"#### {claim_heading(entry.example.name, claim.name)}",
        "",
        f"> {plain(claim.text)}",
        "",
        f"- **Verdict:** {verdict_words(entry.example.name, result)}",
    ]
    if claim.finding:
        lines.append(f"- **Whose:** {FINDING_WORDS}")
    place = plain(claim.place) if claim.place else "its place not yet recorded"
    if not claim.quote:
        lines.append("- **The document says:** not yet quoted")
    elif "\n" in claim.quote.strip():
        lines += [f"- **The document says** ({place}):", ""]
        lines += ["  " + line for line in fenced(claim.quote.strip("\n"), "text")]
        lines.append("")
    else:
        # A code span on one line shows each run of whitespace as one space: said where it does.
        collapsed = " ".join(claim.quote.split()) != claim.quote
        spacing = " (its spacing shown as single spaces)" if collapsed else ""
        lines.append(f"- **The document says{spacing}:** {code_span(claim.quote)} ({place})")
    lines.append(f"- **Reading judged:** {plain(claim.reading) or 'not yet recorded'}")
    if claim.literal:
        lines.append(f"- **Read literally:** {plain(claim.literal)}")
    check = check_function(claim.check)
    doc = first_doc_line(check)
    lines.append(
        f"- **Its check:** {site.to_code(code_of(check))}, `{check.__qualname__}`"
        + (f": {plain(doc)}" if doc else "")
    )
    if claim.counters:
        lines.append(
            "- **Where it comes out the other way** (the same check, run there, must say False):"
        )
        for counter, said in zip(claim.counters, entry.counters[claim.name], strict=True):
            seen = (
                "says False, as it must"
                if said is False
                else "says TRUE: it cannot tell this case apart"
            )
            lines.append(f"  - {plain(counter.where)} *(the check {seen})*")
    else:
        lines.append(f"- **No counter-case:** {plain(claim.no_counter)}")
    return [*lines, ""]


def verdict_words(name: str, result: dict[str, Any]) -> str:
    if result["proven"] is None:
        agrees = "agrees" if result["check_on_this_device"] else "DISAGREES"
        return (
            "**not decided here**: a statement about CUDA, which only a run on a CUDA device "
            f"decides (`python -m reference run {name} --device cuda`); the verdict it would "
            f"prove there: {plain(result['verdict_on_cuda'])}. Its check also ran here, on the "
            f"CPU, and {agrees}."
        )
    proven = "its check, run here, agrees" if result["proven"] else "its check, run here, DISAGREES"
    kind = verdict_kind(result)
    when = result["verdict"].removeprefix(kind).strip()
    return f"**{kind}**" + (f" {plain(when)}" if when else "") + f" ({proven})"


# --- Markdown: the pages -------------------------------------------------------------------------


def generated_line() -> str:
    return (
        f"Generated by `{COMMAND}` from the registry and from running every example on "
        f"{environment()}. Do not edit by hand: `tests/test_pages.py` fails when a page differs "
        "from what the code gives now."
    )


def contents_table(site: Site, page: str) -> list[str]:
    """The examples of a page: what each shows, its claims' verdicts, its ties."""
    lines = ["| example | what it shows | claims | ties |", "|---|---|---|---|"]
    for entry in site.on(page):
        ties = ties_cell(entry.summary["alias_groups"], entry.summary["ties_in_forward"])
        lines.append(
            f"| {site.to_example(entry.example.name, page)} | {plain(entry.example.shows)} "
            f"| {verdict_counts(entry.summary['claims'])} | {code_span(ties) if ties else '-'} |"
        )
    return lines


def entries_part(site: Site, page: str) -> list[str]:
    lines: list[str] = []
    for entry in site.on(page):
        lines += ["", *entry_lines(site, entry)]
    return lines


def document_page(site: Site, document: str) -> str:
    source = DOCUMENT_SOURCES[document]
    found = documents.DOCUMENTS[document]
    lines = [
        f"# {documents.short_name(document)} · {plain(found.title)}",
        "",
        back_link(),
        "",
        f"What it is: {plain(found.kind)} (in the project's sources: `{document}`).",
        "",
    ]
    if source.copies:
        lines += ["Where the text is public:", ""]
        lines += [f"- [{plain(c.text)}]({c.url}): {plain(c.what)}." for c in source.copies]
        lines.append("")
    if source.not_found:
        lines += [plain(source.not_found), ""]
    for number_, how in source.follows:
        section = section_by_number(number_)
        lines += [f"It follows the book's [{section.label}]({section.page}): {plain(how)}.", ""]
    lines += [generated_line(), "", *contents_table(site, source.page)]
    return "\n".join([*lines, *entries_part(site, source.page)])


def section_page(site: Site, section: Section) -> str:
    english = ", ".join(f"[{e.number} {e.title}]({e.url})" for e in section.english)
    lines = [
        f"# {section.label}",
        "",
        back_link(),
        "",
        f"*Dive into Deep Learning* (动手学深度学习), chapter {' '.join(CHAPTER)}: section "
        f"[{section.number} {section.title}]({section.url}) of the Chinese edition (its source: "
        f"[{section.file}.md]({ZH_SOURCE}/{section.file}.md)); in the English edition, chapter "
        f"{' '.join(EN_CHAPTER)}: {english}.",
        "",
    ]
    followers = [
        (document, how)
        for document, source in DOCUMENT_SOURCES.items()
        for number_, how in source.follows
        if number_ == section.number
    ]
    for document, how in followers:
        page = DOCUMENT_SOURCES[document].page
        title = documents.DOCUMENTS[document].title
        lines += [
            f"The document [{documents.short_name(document)} · {plain(title)}]({page}) follows this section: {plain(how)}.",
            "",
        ]
    lines.append(generated_line())
    if site.on(section.page):
        lines += ["", *contents_table(site, section.page)]
    else:
        lines += ["", "No example of the registry comes from this section."]
    if section.number == "5.6":
        lines += ["", *gpu_lines(site, section)]
    return "\n".join([*lines, *entries_part(site, section.page)])


def gpu_lines(site: Site, section: Section) -> list[str]:
    """5.6 GPU: the book's device helpers as the reference writes them, what they give on machines
    with none, one and two GPUs, and every claim about CUDA with its place."""
    from . import use_gpu

    lines = ["## The book's device helpers", ""]
    for helper in (use_gpu.try_gpu, use_gpu.try_all_gpus):
        lines += [f"{site.to_code(code_of(helper))}: `{helper.__name__}`", ""]
        lines += [*fenced(code_of(helper).source, "python"), ""]
    lines += ["What they give, told how many GPUs there are (`count`):", ""]
    lines += ["| GPUs | `try_gpu(0)` | `try_gpu(1)` | `try_all_gpus()` |", "|---|---|---|---|"]
    for count in (0, 1, 2):
        row = [
            str(use_gpu.try_gpu(0, count)),
            str(use_gpu.try_gpu(1, count)),
            ", ".join(map(str, use_gpu.try_all_gpus(count))),
        ]
        lines.append(f"| {count} | " + " | ".join(code_span(c) for c in row) + " |")
    lines += ["", "## The claims about CUDA", ""]
    about = [
        (entry, result)
        for entry in site.entries
        for result in entry.summary["claims"]
        if result.get("about") == "cuda"
    ]
    lines.append(
        f"{len(about)} claims of the documents are about the GPU. These pages were made on the "
        "CPU, so none of them is decided here; `python -m reference run NAME --device cuda` "
        "decides one on a CUDA device."
    )
    lines.append("")
    for entry, result in about:
        link = site.to_claim(entry.example.name, result["claim"], section.page)
        lines.append(
            f"- {link}: {plain(result['text'])} (on CUDA: {plain(result['verdict_on_cuda'])})"
        )
    return lines


def survival_page(site: Site) -> str:
    from .survival_models import MODELS, as_built

    matrix = "docs/survival-matrix.md"
    as_they_are = [
        site.to_example(m.example, SURVIVAL_PAGE) for m in MODELS if m.rebuild is as_built
    ]
    rebuilt = [m for m in MODELS if m.rebuild is not as_built]
    lines = [
        "# The survival table's models",
        "",
        back_link(),
        "",
        "The survival table (`python -m reference survival`, across releases in "
        f"[survival-matrix.md]({site.to_file(matrix)})) runs operations that copy, save, load, "
        "move or compile a model and says whether each keeps its tie. It takes "
        f"{len(as_they_are)} examples of the documents as they are ({', '.join(as_they_are)}) "
        f"and ties {len(rebuilt)} of them another way, as real models do: "
        + "; ".join(f"{plain(m.name)}, {plain(m.example)} tied by {plain(m.how)}" for m in rebuilt)
        + ". `python -m reference list` shows these with the examples.",
        "",
        generated_line(),
        "",
        *contents_table(site, SURVIVAL_PAGE),
    ]
    return "\n".join([*lines, *entries_part(site, SURVIVAL_PAGE)])


def index_page(site: Site) -> str:
    claims = [r for e in site.entries for r in e.summary["claims"]]
    lines = [
        "# Learners' pages",
        "",
        "Every example of the reference, read the way the book is read: where it comes from (the "
        "document, the book's section as the Chinese edition numbers and names it, with the "
        "English edition's in brackets, and a link where the text is public), the reference's "
        "code for it, what it prints, each claim of the document with its verdict, the check "
        "that proves it and where the check comes out the other way, the corrections to the "
        "document, and its plots.",
        "",
        generated_line(),
        "",
        f"{len(site.entries)} entries ({sum(e.kind == 'example' for e in site.entries)} examples "
        f"and the survival table's {sum(e.kind != 'example' for e in site.entries)} models), "
        f"{len(claims)} claims{findings_note(claims)}: {verdict_counts(claims)}.",
        "",
        f"## The book: chapter {' '.join(CHAPTER)} (English edition: chapter {' '.join(EN_CHAPTER)})",
        "",
        f"*Dive into Deep Learning* (动手学深度学习): [the chapter in the Chinese edition]"
        f"({ZH_EDITION}index.html), [in the English edition]({EN_EDITION}index.html).",
        "",
        "| section | English edition | examples | documents that follow it |",
        "|---|---|---|---|",
    ]
    for section in SECTIONS:
        names = [site.to_example(e.example.name, INDEX) for e in site.on(section.page)]
        followers = [
            f"[{documents.short_name(d)}]({s.page})"
            for d, s in DOCUMENT_SOURCES.items()
            if any(n == section.number for n, _ in s.follows)
        ]
        english = ", ".join(f"{e.number} {e.title}" for e in section.english)
        lines.append(
            f"| [{section.number} {section.title}]({section.page}) | {english} "
            f"| {', '.join(names) or '-'} | {', '.join(followers) or '-'} |"
        )
    lines += [
        "",
        "## The documents",
        "",
        "| document | its text | examples |",
        "|---|---|---|",
    ]
    for document, source in DOCUMENT_SOURCES.items():
        found = documents.DOCUMENTS[document]
        public = ", ".join(f"[{plain(copy_site(c))}]({c.url})" for c in source.copies)
        names = [site.to_example(e.example.name, INDEX) for e in site.on(source.page)]
        lines.append(
            f"| [{documents.short_name(document)} · {plain(found.title)}]({source.page}) "
            f"| {public or 'not found'} | {', '.join(names)} |"
        )
    survival = [site.to_example(e.example.name, INDEX) for e in site.on(SURVIVAL_PAGE)]
    lines += [
        "",
        "## The survival table's models",
        "",
        f"[The survival table's models]({SURVIVAL_PAGE}): {', '.join(survival)}.",
        "",
        "## Every entry, by name",
        "",
        "| entry | page | claims |",
        "|---|---|---|",
    ]
    titles = page_titles()
    for entry in sorted(site.entries, key=lambda e: e.example.name):
        lines.append(
            f"| {site.to_example(entry.example.name, INDEX)} | [{plain(titles[entry.page])}]"
            f"({entry.page}) | {verdict_counts(entry.summary['claims'])} |"
        )
    lines += [
        "",
        f"Made again with `{COMMAND}` (Markdown and images; `--out DIR` writes them elsewhere).",
    ]
    return "\n".join(lines)


def copy_site(copy: PublicCopy) -> str:
    """A copy's place in a few words: 'GitHub' for a repository's file, else the site's name."""
    host = copy.url.split("/")[2]
    return "GitHub" if host == "github.com" else host


def page_titles() -> dict[str, str]:
    titles = {s.page: s.label for s in SECTIONS}
    titles |= {
        source.page: f"{documents.short_name(d)} · {documents.DOCUMENTS[d].title}"
        for d, source in DOCUMENT_SOURCES.items()
    }
    return titles | {SURVIVAL_PAGE: "the survival table's models", INDEX: "all pages"}


def render(
    entries: list[Entry], out: Path = DEFAULT_OUT, checkout: Path | None = None
) -> dict[str, str]:
    """Every page, by file name (relative to `out`), as Markdown. Links to the project's files go
    into `checkout` (by default the folder the command runs in, as `--out docs/learn` assumes)."""
    site = Site(entries, out, Path.cwd() if checkout is None else checkout)
    pages = {INDEX: index_page(site)}
    pages |= {s.page: document_page(site, d) for d, s in DOCUMENT_SOURCES.items()}
    pages |= {s.page: section_page(site, s) for s in SECTIONS}
    pages[SURVIVAL_PAGE] = survival_page(site)
    known = set(pages)
    lost = [e.example.name for e in entries if e.page not in known]
    if lost:
        raise PagesError(f"entries on no page: {', '.join(lost)}")
    return {name: text.rstrip("\n") + "\n" for name, text in pages.items()}


# --- images --------------------------------------------------------------------------------------

IMAGE_DPI = 100  # with the figure's own size in inches: 640 or 1100 pixels wide, 400 high
MARKER = "drawn from"


def image_name(example: str) -> str:
    return f"{example}-loss.png"


def image_marker(trace: dict[str, Any]) -> str:
    """What an image is drawn from, as one line: a digest of the trace and of the plotting code. The
    page carries it (so a page test sees a changed trace) and the PNG too (so a test sees an image
    drawn from other data without drawing it again)."""
    from . import plots

    digest = hashlib.sha256()
    digest.update(json.dumps(trace, sort_keys=True).encode("utf-8"))
    digest.update(Path(plots.__file__).read_bytes())
    digest.update(f"dpi={IMAGE_DPI}".encode())
    return f"{MARKER} sha256:{digest.hexdigest()[:16]} (the trace and reference/plots.py)"


def images(entries: list[Entry]) -> dict[str, tuple[str, dict[str, Any]]]:
    """The images the pages show, by path relative to `out`: (example, trace)."""
    return {
        f"{IMAGES}/{image_name(e.example.name)}": (e.example.name, e.trace)
        for e in entries
        if e.trace is not None
    }


def draw(name: str, trace: dict[str, Any], path: Path) -> None:
    """The loss curve (and the sharing panel, where the trace records the shared gradient) as a PNG
    that is the same byte for byte each time on one machine: a fixed size and resolution, and no
    metadata but the marker (matplotlib writes its version otherwise)."""
    from . import plots

    figure = plots.loss_figure(name, trace)
    figure.savefig(
        path,
        format="png",
        dpi=IMAGE_DPI,
        metadata={"Software": None, "Description": image_marker(trace)},
    )


def png_text(path: Path) -> dict[str, str]:
    """A PNG's tEXt entries (keyword -> text), read without an imaging library."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise PagesError(f"{path} is not a PNG")
    found, at = {}, 8
    while at + 8 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        if kind == b"tEXt":
            keyword, _, text = body.partition(b"\0")
            found[keyword.decode("latin-1")] = text.decode("latin-1")
        at += 12 + length
    return found


# --- writing -------------------------------------------------------------------------------------


@dataclass
class Written:
    pages: list[str]
    images: list[str]
    stray: list[str]  # files in `out` that the pages do not name: left alone, listed


def write(out: Path | str = DEFAULT_OUT, with_images: bool = True) -> Written:
    """Write every page (and image) into `out`, created where missing; files of `out` that no page
    names are left alone and listed (a renamed page leaves its old file behind). What cannot work
    (no matplotlib, a folder that cannot be made) is found before the examples run."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PagesError(f"--out {str(out)!r} exists and is not a folder")
    if with_images:
        try:
            import matplotlib  # noqa: F401  (only its presence is checked here)
        except ImportError:
            hint = install_hint("matplotlib") or "pip install matplotlib"
            raise PagesError(f"the pages' images need matplotlib: {hint}") from None
    try:
        (out / IMAGES).mkdir(parents=True, exist_ok=True)
        entries = collect()
        pages = render(entries, out)
        drawn = images(entries)
        for name, text in pages.items():
            (out / name).write_text(text, encoding="utf-8", newline="\n")
        if with_images:
            for name, (example, trace) in drawn.items():
                draw(example, trace, out / name)
    except OSError as error:
        raise PagesError(
            f"cannot write the pages to {str(out)!r}: {error.strerror or error}"
        ) from None
    made = set(pages) | set(drawn)
    stray = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.relative_to(out).as_posix() not in made
    )
    return Written(sorted(pages), sorted(drawn) if with_images else [], stray)
