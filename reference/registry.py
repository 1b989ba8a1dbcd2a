"""The registry: every example, under the catalogue's name, in the catalogue's order.

Each topic module lists its examples in `EXAMPLES`; adding an entry there adds it to every generic
test and to the command line.
"""

from __future__ import annotations

import difflib

from . import (
    construction_exercises,
    custom_layer,
    deferred_init,
    model_construction,
    parallel_modules,
    parameter_access,
    parameters,
    read_write,
    sharing_article,
    sharing_blog,
    why_share,
)
from .example import Example

TOPICS = (
    parallel_modules,
    parameter_access,
    sharing_blog,
    construction_exercises,
    sharing_article,
    why_share,
    # The book's chapter, section by section (use_gpu, §6.7, has no registered example).
    model_construction,
    parameters,
    deferred_init,
    custom_layer,
    read_write,
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
        raise UnknownExample(name, close_names(name)) from None


def close_names(name: str, most: int = 3) -> list[str]:
    """Names that look like `name`: close as a whole, or sharing a close word ('tide' ~ 'tied_…')."""
    close = difflib.get_close_matches(name, EXAMPLES, n=most, cutoff=0.6)
    words = name.lower().replace("-", "_").split("_")
    for candidate in EXAMPLES:
        if (
            len(close) < most
            and candidate not in close
            and any(
                difflib.get_close_matches(w, candidate.split("_"), cutoff=0.75) for w in words if w
            )
        ):
            close.append(candidate)
    return close


def names() -> list[str]:
    return list(EXAMPLES)
