"""Text that fits the terminal: widths counted as a terminal counts them (a Chinese character
takes two columns), words wrapped to the width, tables whose wrappable columns narrow until they fit.
The command line and the survival table's renderer both lay out their text here.
"""

from __future__ import annotations

import re
import shutil
import unicodedata

# Where the output is not a terminal (a pipe, a file), lines are laid out to this width.
NOT_A_TERMINAL = 100


def terminal_width() -> int:
    """The width to lay text out to: the terminal's columns (COLUMNS where set), at most 100, the
    width used where the output is not a terminal; at least 60 (narrower, the terminal wraps)."""
    return max(60, min(NOT_A_TERMINAL, shutil.get_terminal_size((NOT_A_TERMINAL, 24)).columns))


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap_words(
    text: str | list[str], width: int, indent: str = "", hanging: str | None = None
) -> list[str]:
    """Lines of at most `width` columns, counted as a terminal does (textwrap counts characters,
    and a Chinese character takes two columns); a word longer than a line keeps its own line.
    `text` is split at spaces, or given as its words (a key with a space must not break)."""
    hanging = indent if hanging is None else hanging
    lines, line, fresh = [], indent, True
    words = text.split() if isinstance(text, str) else text
    for word in (piece for w in words for piece in breakable(w, width - display_width(hanging))):
        candidate = line + ("" if fresh else " ") + word
        if fresh or display_width(candidate) <= width:
            line, fresh = candidate, False
        else:
            lines.append(line)
            line = hanging + word
    lines.append(line)
    return lines


def two_spaced(*fields: str) -> list[str]:
    """Words for `wrap_words` that keep two spaces between fields (a name, then a title) and one
    between the words of a field."""
    words: list[str] = []
    for field in fields:
        parts = field.split()
        if words and parts:
            parts[0] = " " + parts[0]
        words += parts
    return words


def units(word: str) -> list[str]:
    """The pieces a word may break into: its characters where it holds Chinese text, its dotted
    parts ('state.' 'step') where it is a dotted name, else the word itself."""
    if any(display_width(c) == 2 for c in word):
        return list(word)
    if "." in word.strip(".'\"`;:,"):
        return re.findall(r"[^.]*\.|[^.]+$", word)
    return [word]


def narrowest_width(word: str) -> int:
    """The fewest columns `word` can be wrapped into."""
    return max(display_width(unit) for unit in units(word))


def breakable(word: str, room: int) -> list[str]:
    """A word as pieces a line may end between: whole, unless it is wider than `room`. Then Chinese
    text may break between any two characters, and a dotted name after a dot
    ('state.decoder.' 'weight.step'); any other word keeps whole."""
    if display_width(word) <= room:
        return [word]
    pieces, piece = [], ""
    for unit in units(word):
        if piece and display_width(piece + unit) > room:
            pieces.append(piece)
            piece = ""
        piece += unit
    return [*pieces, piece]


def wrap_text(text: str | list[str], indent: str = "", hanging: str | None = None) -> str:
    """`text` filled to the terminal; following lines indented by `hanging` (default: `indent`)."""
    return "\n".join(wrap_words(text, terminal_width() - 1, indent, hanging))


def render_table(
    header: list[str],
    rows: list[list[str]],
    wrap: tuple[int, ...] = (),
    width: int | None = None,
) -> str:
    """Columns two spaces apart; the columns in `wrap` are narrowed and wrapped until the table
    fits `width` (the terminal's), widest first."""
    width = width or terminal_width()
    lines = [header, *rows] if any(header) else rows
    widths = [max(display_width(line[i]) for line in lines) for i in range(len(header))]
    # A wrapped column keeps its longest unbreakable piece whole (a parameter name must not break
    # but after a dot).
    narrowest = {
        i: max(narrowest_width(w) for line in lines for w in line[i].split() or [""]) for i in wrap
    }
    while sum(widths) + 2 * (len(widths) - 1) > width - 1:
        wrappable = [i for i in wrap if widths[i] > max(narrowest[i], len(header[i]) // 2, 8)]
        if not wrappable:
            break
        widest = max(wrappable, key=lambda i: widths[i])
        widths[widest] -= 1
    out = []
    if any(header):
        out += [header, ["-" * w for w in widths]]
    rendered = []
    for line in out + rows:
        cells = [
            wrap_words(cell, w) if i in wrap and line not in out else [cell]
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        for k in range(max(len(c) for c in cells)):
            parts = [c[k] if k < len(c) else "" for c in cells]
            rendered.append(
                "  ".join(
                    p + " " * (w - display_width(p)) for p, w in zip(parts, widths, strict=True)
                ).rstrip()
            )
    return "\n".join(rendered)
