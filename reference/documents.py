"""The source documents by name and title, and the book's chapter as its Chinese edition numbers it.

An example names its document, its book section and what it shows (`reference/example.py`); the
command line describes them here, so that a reader sees which document, under which title, and
which section. The five documents are Chinese, and so are the book's readers they were written for:
the chapter is 5 深度学习计算 of 《动手学深度学习》 (zh.d2l.ai), each section numbered and named as
there, with the English edition's (d2l.ai, chapter 6 "Builders' Guide") in brackets.
Nothing here imports torch: `list` and `--help` stay fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOOK = "d2l-zh-ch5"  # the book's chapter, as an example's `document` names it
CHAPTER_TITLE = "深度学习计算"
CHAPTER = f"5 {CHAPTER_TITLE}"
ENGLISH_CHAPTER = "6 Builders' Guide"


@dataclass(frozen=True)
class Document:
    name: str
    title: str  # as the document gives it; in brackets where it gives none
    kind: str  # what it is, in English


DOCUMENTS = {
    d.name: d
    for d in (
        Document(
            "000_a6308e5ad6e05d30.txt",
            "实现并行模块 · 构建包含共享参数层的多层感知机",
            "notebook: a parallel module, an MLP with a shared layer",
        ),
        Document(
            "001_67e6fd569dcb38d2.txt",
            "[untitled] 参数访问 … 参数绑定（参数共享）",
            "notebook: parameter access, nested blocks, tied parameters",
        ),
        Document(
            "002_7dbee0fb0b47d5a0.txt",
            "PyTorch参数共享",
            "blog post: parameter sharing in PyTorch",
        ),
        Document(
            "003_509c77070272da3f.txt",
            "深度学习计算 · model-construction",
            "exercises: MySequential with a list, parallel and repeated blocks, a shared layer",
        ),
        Document(
            "004_437a7907a92ead85.txt",
            "torch.nn.modules.utils模块中的权重参数共享技术详解",
            "article: weight sharing in torch.nn.modules.utils",
        ),
        Document(
            BOOK,
            f"动手学深度学习 {CHAPTER} ({ENGLISH_CHAPTER})",
            "Dive into Deep Learning, Chinese edition: the chapter the documents follow",
        ),
    )
}

# --- the book's chapter, section by section --------------------------------------------------------

# The English edition's sections of the chapter (d2l.ai, chapter_builders-guide): it split the
# Chinese edition's 5.2 参数管理 into two sections and renamed deferred-init to lazy-init.
ENGLISH = {
    "6.1": "Layers and Modules",
    "6.2": "Parameter Management",
    "6.3": "Parameter Initialization",
    "6.4": "Lazy Initialization",
    "6.5": "Custom Layers",
    "6.6": "File I/O",
    "6.7": "GPUs",
}


@dataclass(frozen=True)
class Subsection:
    number: str  # "5.4.2"
    title: str  # "带参数的层", as the Chinese edition's heading gives it
    english: str  # the English edition's section that covers it: "6.5"


@dataclass(frozen=True)
class Section:
    """A section of the chapter as the Chinese edition numbers and names it. `file` names its page
    (zh.d2l.ai/chapter_deep-learning-computation/<file>.html, and the d2l-zh source <file>.md) and
    the reference's module of its examples: custom-layer -> reference/custom_layer.py."""

    number: str
    title: str
    file: str
    subsections: tuple[Subsection, ...]

    @property
    def english(self) -> tuple[str, ...]:
        """The English edition's sections that cover it, in order: ('6.2', '6.3') for 5.2."""
        return tuple(dict.fromkeys(s.english for s in self.subsections))

    @property
    def label(self) -> str:
        """'5.2 参数管理 (6.2 Parameter Management, 6.3 Parameter Initialization)'."""
        return f"{self.number} {self.title} ({english_titles(self.english)})"


def english_titles(numbers: tuple[str, ...]) -> str:
    return ", ".join(f"{number} {ENGLISH[number]}" for number in numbers)


def section(number: str, title: str, file: str, *subsections: tuple[str, str, str]) -> Section:
    return Section(number, title, file, tuple(Subsection(*s) for s in subsections))


