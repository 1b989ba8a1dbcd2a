"""The tie survival table for a reader: the text table of one release, grouped by operation with
surprising cells marked, and the matrix of several releases (text, Markdown, heat map) read from
the JSON that `python -m reference survival --json` printed in each release.

A table has two parts. What was measured (`MEASURED`: the release, the environment, each model's
kind of tie, the rows) and what is said of it (`DESCRIBED`: the legend, the models, the errors and
the notes), which `described` computes from the measured part alone: the reasons of each row on its
release (`survival_cases.whys_for`), for the operations and models shown. A saved table is
described again without its release installed (`with_described`, `tools/survival_releases.py`).
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from .layout import breakable, display_width, render_table, terminal_width, wrap_text, wrap_words
from .survival_cases import OPERATIONS, STEP, Reason, Release, Why, whys_for
from .survival_models import MODELS, Tie
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
    "not installed": "the operation needs an optional package that is absent: the cell says what "
    "to pip install (nothing ran, nothing is surprising)",
    "not measured": "(across releases) that release's table was run before the operation was added",
    "*": "surprising: a split, a double step, an error, values other than promised, or a tie "
    "reached other than once; the notes cite why",
    "≠values": "the tie holds values other than the operation promises",
    "signature": "(export rows) the parameter inputs the exported graph's signature keeps for the "
    "tie's names, each with how many graph nodes read it (×N)",
    "backend": "(compile rows) the backend that ran: inductor where a C++ compiler works",
    "set_orders": "(pipelining) what each order of a set of autograd nodes gave, where they differ",
}

EXPECTED = {"tied", "once"}


def surprising(row: dict) -> bool:
    if row["outcome"].startswith("not installed"):
        return False
    reached_other_than_once = row.get("visits") not in (None, "once")
    return (
        row["outcome"] not in EXPECTED
        or row.get("promised_values") is False
        or reached_other_than_once
    )


def cell(row: dict, error: str | None = None) -> str:
    """The short text of a row: its outcome, the error (`error`, else its type and phrase), a mark
    where it surprises."""
    text = row["outcome"]
    if text.startswith("not installed"):
        return text  # what to install: "not installed: pip install numpy"
    if row.get("error"):
        # Its type and its phrase (two errors never share a cell), or what stands for them.
        text = "raises " + (error or row["error"])
    if row.get("promised_values") is False and not row["operation"].endswith(STEP):
        text += " ≠values"  # a step row's outcome already counts its updates
    if row.get("visits"):
        text += f", reached {row['visits']}"  # how often a visiting operation reached the tie
    if row.get("signature"):
        text += f", signature {row['signature']}"  # the names an export's graph keeps, its reads
    if row.get("backend"):
        text += f", {row['backend']}"  # the compiler backend that ran
    if row.get("set_orders"):
        text += f" ({row['set_orders']})"  # what each order of a set gave
    return ("*" if surprising(row) else "") + text


# --- the measured part of a table and what is said of it ------------------------------------------

MEASURED = ("torch", "release", "environment", "ties", "rows")
DESCRIBED = ("legend", "models", "errors", "notes")
# The order of a table's keys, as `survival --json` prints them.
TABLE_KEYS = ("torch", "release", "environment", "ties", "legend", "models", "errors", "notes", "rows")  # fmt: skip


def release_of(table: dict) -> Release:
    """The table's (major, minor), as it recorded it or as its torch version reads."""
    major, minor = table["release"] if "release" in table else release_key(table["torch"])[:2]
    return (major, minor)


def ties_of(table: dict) -> dict[str, Tie]:
    """Each model's kind of tie, as the table recorded it (a table saved before the kinds were
    recorded: the built-in models')."""
    entries = table["ties"] if "ties" in table else built_in_ties()
    return {name: Tie.from_json(entry["tie"]) for name, entry in entries.items()}


def built_in_ties() -> dict[str, dict]:
    """The `ties` entry of the table's own models, read from this code's models: for a table saved
    before the kinds were recorded (they depend on how a model is built, not on the release)."""
    return {m.name: tie_entry(m) for m in MODELS}


