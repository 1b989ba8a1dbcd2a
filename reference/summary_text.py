"""The command line's text: the overview table's rows, an example's summary, a training trace.

Each function turns what `probes.summary` (or a trace) returns into lines a terminal shows; nothing
here runs a model.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import documents
from .layout import display_width, terminal_width, two_spaced, wrap_text

if TYPE_CHECKING:
    import torch

    from .example import Example

REPOSITORY = Path(__file__).resolve().parent.parent


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


def where_to_read(example: Example, variant: str | None) -> str:
    """The file (relative to the repository) and the function or class that builds the model."""
    build = inspect.unwrap(example.build if variant is None else dict(example.variants)[variant])
    try:
        path = Path(inspect.getsourcefile(build)).resolve()
        line = inspect.getsourcelines(build)[1]
    except (TypeError, OSError):
        return build.__qualname__
    shown = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
    name = build.__qualname__
    name = f"a lambda at line {line}" if name == "<lambda>" else name
    return f"{shown}:{line}  {name}"


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
        header.append(f"  section   {source.section}")
    header += [
        f"  open      {where_to_read(example, variant)}",
        f"  torch     {torch.__version__}, on {device}",
    ]
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
    lines = [
        f"{name}: {len(data['step_loss'])} steps, {len(data['epoch_loss'])} epochs",
        "epoch  mean loss",
    ]
    lines += [f"{i + 1:>5}  {loss:.6g}" for i, loss in enumerate(data["epoch_loss"])]
    for key, value in data.items():
        if key not in ("step_loss", "epoch_loss"):
            lines.append(wrap_text(f"{key}: {rounded(value)}", indent="  ").lstrip())
    lines.append("(rounded as torch prints; --json for every digit)")
    return "\n".join(lines)


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
