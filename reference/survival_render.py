"""The tie survival table for a reader: the text table of one release, grouped by operation with
surprising cells marked, and the matrix of several releases (text, Markdown, heat map) read from
the JSON that `python -m reference survival --json` printed in each release.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .layout import breakable, display_width, render_table, terminal_width, wrap_text
from .releases import SUPPORTED_FLOOR, releases_before
from .survival_cases import KNOWN_ERRORS, OPERATIONS, STEP
from .survival_models import MODELS
from .survival_operations import COMPILE_BACKEND

# --- what a cell says -----------------------------------------------------------------------------

LEGEND = {
    "tied": "the two names are one object",
    "split, shared": "two objects over one storage",
    "split": "two separate tensors",
    "once": "+ SGD step (gradient of ones, lr=1): the tie took one update",
    "twice": "+ SGD step: its storage took two updates (two objects, or one listed twice)",
    "apart": "+ SGD step: the names moved as separate copies",
    "raises": "the operation raised (the error says which, by type and a stable phrase)",
    "not installed": "the operation needs an optional package that is absent",
    "not measured": "(across releases) that release's table was run before the operation was added",
    "*": "surprising: a split, a double step, an error or values other than promised; the notes "
    "cite why",
    "≠values": "the tie holds values other than the operation promises",
}

EXPECTED = {"tied", "once"}


def operation_of(row: dict):
    name = row["operation"].removesuffix(STEP)
    return next((op for op in OPERATIONS if op.name == name), None)


def surprising(row: dict) -> bool:
    if row["outcome"].startswith("not installed"):
        return False
    reached_more_than_once = row.get("visits") not in (None, "once")
    return (
        row["outcome"] not in EXPECTED
        or row.get("promised_values") is False
        or reached_more_than_once
    )


def cell(row: dict) -> str:
    """The short text of a row: its outcome, the error's type, a mark where it surprises."""
    text = row["outcome"]
    if row.get("error"):
        text = "raises " + row["error"]  # its type and its phrase: two errors never share a cell
    if text.startswith("not installed"):
        return text.split(":", 1)[0]
    if row.get("promised_values") is False and not row["operation"].endswith(STEP):
        text += " ≠values"  # a step row's outcome already counts its updates
    if row.get("visits"):
        text += f", reached {row['visits']}"  # how often a visiting operation reached the tie
    return ("*" if surprising(row) else "") + text


def explanation(row: dict) -> str | None:
    """The citation that explains a surprising row, as one line; None where there is none."""
    op = operation_of(row)
    if row.get("error"):
        known = next((k for k in KNOWN_ERRORS if k.text == row["error"]), None)
        if known:
            return known.citation.line()
        # An error an older release raised, named with its reason by the operation's Earlier entry.
        earlier = next(
            (e for e in op.earlier if e.error == row["error"] and row["model"] in e.models), None
        ) if op else None  # fmt: skip
        return earlier.citation.line() if earlier else None
    citation = op.citation_for(row["model"]) if op else None
    return citation.line() if citation else None


def legend_and_notes() -> dict:
    """What `--json` carries beside the rows, so that the JSON reads without this code."""
    notes = {}
    for op in OPERATIONS:
        lines = [op.note] if op.note else []
        lines += [f"{', '.join(c.models)}: {c.line()}" for c in op.citations]
        # Each earlier outcome holds on the releases from the one before it up to its own change.
        after = SUPPORTED_FLOOR
        for e in sorted(op.earlier, key=lambda e: e.until):
            lines.append(
                f"on {releases_before(e.until, after)}, {', '.join(e.models)}: {e.outcome}"
                + (f" ({e.error})" if e.error else "")
                + f"; {e.citation.line()}"
            )
            after = e.until
        if lines:
            notes[op.name] = lines
    return {
        "legend": LEGEND,
        "models": {m.name: f"{m.how} ({m.names[0]} / {m.names[1]})" for m in MODELS},
        "errors": {k.text: k.citation.line() for k in KNOWN_ERRORS},
        "notes": notes,
    }


# --- one release ----------------------------------------------------------------------------------


def model_blocks(
    models: list[str], column: dict[str, int], operations: int, width: int
) -> list[list[str]]:
    """The models in blocks, each as many columns as fit beside the operations' column."""
    blocks: list[list[str]] = [[]]
    used = operations
    for model in models:
        if blocks[-1] and used + 2 + column[model] > width - 1:
            blocks.append([])
            used = operations
        blocks[-1].append(model)
        used += 2 + column[model]
    return blocks