def tie_entry(tied) -> dict:
    """A model's `ties` entry: how it is tied, the two names the table follows, its kind of tie."""
    return {"how": tied.how, "names": list(tied.names), "tie": tied.tie().as_json()}


def measured_part(table: dict) -> dict:
    """What was measured, without what is said of it; a table saved before ties were recorded gets
    the built-in models' kinds."""
    found = {key: table[key] for key in MEASURED if key in table}
    found.setdefault("ties", {k: v for k, v in built_in_ties().items() if k in models_of(table)})
    return found


def models_of(table: dict) -> list[str]:
    return list(dict.fromkeys(r["model"] for r in table["rows"]))


def row_whys(table: dict) -> list[tuple[dict, list[Why]]]:
    """Each row with every reason that matches it on the table's release."""
    ties, release = ties_of(table), release_of(table)
    return [(row, whys_for(row, ties[row["model"]], release)) for row in table["rows"]]


def explaining(whys: list[Why]) -> list[Why]:
    """The reasons that explain a surprise (context notes explain none)."""
    return [why for why in whys if not why.context]


def kind_and_releases(why: Why) -> str:
    """' — a tie held by two modules, on torch 2.7–2.11': what a reason is limited to, if anything."""
    limits = ", ".join(part for part in (why.ties.words, why.releases.words()) if part)
    return f" — {limits}" if limits else ""


# A note: its own words, then the reason it cites (None: the words are all of it).
Note = tuple[str, Reason | None]


def note_parts(measured: dict) -> dict[str, list[Note]]:
    """Each operation's notes, from a table's measured part: its own note, what it needs on the
    table's release, and the reasons that match its rows there, each after the models whose rows
    they match ('models — their kind of tie, the releases: ', the reason). Only the operations the
    table shows."""
    found = row_whys(measured)
    release = release_of(measured)
    notes: dict[str, list[Note]] = {}
    for name in dict.fromkeys(r["operation"].removesuffix(STEP) for r in measured["rows"]):
        op = next((op for op in OPERATIONS if op.name == name), None)
        if op is None:  # a saved row of an operation this code no longer has: nothing to say
            continue
        parts: list[Note] = [(op.note, None)] if op.note else []
        parts += [(f"needs {r.pip}: {r.why}", None) for r in op.needed_on(release)]
        by_why: dict[Why, list[str]] = {}
        for row, whys in found:
            if row["operation"].removesuffix(STEP) == name:
                for why in whys:
                    by_why.setdefault(why, [])
                    if row["model"] not in by_why[why]:
                        by_why[why].append(row["model"])
        parts += [(f"{', '.join(ms)}{kind_and_releases(why)}: ", why.reason) for why, ms in by_why.items()]  # fmt: skip
        if parts:
            notes[name] = parts
    return notes


def note_line(note: Note) -> str:
    words, reason = note
    return words + reason.line() if reason else words


def described(measured: dict) -> dict:
    """The legend, the models, the errors and the notes of a table, from its measured part (the
    notes: `note_parts`, as lines). Only the operations and models the table shows are described."""
    found = row_whys(measured)
    notes = {name: [note_line(n) for n in parts] for name, parts in note_parts(measured).items()}
    errors: dict[str, list[str]] = {}
    for row, whys in found:
        if row.get("error"):
            lines = errors.setdefault(row["error"], [])
            lines += [w.reason.line() for w in whys if w.reason.line() not in lines]
    ties = measured["ties"]
    models = {
        name: f"{ties[name]['how']} ({' / '.join(ties[name]['names'])}); "
        + Tie.from_json(ties[name]["tie"]).words()
        for name in models_of(measured)
    }
    return {"legend": LEGEND, "models": models, "errors": errors, "notes": notes}


def with_described(measured: dict) -> dict:
    """The whole table: its measured part and what is said of it, in `TABLE_KEYS` order."""
    measured = measured_part(measured)
    whole = {**measured, **described(measured)}
    return {key: whole[key] for key in TABLE_KEYS}


# --- one release ----------------------------------------------------------------------------------

