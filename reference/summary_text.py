"""The command line's text: the overview table's rows, an example's summary, a training trace.

Each function turns what `probes.summary` (or a trace) returns into lines a terminal shows; nothing
here runs a model.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import documents
from .layout import display_width, render_table, terminal_width, two_spaced, wrap_text

if TYPE_CHECKING:
    import torch

    from .example import Example

# The folder that holds the `reference` package: the checkout in a development install, the
# site-packages folder in a regular one. Source places are shown relative to it ("reference/x.py").
PACKAGE_PARENT = Path(__file__).resolve().parent.parent


def table_row(
    example: Example, data: dict[str, Any], conditions: list[tuple[str, str]]
) -> list[str]:
    counts = data["parameter_count"]
    parameters = str(counts["unique"])
    if counts["total"] != counts["unique"]:
        parameters += f" ({counts['total']} by name)"
    return [
        data["name"],
        documents.short_name(example.document),
        "×".join(map(str, data["output"]["shape"])) or "scalar",
        parameters,
        claims_cell(example, data["claims"], conditions),
        ties_cell(data["alias_groups"], data["ties_in_forward"]) or "-",
    ]


def claims_cell(
    example: Example, results: list[dict[str, Any]], conditions: list[tuple[str, str]]
) -> str:
    """'2 holds; false; holds only when [3]': a claim's condition goes to footnote 3, up to its
    first colon or semicolon (where what was found starts); a verdict whose check disagrees (in
    `results`, the summary's) says NOT PROVEN; a claim about the GPU run elsewhere, 'not decided
    here (cuda)'."""
    proven = {result["claim"]: result["proven"] for result in results}
    counts: dict[str, int] = {}
    for claim in example.claims:
        if proven[claim.name] is None:
            counts[UNDECIDED_CELL] = counts.get(UNDECIDED_CELL, 0) + 1
            continue
        verdict = claim.verdict.value
        if claim.condition:  # the verdict "holds only when", and when
            when = re.split(r"[:;] ", claim.condition, maxsplit=1)[0]
            conditions.append((example.name, f"{verdict} {when}"))
            verdict = f"{verdict} [{len(conditions)}]"
        if not proven[claim.name]:
            verdict += " (NOT PROVEN)"
        counts[verdict] = counts.get(verdict, 0) + 1
    return "; ".join(f"{n} {v}" if n > 1 else v for v, n in counts.items()) or "-"


UNDECIDED_CELL = "not decided here (cuda)"


def ties_cell(alias_groups: list[list[str]], in_forward: dict[str, int]) -> str:
    """Ties in words: '2.weight = 4.weight', or 'shared = net1.0 (weight, bias)' where whole
    modules are shared, for names that are one Parameter; 'embed_tokens.weight ×2 (forward)' for one
    name that forward reads twice."""
    registered: dict[tuple[str, ...], list[str]] = {}  # holders -> parameter names
    for group in alias_groups:
        holders = tuple(name.rpartition(".")[0] for name in group)
        leaves = {name.rpartition(".")[2] for name in group}
        key = holders if all(holders) and len(leaves) == 1 else tuple(group)
        registered.setdefault(key, []).append(group[0].rpartition(".")[2] if key == holders else "")
    forward: dict[tuple[str, int], list[str]] = {}  # (holder, uses) -> parameter names
    for name, uses in in_forward.items():
        holder, _, leaf = name.rpartition(".")
        forward.setdefault((holder, uses), []).append(leaf if holder else name)
    parts = []
    for holders, leaves in registered.items():
        if len(leaves) > 1:
            parts.append(" = ".join(holders) + f" ({', '.join(leaves)})")
        else:
            parts.append(" = ".join(f"{h}.{leaves[0]}" if leaves[0] else h for h in holders))
    for (holder, uses), leaves in forward.items():
        if len(leaves) > 1:
            parts.append(f"{holder} ×{uses} (forward: {', '.join(leaves)})")
        else:
            parts.append(f"{holder + '.' if holder else ''}{leaves[0]} ×{uses} (forward)")
    return "; ".join(parts)


def where_to_read(example: Example, variant: str | None) -> list[str]:
    """Where to read the code that builds the model: 'file:line  name' (the file relative to the
    repository), a line for each function or class `what_builds` finds."""
    build = example.build if variant is None else dict(example.variants)[variant]
    places = []
    for found, name in what_builds(build):
        found = inspect.unwrap(found)  # getsourcelines unwraps: the file must be the same one's
        try:
            path = Path(inspect.getsourcefile(found)).resolve()
            line = inspect.getsourcelines(found)[1]
        except (TypeError, OSError):  # built in, or defined where there is no source
            places.append(("", name))
            continue
        shown = path.relative_to(PACKAGE_PARENT) if path.is_relative_to(PACKAGE_PARENT) else path
        places.append((f"{shown}:{line}", name))
    width = max(len(place) for place, _ in places)
    return [f"{place:<{width}}  {name}" if place else name for place, name in places]


def what_builds(build: Callable) -> list[tuple[Callable, str]]:
    """The functions and classes that build a model, each with the name to show: `build` itself;
    where it is a functools.partial, the function it calls and the arguments it fixes
    ('NestMLP(out_features=20)'); where it is a lambda (a line of a registry entry), the reference's
    functions and classes it names, what it passes before what it passes it to (the function that
    makes the difference first): `lambda: applied(init_normal)` -> init_normal, applied. A lambda
    that names none of them is shown as itself."""
    build = inspect.unwrap(build)
    if isinstance(build, functools.partial):
        arguments = [repr(a) for a in build.args] + [
            f"{k}={v!r}" for k, v in build.keywords.items()
        ]
        return [(build.func, f"{build.func.__qualname__}({', '.join(arguments)})")]
    if build.__name__ != "<lambda>":
        return [(build, build.__qualname__)]
    named = [build.__globals__.get(name) for name in reversed(build.__code__.co_names)]
    found = [
        f
        for f in dict.fromkeys(named)
        if (inspect.isfunction(f) or inspect.isclass(f))
        and getattr(f, "__module__", "").startswith("reference.")
    ]
    line = build.__code__.co_firstlineno
    return [(f, f.__qualname__) for f in found] or [(build, f"a lambda at line {line}")]


def render_values(label: str, facts: dict[str, Any]) -> str:
    """'input:  shape (2, 20), float32: [0.4963, 0.7682, …]' (four decimals, as torch prints), as
    many leading values as fit the terminal (one at least)."""
    values = [number(v) if isinstance(v, float) else str(v) for v in facts["leading"]]
    start = f"{label:<8} shape {tuple(facts['shape'])}, {facts['dtype']}: ["
    for count in range(len(values), 0, -1):
        more = ", …" if facts["numel"] > count else ""
        line = f"{start}{', '.join(values[:count])}{more}]"
        if display_width(line) < terminal_width() or count == 1:
            return line
    return f"{start}]"


# A claim is the document's statement unless it is marked as the project's own finding.
FINDING_LABEL = "[the project's finding]"
CLAIMS_HEADING = (
    f"claims (the document's, except those marked {FINDING_LABEL}; each with the verdict "
    "running code gives it):"
)
VARIANT_CLAIMS_HEADING = (
    "claims (about the document's build, not this variant; the document's, except those marked "
    f"{FINDING_LABEL}; each with the verdict running code gives it):"
)


def render_summary(
    data: dict[str, Any],
    example: Example,
    variant: str | None,
    device: torch.device,
    extra: dict[str, Any],
) -> str:
    import torch

    source = documents.described(example.document, example.section, example.shows)
    counts = data["parameter_count"]
    title = data["name"] + (f" --variant {variant}" if variant else "")
    header = [
        wrap_text(f"{title}: {source.shows}", hanging="  "),
        wrap_text(
            two_spaced("document", source.document.name, source.document.title),
            indent="  ",
            hanging="            ",
        ),
    ]
    if source.section:
        words = [f"{'section':<9}", *source.section.split()]  # the label under the document's title
        header.append(wrap_text(words, indent="  ", hanging=" " * 12))
    opens = where_to_read(example, variant)
    header += [f"  {'open' if i == 0 else '':<8}  {line}" for i, line in enumerate(opens)]
    header.append(f"  torch     {torch.__version__}, on {device}")
    if example.variants and variant is None:
        header.append(
            f"  variants  {', '.join(label for label, _ in example.variants)} (--variant LABEL)"
        )
    if variant is not None:
        header.append(
            wrap_text(
                f"variant {variant}: another build of this example; what is shown below is "
                "this build's, but the claims are about the document's build",
                indent="  ",
                hanging="    ",
            )
        )
    values = extra["values"]
    inputs = values["inputs"]
    lines = [
        *header,
        "",
        data["repr"],
        "",
        *[
            render_values("input" if len(inputs) == 1 else f"input {i}", f)
            for i, f in enumerate(inputs)
        ],
        render_values("output", values["output"]),
        "",
        listed("state_dict keys", data["state_dict_keys"], "none: nothing is registered"),
        listed(
            "parameters",
            [f"{n} {tuple(s)}" for n, s in data["parameters"]],
            "none registered",
        ),
        wrap_text(
            f"parameter count: {counts['unique']} elements, each Parameter once; "
            f"{counts['total']} counted once per name",
            hanging="  ",
        ),
        listed(
            "ties",
            ties_cell(data["alias_groups"], extra["in_forward"]).split("; "),
            "none",
            separator="; ",
        ),
        "",
        wrap_text(CLAIMS_HEADING if variant is None else VARIANT_CLAIMS_HEADING, hanging="  "),
    ]
    for claim in data["claims"]:
        whose = f" {FINDING_LABEL}" if claim.get("finding") else ""
        lines.append(wrap_text(f"{claim['claim']}{whose}: {claim['text']}", indent="  "))
        lines += document_words(claim)
        lines.append(wrap_text(f"-> {verdict_line(claim)}", indent="     "))
    if not data["claims"]:
        lines.append("  none")
    lines += [wrap_text(f"correction: {c}") for c in data["corrections"]]
    return "\n".join(lines)


def document_words(claim: dict[str, Any]) -> list[str]:
    """The document's own words and where they stand, the reading the verdict judges, and the
    literal reading where it differs: each a line under the claim, where the claim records it."""
    lines = []
    if claim.get("quote"):
        place = f" ({claim['place']})" if claim.get("place") else ""
        # The wrapped line shows each run of whitespace as one space: said where that changes it.
        collapsed = " ".join(claim["quote"].split()) != claim["quote"]
        spacing = " (its spacing shown as single spaces)" if collapsed else ""
        lines.append(f"the document{spacing}: \u300c{claim['quote']}\u300d{place}")
    if claim.get("reading"):
        lines.append(f"read as: {claim['reading']}")
    if claim.get("literal"):
        lines.append(f"read literally: {claim['literal']}")
    return [wrap_text(line, indent="     ", hanging="       ") for line in lines]


def verdict_line(claim: dict[str, Any]) -> str:
    """What follows a claim's arrow: its verdict and whether its check proves it; for a claim about
    the GPU run elsewhere, that it is not decided here, what would decide it, and what its check
    said here (it runs all the same)."""
    if claim["proven"] is None:
        agrees = "agrees" if claim["check_on_this_device"] else "DISAGREES"
        return (
            f"{claim['verdict']} (a statement about CUDA, decided by {claim['decided_by']}; "
            f"its check ran on this device too and {agrees})"
        )
    proven = "proven by its check" if claim["proven"] else "NOT PROVEN: its check disagrees"
    where = " on cuda" if claim.get("about") == "cuda" else ""
    return f"{claim['verdict']} ({proven}{where})"


def listed(label: str, items: list[str], empty: str, separator: str = ", ") -> str:
    """'label: a, b, c' wrapped under the label; `empty` where there is nothing."""
    items = [i for i in items if i] or [empty]
    words = [i + separator.rstrip() for i in items[:-1]] + items[-1:]
    return wrap_text(words, indent=f"{label + ':':<17}", hanging=" " * 17)


def render_trace(name: str, data: dict[str, Any]) -> str:
    """A training trace: a table of its epochs (the mean loss and what each epoch records, a matrix
    a row to a line), then what it records once (the final weights, each a matrix under its name),
    then its findings."""
    epochs = data["epoch_loss"]
    lines = [f"{name}: {len(data['step_loss'])} steps, {len(epochs)} epochs", ""]
    columns = {"mean loss": [f"{loss:.6g}" for loss in epochs]}
    recorded = data.get("epochs", [])
    for key in dict.fromkeys(k for entry in recorded for k in entry if k != "epoch"):
        values = [entry.get(key) for entry in recorded]
        if values != epochs:  # an epoch's own loss is the mean loss column already
            columns[key] = aligned(values)
    lines += epoch_tables([f"{i + 1:>5}" for i in range(len(epochs))], columns)
    for key, value in data.items():
        if key in ("step_loss", "epoch_loss", "epochs"):
            continue
        if isinstance(value, dict) and value and all(map(is_matrix, value.values())):
            rows = [[k, cell] for k, cell in zip(value, aligned(list(value.values())), strict=True)]
            table = render_table(["", ""], rows, wrap=(1,), width=terminal_width() - 2)
            lines += ["", f"{key}:", indented(table, 2), ""]
        else:
            lines.append(wrap_text(f"{key}: {rounded(value)}", hanging="  "))
    lines += [
        "",
        wrap_text(
            "(losses to 6 significant digits, the rest rounded as torch prints; --json for every digit)"
        ),
    ]
    return "\n".join(line for k, line in enumerate(lines) if line or lines[k - 1])


def is_matrix(value: Any) -> bool:
    """A list of numbers, or a list of such lists (a tensor's rows)."""
    rows = value if isinstance(value, list) and value and isinstance(value[0], list) else [value]
    return all(
        isinstance(row, list)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in row)
        for row in rows
    )


