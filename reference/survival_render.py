"""The tie survival table for a reader: the text table of one release, grouped by operation with
surprising cells marked, and the matrix of several releases (text, Markdown, heat map) read from
the JSON that `python -m reference survival --json` printed in each release.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .layout import display_width, render_table, terminal_width, wrap_text
from .survival_cases import COMPILE_BACKEND, KNOWN_ERRORS, MODELS, OPERATIONS, STEP

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
    return row["outcome"] not in EXPECTED or row.get("promised_values") is False


def cell(row: dict) -> str:
    """The short text of a row: its outcome, the error's type, a mark where it surprises."""
    text = row["outcome"]
    if row.get("error"):
        text = "raises " + row["error"].split(":", 1)[0]
    if text.startswith("not installed"):
        return text.split(":", 1)[0]
    if row.get("promised_values") is False and not row["operation"].endswith(STEP):
        text += " ≠values"  # a step row's outcome already counts its updates
    return ("*" if surprising(row) else "") + text


def explanation(row: dict) -> str | None:
    """The citation that explains a surprising row, as one line; None where there is none."""
    if row.get("error"):
        known = next((k for k in KNOWN_ERRORS if k.text == row["error"]), None)
        return known.citation.line() if known else None
    op = operation_of(row)
    citation = op.citation_for(row["model"]) if op else None
    return citation.line() if citation else None


def legend_and_notes() -> dict:
    """What `--json` carries beside the rows, so that the JSON reads without this code."""
    notes = {}
    for op in OPERATIONS:
        lines = [op.note] if op.note else []
        lines += [f"{', '.join(c.models)}: {c.line()}" for c in op.citations]
        lines += [
            f"before torch {e.until[0]}.{e.until[1]}, {', '.join(e.models)}: {e.outcome}"
            + (f" ({e.error})" if e.error else "")
            + f"; {e.citation.line()}"
            for e in op.earlier
        ]
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


def indented(key: str, text: str) -> str:
    """'  key: text', wrapped to the terminal under its own indent."""
    return wrap_text(f"{key}: {text}", indent="  ", hanging="      ")


def render(table: dict) -> str:
    """Operations down, models across (in blocks of as many models as the terminal fits); an
    operation and its step row together, a blank line between operations; surprising cells marked
    with * and explained under the table.
    """
    models = list(dict.fromkeys(r["model"] for r in table["rows"]))
    found = {(r["operation"], r["model"]): r for r in table["rows"]}
    names = list(dict.fromkeys(r["operation"] for r in table["rows"]))
    cells = {(n, m): cell(found[n, m]) if (n, m) in found else "" for n in names for m in models}
    column = {
        m: max([display_width(m)] + [display_width(cells[n, m]) for n in names]) for m in models
    }
    # The operations' column narrows to its longest word, so that more models fit beside it.
    operations = max(display_width(word) for name in names for word in name.split())
    width = terminal_width()
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
        out.append(render_table(["", *block], rows, wrap=(0,), width=width))
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


def matrix_rows(tables: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(operation, model, one cell per release) in the newest table's order; a row absent from a
    release (an operation added later) reads "-".
    """
    order = [(r["operation"], r["model"]) for r in tables[-1]["rows"]]
    for t in tables:
        order += [(r["operation"], r["model"]) for r in t["rows"] if (r["operation"], r["model"]) not in order]  # fmt: skip
    by_release = [{(r["operation"], r["model"]): r for r in t["rows"]} for t in tables]
    return [(op, m, [cell(found[op, m]) if (op, m) in found else "-" for found in by_release]) for op, m in order]  # fmt: skip


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
    out += [f"- `{op}`: {line}" for op, lines in newest["notes"].items() for line in lines]
    out += [f"- `{error}`: {why}" for error, why in newest["errors"].items()]
    return "\n".join(out) + "\n"


CATEGORIES = (  # (name, colour) for the heat map, from expected to broken
    ("tied / once", "#4caf50"),
    ("split, shared / twice", "#ffb300"),
    ("split / apart", "#e53935"),
    ("values other than promised", "#8e24aa"),
    ("raises", "#616161"),
    ("absent / not installed", "#ffffff"),
)


def category(text: str) -> int:
    plain = text.lstrip("*")
    if plain in ("-",) or plain.startswith("not installed"):
        return 5
    if plain.startswith("raises"):
        return 4
    if "≠values" in plain:
        return 3
    if plain.startswith(("split, shared", "twice")):
        return 1
    if plain.startswith(("split", "apart", "moved")):
        return 2
    return 0


def plot_heatmap(tables: list[dict], path: str) -> None:
    """tied / split / error per row and release, as a PNG (needs matplotlib)."""
    tables = by_release(tables)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    releases = [release_name(t) for t in tables]
    found = matrix_rows(tables)
    values = [[category(c) for c in cells] for _, _, cells in found]
    colours = [colour for _, colour in CATEGORIES]
    figure, axes = plt.subplots(figsize=(2.5 + 0.7 * len(releases), 1.5 + 0.13 * len(found)))
    axes.imshow(values, cmap=ListedColormap(colours), vmin=0, vmax=len(colours) - 1, aspect="auto")
    axes.set_xticks(range(len(releases)), releases, rotation=45, fontsize=7)
    axes.set_yticks(range(len(found)), [f"{op} · {m}" for op, m, _ in found], fontsize=5)
    axes.set_title("Tie survival per release", fontsize=9)
    legend = [Patch(facecolor=c, edgecolor="black", label=n) for n, c in CATEGORIES]
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