# The narrowest a model's column is laid out to (narrower, its cells break into many short lines).
NARROWEST_CELL = 16


def model_blocks(models: list[str], column: dict[str, int], operations: int, width: int) -> list[list[str]]:  # fmt: skip
    """The models in blocks of as many columns as fit beside the operations' column (each at least
    `column[model]` wide), spread evenly: five models at three a block are three and two."""
    fit, used = 0, operations
    for model in models:
        used += 2 + column[model]
        if fit and used > width - 1:
            break
        fit += 1
    count = -(-len(models) // fit)  # as few blocks as that allows,
    size = -(-len(models) // count)  # each as full as the others
    return [models[at : at + size] for at in range(0, len(models), size)]


# Where a word of an operation's name may break, most readable first: after '(', ',' or '=', then
# after '_' or '.', then between the words of a CamelCase name.
NAME_BREAKS = (r"[^(,=]*[(,=]|[^(,=]+", r"[^_.]*[_.]|[^_.]+", r"[A-Z]?[^A-Z]+|[A-Z]+")


def name_pieces(word: str, room: int) -> list[str]:
    """A word of an operation's name as pieces of at most `room` columns where it is wider
    (named_parameters( remove_duplicate=False)); a piece that cannot break stays whole."""
    if display_width(word) <= room:
        return [word]
    units = [word]
    for pattern in NAME_BREAKS:
        units = [p for u in units for p in ([u] if display_width(u) <= room else re.findall(pattern, u))]  # fmt: skip
    pieces, piece = [], ""
    for unit in units:
        if piece and display_width(piece + unit) > room:
            pieces.append(piece)
            piece = ""
        piece += unit
    return [*pieces, piece]


def wrapped_name(name: str, room: int) -> str:
    """An operation's name in lines of at most `room` columns (a piece wider than that stays)."""
    pieces = [p for word in name.split() for p in name_pieces(word, room)]
    return "\n".join(wrap_words(pieces, room))


class Citations:
    """Each reason printed once: in full, numbered, where it is first cited, then by its number."""

    def __init__(self) -> None:
        self.numbers: dict[Reason, int] = {}

    def cite(self, reason: Reason) -> str:
        if reason in self.numbers:
            return f"[{self.numbers[reason]}]"
        self.numbers[reason] = len(self.numbers) + 1
        return f"[{self.numbers[reason]}] {reason.line()}"


def error_keys(rows: list[dict]) -> dict[str, str]:
    """A key for each error the rows raise ('E1' …), in the order they are met: a cell reads
    'raises RuntimeError [E1]' and the error's phrase is printed once, under the table."""
    errors = dict.fromkeys(r["error"] for r in rows if r.get("error"))
    return {error: f"E{number}" for number, error in enumerate(errors, start=1)}


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
    """Operations down, models across, in blocks of as many models as the terminal fits; an
    operation and its step row together ('+ SGD step'), a blank line between operations; surprising
    cells marked with * and explained under the table. Each error's phrase and each reason (its
    references and what it says) is printed once: an error under a key (E1), a reason in full where
    it is first cited, with a number that later notes cite.
    """
    width = terminal_width()
    models = list(dict.fromkeys(r["model"] for r in table["rows"]))
    found = {(r["operation"], r["model"]): r for r in table["rows"]}
    names = list(dict.fromkeys(r["operation"] for r in table["rows"]))
    keys = error_keys(table["rows"])

    def text(row: dict) -> str:
        return cell(row, f"{row['error'].split(':')[0]} [{keys[row['error']]}]" if row.get("error") else None)  # fmt: skip

    cells = {(n, m): text(found[n, m]) if (n, m) in found else "" for n in names for m in models}
    # The operations' column is a quarter of the line: a longer name wraps, so that models fit.
    room = max(NARROWEST_CELL, width // 4)
    labels = {
        name: "+ SGD step" if name.removesuffix(STEP) in names[:k] else wrapped_name(name, room)
        for k, name in enumerate(names)
    }
    operations = max(display_width(p) for label in labels.values() for p in label.split("\n"))
    # A model's column: its name, its widest cell up to NARROWEST_CELL, and its widest word.
    column = {
        m: max([display_width(m)] + [fitted(cells[n, m], NARROWEST_CELL) for n in names])
        for m in models
    }
    out = [
        wrap_text(f"Tie survival on torch {table['torch']} (compile backend: {COMPILE_BACKEND})")
    ]
    blocks = model_blocks(models, column, operations, width)
    for block in blocks:
        rows = []
        for name in names:
            if not name.endswith(STEP) and rows:
                rows.append([""] * (len(block) + 1))
            rows.append([labels[name]] + [cells[name, m] for m in block])
        out.append("")
        if len(blocks) > 1:
            first = models.index(block[0]) + 1
            out += [f"models {first}-{first + len(block) - 1} of {len(models)}:", ""]
        out.append(render_table(["", *block], rows, wrap=tuple(range(1, len(block) + 1)), width=width))  # fmt: skip
    if keys:
        out += ["", "Errors:"]
        out += [wrap_text(f"[{key}] {error}", indent="  ", hanging="      ") for error, key in keys.items()]  # fmt: skip
    out += ["", "Legend:"] + [indented(key, text) for key, text in table["legend"].items()]
    out += ["", "Models:"] + [indented(m, how) for m, how in table["models"].items() if m in models]
    # Each reason in full where it is first cited, then by its number.
    citations = Citations()
    out += ["", wrap_text("Each reason is printed in full where it is first cited, numbered; later notes cite its [number].")]  # fmt: skip
    out += ["", "Why (surprising cells):"]
    seen = set()
    for row, whys in row_whys(table):
        if surprising(row):
            name = row["operation"].removesuffix(STEP)
            reasons = [w.reason for w in explaining(whys)]
            for reason in reasons or [f"{row['model']}: no reason found: unexplained"]:
                if (name, reason) not in seen:
                    seen.add((name, reason))
                    said = citations.cite(reason) if isinstance(reason, Reason) else reason
                    out.append(indented(name, said))
    notes = note_parts(measured_part(table))
    out += ["", "Notes:"] + [
        indented(op, words + (citations.cite(reason) if reason else ""))
        for op, parts in notes.items()
        for words, reason in parts
    ]
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


def row_keys(tables: list[dict]) -> list[tuple[str, str]]:
    """Every (operation, model) of the tables: the newest table's order, then the rows only an
    older release has, in the order they first appear."""
    keys = [(r["operation"], r["model"]) for t in (tables[-1], *tables) for r in t["rows"]]
    return list(dict.fromkeys(keys))


def matrix_rows(tables: list[dict]) -> list[tuple[str, str, list[str]]]:
    """(operation, model, one cell per release) in the newest table's order; a row absent from a
    release (an operation added later) reads NOT_MEASURED.
    """
    order = row_keys(tables)
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
        out += ["", wrap_text(op, hanging="  "), textwrap.indent(table, "  ")]  # a long name wraps
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
    out += [
        "",
        "## Why",
        "",
        "Each operation's note, what it needs, then each reason with the models and the releases "
        "whose rows it matches (computed from the per-release results: a reason is shown for the "
        "releases it covers).",
        "",
    ]
    out += [f"- `{op}`: {line}" for op, line in why_lines(tables)]
    return "\n".join(out) + "\n"


def release_ranges(found: list[str], releases: list[str]) -> str:
    """The releases `found`, as runs of consecutive measured releases: '2.5.1–2.7.1, 2.9.1'."""
    at = sorted(releases.index(r) for r in found)
    spans: list[list[int]] = []
    for index in at:
        if spans and index == spans[-1][1] + 1:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return ", ".join(releases[a] if a == b else f"{releases[a]}–{releases[b]}" for a, b in spans)


def history(tables: list[dict]) -> dict[str, dict[Why, dict[str, list[str]]]]:
    """For each operation, each reason that matched one of its rows on some release, with the
    releases (by name, oldest first) on which it matched each model's rows: every row of every
    release walked."""
    tables = by_release(tables)
    found: dict[str, dict[Why, dict[str, list[str]]]] = {}
    for table in tables:
        name = release_name(table)
        for row, whys in row_whys(table):
            by_why = found.setdefault(row["operation"].removesuffix(STEP), {})
            for why in whys:
                releases = by_why.setdefault(why, {}).setdefault(row["model"], [])
                if name not in releases:
                    releases.append(name)
    return found


def why_lines(tables: list[dict]) -> list[tuple[str, str]]:
    """(operation, line): its note, what it needs on the newest release, then each reason with the
    models it matched, grouped by the releases they share."""
    tables = by_release(tables)
    releases = [release_name(t) for t in tables]
    newest = release_of(tables[-1])
    found = history(tables)
    lines = []
    for op in OPERATIONS:
        if op.name not in found:
            continue
        lines += [(op.name, op.note)] if op.note else []
        lines += [(op.name, f"needs {r.pip}: {r.why}") for r in op.needed_on(newest)]
        for why, by_model in found[op.name].items():
            groups: dict[str, list[str]] = {}
            for model, on in by_model.items():
                groups.setdefault(release_ranges(on, releases), []).append(model)
            where = "; ".join(
                f"{', '.join(models)} on {ranges}" for ranges, models in groups.items()
            )
            lines.append((op.name, f"{where}{kind_and_releases(why)}: {why.reason.line()}"))
    return lines


# The heat map's classes of outcome, each its own colour: (name, colour). A split's class comes from
# its reasons on its release: a PyTorch bug only where a cited report is a bug.
HEAT_CLASSES = (
    ("tied (one update a step)", "#43a047"),
    ("split, explained (no PyTorch bug report)", "#fdd835"),
    ("split by a PyTorch bug (its report cited)", "#e53935"),
    ("double step / tie reached other than once", "#fb8c00"),
    ("values other than promised", "#8e24aa"),
    ("unsupported here (no tie broke)", "#b0bec5"),
    ("error", "#37474f"),
    ("not measured / not installed", "#ffffff"),
    ("split, no reason found", "#ec407a"),
)
TIED, BY_DESIGN, BY_BUG, DOUBLE_STEP, OTHER_VALUES, UNSUPPORTED, ERROR, ABSENT, UNEXPLAINED = range(
    9
)


def heat_class(row: dict | None, tie: Tie | None = None, release: Release | None = None) -> int:
    """The class of one row's outcome on one release, its reasons read for `tie` on `release`."""
    if row is None or row["outcome"].startswith("not installed"):
        return ABSENT
    whys = explaining(whys_for(row, tie, release)) if tie is not None and release else []
    if row.get("error"):
        return UNSUPPORTED if whys and all(w.reason.unsupported for w in whys) else ERROR
    if row.get("promised_values") is False and not row["operation"].endswith(STEP):
        return OTHER_VALUES
    if row["outcome"] == "twice":
        return DOUBLE_STEP
    if row["outcome"] in EXPECTED:
        # A visiting operation that reaches the tie other than once runs what it is given on it
        # twice, or never.
        return TIED if row.get("visits") in (None, "once") else DOUBLE_STEP
    if not whys:
        return UNEXPLAINED
    return BY_BUG if any(w.reason.pytorch_bug for w in whys) else BY_DESIGN


# (operation, model, one class per release)
HeatCell = tuple[str, str, list[int]]


def heat_cells(tables: list[dict]) -> list[HeatCell]:
    """(operation, model, one class per release) for every row, in the matrix's order."""
    by_release = [{(r["operation"], r["model"]): r for r in t["rows"]} for t in tables]
    kinds = [(ties_of(t), release_of(t)) for t in tables]
    return [
        (op, model, [
            heat_class(rows.get((op, model)), ties.get(model), release)
            for rows, (ties, release) in zip(by_release, kinds, strict=True)
        ])
        for op, model in row_keys(tables)
    ]  # fmt: skip


def heat_rows(tables: list[dict], every_row: bool) -> list[tuple[str, list[int]]]:
    """(label, one class per release): every row, or only those that change across the releases
    that measured them or are anything but tied on some release."""
    return shown_rows(heat_cells(tables), every_row)


def shown_rows(cells: list[HeatCell], every_row: bool) -> list[tuple[str, list[int]]]:
    """`heat_rows` of the cells `heat_cells` gave."""
    found = []
    for op, model, classes in cells:
        # A release that did not measure the row (or lacked its package) shows no change.
        measured = set(classes) - {ABSENT}
        if every_row or len(measured) > 1 or measured - {TIED}:
            found.append((f"{op} · {model}", classes))
    return found


# A grid row: an operation, then per model its classes (one per release) and its step row's (None:
# the operation has no step row).
GridRow = tuple[str, list[tuple[list[int], list[int] | None]]]


def heat_grid(tables: list[dict], every_row: bool) -> tuple[list[str], list[GridRow]]:
    """The heat map's layout: the models (the newest table's order), and a row per operation that
    has a row among `heat_rows` (its own or its step row's), holding every model's classes for the
    operation and for its step: the rows `heat_rows` leaves out there read tied (or unmeasured) on
    every release, and are drawn as they are. A model without the row reads ABSENT."""
    return grid_of(tables, heat_cells(tables), every_row)


def grid_of(
    tables: list[dict], cells: list[HeatCell], every_row: bool
) -> tuple[list[str], list[GridRow]]:
    """`heat_grid`, from the cells `heat_cells` gave of `tables`."""
    chosen = {label for label, _ in shown_rows(cells, every_row)}
    models = list(dict.fromkeys([*models_of(tables[-1]), *(m for _, m, _ in cells)]))
    found = {(op, model): classes for op, model, classes in cells}
    absent = [ABSENT] * len(tables)
    grid: list[GridRow] = []
    for name in dict.fromkeys(op.removesuffix(STEP) for op, _, _ in cells):
        ops = (name, name + STEP)
        if not any(f"{op} · {m}" in chosen for op in ops for m in models):
            continue
        stepped = any((name + STEP, m) in found for m in models)
        grid.append((name, [
            (found.get((name, m), absent), found.get((name + STEP, m), absent) if stepped else None)
            for m in models
        ]))  # fmt: skip
    return models, grid


def plot_heatmap(tables: list[dict], path: str, every_row: bool = False) -> None:
    """`heatmap_figure`, written to `path` in the format its name gives (needs matplotlib). A png
    carries the data it draws (its rows, grid and classes), so that a test can compare the
    committed picture with the results by data, whatever the matplotlib that drew it."""
    from .plots import plot_format

    data = heat_layout(tables, every_row)
    figure = drawn_heatmap(data, every_row)
    metadata = {"Description": json.dumps(data)} if plot_format(path) == "png" else None
    figure.savefig(path, format=plot_format(path), dpi=HEAT_DPI, metadata=metadata)


HEAT_DPI = 110
# The heat map's rows and margins, in inches: a row per operation; above the rows the title, the
# key to a cell, the legend and the releases; below them the releases and the legend again.
HEAT_ROW, HEAT_TOP, HEAT_BOTTOM, HEAT_WIDTH, HEAT_LABELS = 0.3, 1.85, 1.3, 12.5, 3.6


def heat_layout(tables: list[dict], every_row: bool) -> dict:
    """What the heat map draws: the releases, `heat_rows`, `heat_grid` and the classes' names, each
    table's classes computed once."""
    tables = by_release(tables)
    cells = heat_cells(tables)
    models, grid = grid_of(tables, cells, every_row)
    return {
        "releases": [release_name(t) for t in tables],
        "rows": shown_rows(cells, every_row),
        "models": models,
        "grid": grid,
        "classes": [name for name, _ in HEAT_CLASSES],
    }


def heatmap_figure(tables: list[dict], every_row: bool = False):
    """`drawn_heatmap` of the tables' `heat_layout`."""
    return drawn_heatmap(heat_layout(tables, every_row), every_row)


def drawn_heatmap(layout: dict, every_row: bool):
    """A row per operation that changes across releases or surprises on some model (every
    operation with `every_row`), a column per release; each cell holds a stripe per model, left to
    right in the key's order, its upper half the operation and its lower half its step row (the
    whole stripe where there is no step); one colour per class of outcome. The releases and the
    legend above the rows and below them. Drawn on a Figure of its own: pyplot's state is the
    caller's."""
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    releases, models, grid = layout["releases"], layout["models"], layout["grid"]
    across = len(models) or 1
    # Two image rows per operation (the operation, its step), `across` image columns per release.
    values = [
        [
            (step if half and step is not None else classes)[r]
            for r in range(len(releases))
            for classes, step in stripes
        ]
        for _, stripes in grid
        for half in (0, 1)
    ] or [[ABSENT] * len(releases) * across] * 2
    height = HEAT_TOP + HEAT_BOTTOM + HEAT_ROW * max(len(grid), 1)
    figure = Figure(figsize=(HEAT_WIDTH, height))
    figure.subplots_adjust(
        left=HEAT_LABELS / HEAT_WIDTH,
        right=1 - 0.2 / HEAT_WIDTH,
        top=1 - HEAT_TOP / height,
        bottom=HEAT_BOTTOM / height,
    )
    axes = figure.add_subplot()
    colours = ListedColormap([colour for _, colour in HEAT_CLASSES])
    axes.imshow(values, cmap=colours, vmin=0, vmax=len(HEAT_CLASSES) - 1, aspect="auto",
                interpolation="nearest")  # fmt: skip
    # White lines part the releases and the operations; thin ones the models and the halves.
    for x in range(1, len(releases) * across):
        axes.axvline(x - 0.5, color="white", linewidth=2.0 if x % across == 0 else 0.4)
    for y, (_, stripes) in enumerate(grid):
        if y:
            axes.axhline(2 * y - 0.5, color="white", linewidth=2.0)
        if any(step is not None for _, step in stripes):
            axes.axhline(2 * y + 0.5, color="white", linewidth=0.4, linestyle=":")
    # The releases, and within each the models' numbers (the key names them), above and below.
    centres = [r * across + (across - 1) / 2 for r in range(len(releases))]
    axes.set_xticks(centres, releases)
    numbers = [str(m + 1) for _ in releases for m in range(across)]
    axes.set_xticks(range(len(releases) * across), numbers, minor=True)
    axes.xaxis.remove_overlapping_locs = False  # the middle model's number is under its release
    axes.tick_params(axis="x", which="both", top=True, labeltop=True, length=0)
    # Sizes set on the axis, not on the labels: ticks matplotlib makes later get them too.
    axes.tick_params(axis="x", which="major", pad=11, labelsize=8)
    axes.tick_params(axis="x", which="minor", labelsize=5.5)
    axes.set_yticks([2 * y + 0.5 for y in range(len(grid))],
                    [textwrap.fill(name, 60) for name, _ in grid], fontsize=7.5)  # fmt: skip
    axes.tick_params(axis="y", length=0)
    shown = "every operation" if every_row else "the operations that change across releases or surprise"  # fmt: skip
    figure.text(0.5, 1 - 0.12 / height, f"Tie survival per release: {shown}", ha="center",
                va="top", fontsize=10)  # fmt: skip
    named = ", ".join(f"{m + 1} {name}" for m, name in enumerate(models))
    key = (
        f"In each release, a stripe per model: {named}. Upper half: the operation; lower half: "
        "+ SGD step (a whole stripe: no step). Every colour but green (and white: nothing "
        "measured) is a surprise."
    )
    figure.text(0.5, 1 - 0.42 / height, textwrap.fill(key, 150), ha="center", va="top", fontsize=8)  # fmt: skip
    legend = [Patch(facecolor=c, edgecolor="black", label=n) for n, c in HEAT_CLASSES]
    figure.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.8 / height),
                  ncols=3, fontsize=8, frameon=False)  # fmt: skip
    figure.legend(handles=legend, loc="lower center", bbox_to_anchor=(0.5, 0.05 / height),
                  ncols=3, fontsize=8, frameon=False)  # fmt: skip
    return figure