def aligned(values: list[Any]) -> list[str]:
    """Cells for `values`: a matrix as its rows, a line each, every number at four decimals and
    right-aligned with the others of the column (a sign does not shift it); anything else rounded."""
    if not all(is_matrix(v) for v in values):
        return [rounded(v) for v in values]
    matrices = [v if v and isinstance(v[0], list) else [v] for v in values]
    width = max(len(number(x)) for m in matrices for row in m for x in row)
    return [
        "\n".join(" ".join(f"{number(x):>{width}}" for x in row) for row in m) for m in matrices
    ]


def epoch_tables(epochs: list[str], columns: dict[str, list[str]]) -> list[str]:
    """The epochs as tables, each as wide as the terminal allows: the first column the epoch, then
    as many of `columns` as fit, in order; the rest in the tables below."""
    width, lines, pending = terminal_width(), [], list(columns)
    while pending:
        chosen = [pending.pop(0)]
        while pending and table_width(epochs, columns, [*chosen, pending[0]]) < width:
            chosen.append(pending.pop(0))
        header = ["epoch", *chosen]
        rows = [[epoch, *(columns[c][i] for c in chosen)] for i, epoch in enumerate(epochs)]
        wrap = tuple(range(1, len(header)))
        lines += ([""] if lines else []) + [render_table(header, rows, wrap=wrap)]
    return lines


def table_width(epochs: list[str], columns: dict[str, list[str]], chosen: list[str]) -> int:
    """The columns a table of the epochs and `chosen` takes, unwrapped."""
    widths = [max(len("epoch"), *map(len, epochs))]
    widths += [
        max(display_width(line) for v in [c, *columns[c]] for line in v.split("\n")) for c in chosen
    ]
    return sum(widths) + 2 * (len(widths) - 1)


def indented(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line if line else line for line in text.split("\n"))


def number(value: float) -> str:
    """Four decimals, as torch prints a tensor; scientific where four decimals would hide it."""
    return f"{value:.4f}" if value == 0 or 1e-4 <= abs(value) < 1e5 else f"{value:.4e}"


def rounded(value: Any) -> str:
    """Nested lists and dicts with floats at four decimals, as torch prints tensors."""
    if isinstance(value, float):
        return number(value)
    if isinstance(value, bool | int | str) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {rounded(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(rounded(v) for v in value) + "]"
