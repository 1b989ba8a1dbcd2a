"""The registry: every example, under the catalogue's name, in the catalogue's order.

Each topic module lists its examples in `EXAMPLES`; adding an entry there adds it to every generic
test and to the command line.
"""

from __future__ import annotations

import difflib

from . import (
    chapter,
    exercises,
    parallel_modules,
    parameter_access,
    sharing_blog,
    sharing_utils,
    why_share,
)
from .example import Example

TOPICS = (
    parallel_modules,
    parameter_access,
    sharing_blog,
    exercises,
    sharing_utils,
    why_share,
    chapter,
)

EXAMPLES: dict[str, Example] = {e.name: e for topic in TOPICS for e in topic.EXAMPLES}


class UnknownExample(LookupError):
    def __init__(self, name: str, close: list[str]):
        self.name, self.close = name, close
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        super().__init__(f"unknown example {name!r}.{hint} (`python -m reference list` lists all)")


def get(name: str) -> Example:
    try:
        return EXAMPLES[name]
    except KeyError:
        close = difflib.get_close_matches(name, EXAMPLES, n=3, cutoff=0.5)
        close += [n for n in EXAMPLES if name and name in n and n not in close][: 3 - len(close)]
        raise UnknownExample(name, close) from None


def names() -> list[str]:
    return list(EXAMPLES)
