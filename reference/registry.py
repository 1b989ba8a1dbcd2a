"""The registry: every example, under the catalogue's name, in the catalogue's order.

Each topic module lists its examples in `EXAMPLES`; adding an entry there adds it to every generic
test and to the command line. An example is found by its name, and, for a reader who knows the
documents rather than the names, by the words it is known by (`search`): its book section's number
and title, what it shows, the documents' words its claims quote, its document's title.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from . import (
    construction_exercises,
    custom_layer,
    deferred_init,
    documents,
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
from .layout import display_width

TOPICS = (
    parallel_modules,
    parameter_access,
    sharing_blog,
    construction_exercises,
    sharing_article,
    why_share,
    # The book's chapter, section by section (use_gpu, 5.6 GPU, has no registered example).
    model_construction,
    parameters,
    deferred_init,
    custom_layer,
    read_write,
)

EXAMPLES: dict[str, Example] = {e.name: e for topic in TOPICS for e in topic.EXAMPLES}


class UnknownExample(LookupError):
    def __init__(self, name: str, found: list[Found]):
        self.name, self.found = name, found
        hint = suggestion(found)
        super().__init__(f"unknown example {name!r}.{hint} (`python -m reference list` lists all)")


def get(name: str) -> Example:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise UnknownExample(name, search(name)) from None


@dataclass(frozen=True)
class Found:
    """Examples that `search` found, and where: 'a close name', 'section 5.4 自定义层 (6.5 Custom
    Layers)', 'what they show', 'the document's words their claims quote', 'the title of document
    002'."""

    names: tuple[str, ...]
    where: str


# The most names a suggestion lists of each group (a document's title matches all its examples).
MOST_NAMES = 4


def search(query: str, examples: Mapping[str, Example] | None = None) -> list[Found]:
    """The examples a mistyped or remembered name may mean, best first: close names; then, ignoring
    case, the examples whose book section holds `query` (its numbers in either edition, '5.4' or
    '6.5', its titles, its subsection's), what they show, the document's words their claims quote,
    and their document's title or file name. Each example is found once, where it ranks best."""
    examples = EXAMPLES if examples is None else examples
    close = close_names(query, examples)
    text = query.casefold().strip()
    if display_width(text) < 2:  # one digit or letter is in nearly every text
        return [Found(tuple(close), "a close name")] if close else []
    groups: dict[tuple[int, str], list[str]] = {(0, "a close name"): close}
    for name, example in examples.items():
        if name not in close and (where := where_found(example, text)):
            groups.setdefault(where, []).append(name)
    found = []
    for (_, where), names in sorted(groups.items(), key=lambda group: group[0][0]):
        if len(names) > 1:
            where = where.replace("it shows", "they show").replace("its claims", "their claims")
        found += [Found(tuple(names), where)] if names else []
    return found


def where_found(example: Example, text: str) -> tuple[int, str] | None:
    """Where an example's text holds `text`, best first: (rank, in words), or None."""
    section = documents.section_of(example.section)
    if section is not None and text in section.label.casefold():
        return 1, f"section {section.label}"
    if section is not None and text in example.section.casefold():  # its subsection
        return 1, f"section {example.section}"
    if text in example.shows.casefold():
        return 2, "what it shows"
    if any(text in claim.quote.casefold() for claim in example.claims):
        return 3, "the document's words its claims quote"
    found = documents.DOCUMENTS.get(example.document)
    short = documents.short_name(example.document)
    if found is not None and text in found.title.casefold():
        return 4, f"the title of document {short}"
    if text in example.document.casefold():
        return 4, f"the file name of document {short}"
    return None


def suggestion(found: list[Found], most: int = MOST_NAMES) -> str:
    """' Did you mean: centered_layer, my_linear (section 5.4 自定义层 (6.5 Custom Layers))?': each
    group with where it was found, at most `most` names of each; '' where nothing was found."""
    parts = []
    for group in found:
        more = len(group.names) - most
        names = ", ".join(group.names[:most]) + (f" and {more} more" if more > 0 else "")
        parts.append(f"{names} ({group.where})")
    return f" Did you mean: {'; '.join(parts)}?" if parts else ""


def close_names(
    name: str, examples: Mapping[str, Example] | None = None, most: int = 3
) -> list[str]:
    """Names that look like `name`: close as a whole, or sharing a close word ('tide' ~ 'tied_…')."""
    examples = EXAMPLES if examples is None else examples
    close = difflib.get_close_matches(name, examples, n=most, cutoff=0.6)
    words = name.lower().replace("-", "_").split("_")
    for candidate in examples:
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