# The headings of d2l-zh's chapter_deep-learning-computation (index.md's toc and each section's
# `#`/`##`/`###` lines, read at d2l-ai/d2l-zh e6b18cc, numbered as zh.d2l.ai numbers them); only
# the subsections an example or a claim cites a place in are listed below the sections.
# tests/test_cli.py compares them with the source where a copy of it is at hand.
SECTIONS = (
    section("5.1", "层和块", "model-construction",
            ("5.1.1", "自定义块", "6.1"), ("5.1.2", "顺序块", "6.1"),
            ("5.1.3", "在前向传播函数中执行代码", "6.1"), ("5.1.4", "效率", "6.1"),
            ("5.1.5", "小结", "6.1"), ("5.1.6", "练习", "6.1")),
    section("5.2", "参数管理", "parameters",
            ("5.2.1", "参数访问", "6.2"), ("5.2.2", "参数初始化", "6.3"),
            ("5.2.3", "参数绑定", "6.2"), ("5.2.4", "小结", "6.2"), ("5.2.5", "练习", "6.2")),
    section("5.3", "延后初始化", "deferred-init",
            ("5.3.1", "实例化网络", "6.4"), ("5.3.2", "小结", "6.4"), ("5.3.3", "练习", "6.4")),
    section("5.4", "自定义层", "custom-layer",
            ("5.4.1", "不带参数的层", "6.5"), ("5.4.2", "带参数的层", "6.5"),
            ("5.4.3", "小结", "6.5"), ("5.4.4", "练习", "6.5")),
    section("5.5", "读写文件", "read-write",
            ("5.5.1", "加载和保存张量", "6.6"), ("5.5.2", "加载和保存模型参数", "6.6"),
            ("5.5.3", "小结", "6.6"), ("5.5.4", "练习", "6.6")),
    section("5.6", "GPU", "use-gpu",
            ("5.6.1", "计算设备", "6.7"), ("5.6.2", "张量与GPU", "6.7"),
            ("5.6.3", "神经网络与GPU", "6.7"), ("5.6.4", "小结", "6.7"), ("5.6.5", "练习", "6.7")),
)  # fmt: skip

# An example's `section`: '5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)', the subsection and a
# note in brackets after it optional ('… (6.1 Layers and Modules) (older edition)').
_LABEL = re.compile(
    r"(?P<number>\d+\.\d+) (?P<title>[^,(]+?)(, (?P<sub>(?P<subsection>\d+\.\d+\.\d+) [^(]+?))? "
    r"\((?P<english>[^)]*)\)( \((?P<note>[^)]*)\))?"
)


def section_label(number: str, note: str = "") -> str:
    """The label an example gives as its `section`, from a section's or a subsection's number:
    '5.4.2' -> '5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)'."""
    found = book_section(number)
    label = f"{found.number} {found.title}"
    english = found.english
    if number != found.number:
        sub = next((s for s in found.subsections if s.number == number), None)
        if sub is None:
            raise ValueError(f"no subsection {number} in {found.number} {found.title}")
        label += f", {sub.number} {sub.title}"
        english = (sub.english,)
    return f"{label} ({english_titles(english)})" + (f" ({note})" if note else "")


def book_section(number: str) -> Section:
    """The section of a section's or a subsection's number ('5.4', '5.4.2')."""
    found = [s for s in SECTIONS if number == s.number or number.startswith(s.number + ".")]
    if not found:
        raise ValueError(f"no section {number} in chapter {CHAPTER}")
    return found[0]


def section_of(label: str) -> Section | None:
    """The section an example's label names (None for '' and for a label of no section)."""
    match = _LABEL.fullmatch(label)
    return next((s for s in SECTIONS if match and s.number == match["number"]), None)


def label_problem(label: str) -> str:
    """'' where `label` is the label `section_label` gives for what it names; else what is wrong."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return f"{label!r} is not '5.N 标题[, 5.N.M 标题] (6.K English title)[ (note)]'"
    number = match["subsection"] or match["number"]
    try:
        expected = section_label(number, match["note"] or "")
    except ValueError as error:
        return str(error)
    return "" if label == expected else f"{label!r} should read {expected!r}"


def subsection_part(label: str) -> str:
    """What a label adds to its section's: '5.4.2 带参数的层', a note '(older edition)', or ''."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return label
    note = f"({match['note']})" if match["note"] else ""
    return " ".join(part for part in (match["sub"], note) if part)


@dataclass(frozen=True)
class Source:
    document: Document
    section: str  # "" outside the book
    shows: str


def described(document: str, section: str, shows: str) -> Source:
    """An example's document with its title, its book section (if any), and what it shows."""
    found = DOCUMENTS.get(document, Document(document, f"[{document}]", "unknown document"))
    return Source(found, section, shows)


def short_name(document: str) -> str:
    """'003_509c77070272da3f.txt' -> '003'; the book -> 'd2l'."""
    if document == BOOK:
        return "d2l"
    return document.split("_", 1)[0] if document in DOCUMENTS else document