def fitted(text: str, limit: int) -> int:
    """The width a cell asks for: all of it up to `limit`, else its widest word (it wraps)."""
    whole = display_width(text)
    if whole <= limit:
        return whole
    return max(display_width(piece) for word in text.split() for piece in breakable(word, limit))


def indented(key: str, text: str) -> str:
    """'  key: text', wrapped to the terminal under its own indent."""
    return wrap_text(f"{key}: {text}", indent="  ", hanging="      ")


def render(table: dict) -> str:
    """Operations down, models across (in blocks of as many models as the terminal fits); an
    operation and its step row together, a blank line between operations; surprising cells marked
    with * and explained under the table.
    """
    width = terminal_width()
    models = list(dict.fromkeys(r["model"] for r in table["rows"]))
    found = {(r["operation"], r["model"]): r for r in table["rows"]}
    names = list(dict.fromkeys(r["operation"] for r in table["rows"]))
    cells = {(n, m): cell(found[n, m]) if (n, m) in found else "" for n in names for m in models}
    # A column is as wide as its widest cell, or its widest word where that is too wide (it wraps).
    column = {
        m: max([display_width(m)] + [fitted(cells[n, m], width // 3) for n in names])
        for m in models
    }
    # The operations' column narrows to its longest word, so that more models fit beside it.
    operations = max(display_width(word) for name in names for word in name.split())
    out = [f"Tie survival on torch {table['torch']} (compile backend: {COMPILE_BACKEND})"]
    blocks = model_blocks(models, column, operations, width)
    for block in blocks:
        rows = []
        for name in names:
            if not name.endswith(STEP) and rows:
                rows.append([""] * (len(block) + 1))
            rows.append([name] + [cells[name, m] for m in block])
        out.append("")
        if len(blocks) > 1:
            first = models.index(block[0]) + 1
            out += [f"models {first}-{first + len(block) - 1} of {len(models)}:", ""]
        # The models' cells wrap first; the operations only where that is not enough.
        text = render_table(["", *block], rows, wrap=tuple(range(1, len(block) + 1)), width=width)
        if max(display_width(line) for line in text.splitlines()) > width:
            text = render_table(["", *block], rows, wrap=tuple(range(len(block) + 1)), width=width)
        out.append(text)
    out += ["", "Legend:"] + [indented(key, text) for key, text in table["legend"].items()]
    out += ["", "Models:"] + [indented(m, how) for m, how in table["models"].items() if m in models]
    out += ["", "Why (surprising cells):"]
    seen = set()
    for r in table["rows"]:
        if surprising(r):
            why = explanation(r) or "no citation: unexplained"
            key = (r["operation"].removesuffix(STEP), why)
            if key not in seen:
                seen.add(key)
                out.append(indented(*key))
    notes = {op: lines for op, lines in table["notes"].items() if op in {operation_of(r).name for r in table["rows"] if operation_of(r)}}  # fmt: skip
    out += ["", "Notes:"] + [indented(op, line) for op, lines in notes.items() for line in lines]
    return "\n".join(out)


# --- several releases -----------------------------------------------------------------------------


def release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("+")[0].split(".")[:3])


def load_tables(paths: list[Path]) -> list[dict]:
    """The tables saved by `survival --json`, from files or folders of them, oldest release first."""
    files = [f for p in paths for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    return by_release([json.loads(f.read_text(encoding="utf-8")) for f in files])


def by_release(tables: list[dict]) -> list[dict]:
    return sorted(tables, key=lambda t: release_key(t["torch"]))


def release_name(table: dict) -> str:
    return table["torch"].split("+")[0]


def runs(values: list[str], releases: list[str]) -> list[tuple[str, str, str]]:
    """Consecutive releases with the same value: (first, last, value)."""
    found = []
    for release, value in zip(releases, values, strict=True):
        if found and found[-1][2] == value:
            found[-1] = (found[-1][0], release, value)
        else:
            found.append((release, release, value))
    return found


# A row absent from a release's table: the operation was added after that release was measured.
NOT_MEASURED = "not measured"


def matrix_rows(tables: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(operation, model, one cell per release) in the newest table's order; a row absent from a
    release (an operation added later) reads NOT_MEASURED.
    """
    order = [(r["operation"], r["model"]) for r in tables[-1]["rows"]]
    for t in tables:
        order += [(r["operation"], r["model"]) for r in t["rows"] if (r["operation"], r["model"]) not in order]  # fmt: skip
    by_release = [{(r["operation"], r["model"]): r for r in t["rows"]} for t in tables]
    # Visits are recorded from the release the count was added: before it, they were not measured.
    visiting = {key for rows in by_release for key, r in rows.items() if "visits" in r}

    def release_cell(found: dict, key: tuple[str, str]) -> str:
        if key not in found:
            return NOT_MEASURED
        row = found[key]
        unmeasured = key in visiting and "visits" not in row and not row.get("error")
        return cell(row) + (", reached: not measured" if unmeasured else "")

    return [(op, m, [release_cell(found, (op, m)) for found in by_release]) for op, m in order]


def across(cells: list[str], releases: list[str]) -> str:
    """A row identical on every release is one cell; otherwise the runs of releases."""
    found = runs(cells, releases)
    if len(found) == 1:
        return cells[0]
    return "; ".join(f"{a}: {v}" if a == b else f"{a}–{b}: {v}" for a, b, v in found)


def render_matrix(tables: list[dict]) -> str:
    tables = by_release(tables)
    releases = [release_name(t) for t in tables]
    blocks: dict[str, list[list[str]]] = {}
    for op, model, cells in matrix_rows(tables):
        blocks.setdefault(op, []).append([model, across(cells, releases)])
    out = [wrap_text(f"Tie survival across {len(releases)} releases: {', '.join(releases)}")]
    out.append("Each operation, then each model's outcome, by release where they differ.")
    for op, rows in blocks.items():
        table = render_table(["", ""], rows, wrap=(1,), width=terminal_width() - 2)
        out += ["", op, textwrap.indent(table, "  ")]
    out += ["", "Measured:"] + [wrap_text(measured(t), indent="  ", hanging="    ") for t in tables]
    return "\n".join(out)


def measured(table: dict) -> str:
    env = table.get("environment", {})
    build = f"CUDA {env['cuda_build']} build" if env.get("cuda_build") else "CPU build"
    return (
        f"{release_name(table)}: torch {table['torch']} ({build}, run on the CPU), "
        f"Python {env.get('python', '?')}, {env.get('platform', '?')}, {env.get('cpu', '?')}, "
        f"on {env.get('date', '?')}"
    )


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


# How docs/survival-matrix.md and its heat map are made: one command regenerates both.
REGENERATE = (
    "python -m reference survival --matrix docs/survival --markdown docs/survival-matrix.md "
    "--heatmap docs/survival-matrix.png"
)


def render_markdown(
    tables: list[dict], heatmap: str | None = None, command: str = REGENERATE
) -> str:
    """The matrix as a Markdown document: how it was made (`command`), the columns, the rows, the
    reasons."""
    tables = by_release(tables)
    releases = [release_name(t) for t in tables]
    newest = tables[-1]
    out = [
        "# Tie survival across PyTorch releases",
        "",
        f"Generated by `{command}` from the per-release results, each printed "
        "by `python -m reference survival --json` in a fresh environment with that release "
        "installed. Do not edit by hand: rerun the table in a release and regenerate.",
        "",
        "A row that is the same on every release is one cell; otherwise the cell lists the runs "
        "of releases that agree. `*` marks a surprising outcome (a split, a double step, an error, "
        "values other than promised); *Why* below cites the tracker issue, release note or "
        "documentation that explains it.",
        "",
        "## Measured",
        "",
    ]
    out += [f"- {measured(t)}" for t in tables]
    if heatmap:
        out += ["", f"![tied / split / error per release]({heatmap})"]
    out += ["", "## Rows", "", f"| operation | model | torch {releases[0]} … {releases[-1]} |"]
    out += ["|---|---|---|"]
    previous = None
    for op, model, cells in matrix_rows(tables):
        label = f"`{op}`" if op != previous else ""
        out.append(f"| {markdown_cell(label)} | {model} | {markdown_cell(across(cells, releases))} |")  # fmt: skip
        previous = op
    out += ["", "## Legend", ""] + [f"- `{k}`: {v}" for k, v in newest["legend"].items()]
    out += ["", "## Why", ""]
    # The notes are the code's (its citations are the maintained ones), not a saved table's.
    notes = legend_and_notes()["notes"]
    out += [f"- `{op}`: {line}" for op, lines in notes.items() for line in lines]
    out += [f"- `{error}`: {why}" for error, why in newest["errors"].items()]
    return "\n".join(out) + "\n"


# The heat map's classes of outcome, each its own colour: (name, colour).
HEAT_CLASSES = (
    ("tied (one update a step)", "#43a047"),
    ("split by design (documented)", "#fdd835"),
    ("split by a PyTorch bug", "#e53935"),
    ("double step / tie reached twice", "#fb8c00"),
    ("values other than promised", "#8e24aa"),
    ("unsupported here (no tie broke)", "#b0bec5"),
    ("error", "#37474f"),
    ("not measured / not installed", "#ffffff"),
)
TIED, BY_DESIGN, BY_BUG, DOUBLE_STEP, OTHER_VALUES, UNSUPPORTED, ERROR, ABSENT = range(8)


def heat_class(row: dict | None) -> int:
    """The class of one row's outcome on one release."""
    if row is None or row["outcome"].startswith("not installed"):
        return ABSENT
    if row.get("error"):
        known = next((k for k in KNOWN_ERRORS if k.text == row["error"]), None)
        return UNSUPPORTED if known is not None and known.unsupported else ERROR
    if row.get("promised_values") is False and not row["operation"].endswith(STEP):
        return OTHER_VALUES
    if row["outcome"] == "twice":
        return DOUBLE_STEP
    if row["outcome"] in EXPECTED:
        # A visiting operation that reaches the tie twice runs what it is given twice on it.
        return TIED if row.get("visits") in (None, "once") else DOUBLE_STEP
    op = operation_of(row)
    citation = op.citation_for(row["model"]) if op else None
    return BY_DESIGN if citation is not None and not citation.bug else BY_BUG


def heat_rows(tables: list[dict], every_row: bool) -> list[tuple[str, list[int]]]:
    """(label, one class per release): every row, or only those that change across the releases
    that measured them or are anything but tied on some release."""
    by_release = [{(r["operation"], r["model"]): r for r in t["rows"]} for t in tables]
    found = []
    for op, model, _ in matrix_rows(tables):
        classes = [heat_class(rows.get((op, model))) for rows in by_release]
        # A release that did not measure the row (or lacked its package) shows no change.
        measured = set(classes) - {ABSENT}
        if every_row or len(measured) > 1 or measured - {TIED}:
            found.append((f"{op} · {model}", classes))
    return found


def plot_heatmap(tables: list[dict], path: str, every_row: bool = False) -> None:
    """The rows that change across releases or surprise (every row with `every_row`), one colour per
    class of outcome, surprising cells marked with *, at page width (needs matplotlib). Drawn on a
    Figure of its own: pyplot's state is the caller's."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from .plots import plot_format

    tables = by_release(tables)
    releases = [release_name(t) for t in tables]
    rows = heat_rows(tables, every_row)
    values = [classes for _, classes in rows] or [[ABSENT] * len(releases)]
    figure = Figure(figsize=(8.0, 1.6 + 0.24 * max(len(rows), 1)))
    axes = figure.add_subplot()
    colours = ListedColormap([colour for _, colour in HEAT_CLASSES])
    axes.imshow(values, cmap=colours, vmin=0, vmax=len(HEAT_CLASSES) - 1, aspect="auto")
    for y, (_, classes) in enumerate(rows):
        for x, kind in enumerate(classes):
            if kind not in (TIED, ABSENT):
                mark = "white" if kind in (BY_BUG, ERROR, OTHER_VALUES) else "black"
                axes.text(x, y, "*", ha="center", va="center", fontsize=9, color=mark)
    axes.set_xticks(range(len(releases)), releases, rotation=45, fontsize=8)
    axes.set_yticks(range(len(rows)), [label for label, _ in rows], fontsize=8)
    shown = "every row" if every_row else "the rows that change across releases or surprise"
    axes.set_title(f"Tie survival per release: {shown} (* surprising)", fontsize=9)
    legend = [Patch(facecolor=c, edgecolor="black", label=n) for n, c in HEAT_CLASSES]
    figure.legend(handles=legend, loc="lower center", ncols=3, fontsize=8, frameon=False)
    figure.subplots_adjust(bottom=min(0.45, 1.3 / figure.get_figheight()))
    figure.savefig(path, format=plot_format(path), dpi=110, bbox_inches="tight")
