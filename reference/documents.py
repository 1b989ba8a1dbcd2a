"""The source documents by name: their titles, and the book's sections as the Chinese edition names them.

An example names its document, its book section and what it shows (`reference/example.py`); the
command line describes them here, so that a reader sees which document, under which title, and
which section.
Nothing here imports torch: `list` and `--help` stay fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BOOK = "d2l-ch6"
CHAPTER_TITLE = "Deep Learning Computation"


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

# "§6.1 Layers and Modules (older edition)": the English title, and a note on the edition.
_SECTION = re.compile(r"§\d+\.\d+ (?P<title>[^(]+?)(?P<note> \([^)]*\))?$")


@dataclass(frozen=True)
class Source:
    document: Document
    section: str  # "" outside the book
    shows: str


def section_label(english_title: str) -> str:
    """'Lazy Initialization' -> 'deferred-init (Lazy Initialization)'."""
    return f"{SECTIONS.get(english_title, english_title)} ({english_title})"


def described(document: str, section: str, shows: str) -> Source:
    """An example's document with its title, its book section as the Chinese edition names it (if
    any), and what it shows."""
    found = DOCUMENTS.get(document, Document(document, f"[{document}]", "unknown document"))
    match = _SECTION.match(section)
    label = section_label(match["title"]) + (match["note"] or "") if match else section
    return Source(found, label, shows)


def short_name(document: str) -> str:
    """'003_509c77070272da3f.txt' -> '003'; the book -> 'd2l'."""
    if document == BOOK:
        return "d2l"
    return document.split("_", 1)[0] if document in DOCUMENTS else document
