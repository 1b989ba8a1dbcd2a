"""The source documents by name: their titles, and the book's sections as the Chinese edition names them.

An example's `source` reads "<document> <what it shows>" (see `reference/example.py`); the command
line splits it here so that a reader sees which document, under which title, and which section.
Nothing here imports torch: `list` and `--help` stay fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOOK = "d2l-ch6"
# How the chapter's examples begin their source; each section module goes on with its § and title.
CHAPTER_SOURCE = f"{BOOK} chapter 'Deep Learning Computation'"


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
            "深度学习计算 (Deep Learning Computation)",
            "Dive into Deep Learning, the chapter the documents follow",
        ),
    )
}

# The chapter's sections: the Chinese edition's names (the documents are the Chinese edition), keyed
# by the English edition's titles, which the registry's sources cite (§6.1 …). Each section's code
# is the module of that name: model-construction -> reference/model_construction.py.
SECTIONS = {
    "Layers and Modules": "model-construction",
    "Parameter Management": "parameters",
    "Parameter Initialization": "parameters",
    "Lazy Initialization": "deferred-init",
    "Custom Layers": "custom-layer",
    "File I/O": "read-write",
    "GPUs": "use-gpu",
}

_BOOK_SOURCE = re.compile(r"chapter '[^']*' §\d+\.\d+ (?P<title>[^:(]+?)(?P<note> \([^)]*\))?: ")


@dataclass(frozen=True)
class Source:
    document: Document
    section: str  # "" outside the book
    shows: str


def section_label(english_title: str) -> str:
    """'Lazy Initialization' -> 'deferred-init (Lazy Initialization)'."""
    return f"{SECTIONS.get(english_title, english_title)} ({english_title})"


def parse(source: str) -> Source:
    """'003_….txt MySequential …' -> its document, its book section (if any), what it shows."""
    name, _, shows = source.partition(" ")
    document = DOCUMENTS.get(name, Document(name, f"[{name}]", "unknown document"))
    section = ""
    match = _BOOK_SOURCE.match(shows)
    if match:
        section = section_label(match["title"]) + (match["note"] or "")
        shows = shows[match.end() :]
    return Source(document, section, shows)


def short_name(document: str) -> str:
    """'003_509c77070272da3f.txt' -> '003'; the book -> 'd2l'."""
    if document == BOOK:
        return "d2l"
    return document.split("_", 1)[0] if document in DOCUMENTS else document
