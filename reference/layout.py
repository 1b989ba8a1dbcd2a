"""Text that fits the terminal: widths counted as a terminal counts them (a Chinese character
takes two columns), words wrapped to the width, tables whose wrappable columns narrow until they fit.
The command line and the survival table's renderer both lay out their text here.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata

# Where no terminal is known (a CI log, a cron job's mail), lines are laid out to this width.
NO_TERMINAL = 80
# A wider terminal gets lines this wide at most (longer lines read badly), a narrower one at least
# this (narrower, the terminal wraps).
WIDEST, NARROWEST = 100, 60


def terminal_width() -> int:
    """The width to lay text out to: COLUMNS where it is set (the user's say, as shutil and argparse
    take it); else the columns of the terminal the output ends in; else 80. At most 100, at least 60.
    """
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() else terminal_columns()
    return max(NARROWEST, min(WIDEST, width or NO_TERMINAL))


def terminal_columns() -> int | None:
    """The width of the terminal the output ends in: stdout's; where stdout is a pipe or a file
    (`| less`, `| head`, `> out.txt`), the terminal the command was typed in, which stderr, stdin or
    the controlling terminal (/dev/tty) is; None where there is none (a CI job, cron)."""
    for stream in (sys.__stdout__, sys.__stderr__, sys.__stdin__):
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # None, closed, or not a terminal
            continue
        if columns > 0:
            return columns
    try:
        tty = os.open("/dev/tty", os.O_RDONLY)  # no controlling terminal, or Windows: OSError
    except OSError:
        return None
    try:
        return os.get_terminal_size(tty).columns or None
    except OSError:
        return None
    finally:
        os.close(tty)


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (CJK) character."""
    if text.isascii():  # no wide character: one column each (most text, and far quicker)
        return len(text)
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
    fits `width` (the terminal's), widest first, their headings too. A cell's own line breaks are
    kept (a matrix, a row to a line)."""
    width = width or terminal_width()
    lines = [header, *rows] if any(header) else rows
    widths = [
        max(display_width(part) for line in lines for part in line[i].split("\n"))
        for i in range(len(header))
    ]
    # A wrapped column keeps its longest unbreakable piece whole (a parameter name must not break
    # but after a dot), and its heading's longest word.
    narrowest = {
        i: max(narrowest_width(w) for line in lines for w in line[i].split() or [""]) for i in wrap
    }
    while sum(widths) + 2 * (len(widths) - 1) > width - 1:
        wrappable = [i for i in wrap if widths[i] > max(narrowest[i], 8)]
        if not wrappable:
            break
        widest = max(wrappable, key=lambda i: widths[i])
        widths[widest] -= 1
    rendered = []
    for k, line in enumerate(lines):
        rendered += table_lines(line, widths, wrap)
        if k == 0 and any(header):
            rendered.append("  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def table_lines(cells: list[str], widths: list[int], wrap: tuple[int, ...]) -> list[str]:
    """One row of a table as lines: each cell in its column, wrapped where its column wraps."""
    columns = [
        [
            piece
            for part in cell.split("\n")
            # A part that fits keeps its own spacing (aligned numbers); a wider one is wrapped.
            for piece in (wrap_words(part, w) if i in wrap and display_width(part) > w else [part])
        ]
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
    ]
    lines = []
    for k in range(max(len(c) for c in columns)):
        parts = [c[k] if k < len(c) else "" for c in columns]
        padded = [p + " " * (w - display_width(p)) for p, w in zip(parts, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return lines
