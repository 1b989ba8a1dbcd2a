"""`python -m reference` (or `torch-builders-reference`): run every example, or list, run and trace one.

A user's mistake (an unknown command, name, variant or device, a plot that cannot be made) ends with
exit status 2 and one line that names the problem, never a traceback. torch is imported only by the
commands that run something, so `--help` and most mistakes answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import inspect
import json
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import documents, survival_command
from .errors import UsageError
from .layout import display_width, render_table, terminal_width, two_spaced, wrap_text

if TYPE_CHECKING:
    import torch

    from .example import Example

USAGE_ERROR = 2
PROG = "torch-builders-reference"
COMMANDS = ("list", "run", "trace", "survival")
REPOSITORY = Path(__file__).resolve().parent.parent


class Failure(Exception):
    """Running an example failed on the asked device; printed as one line, exit status 1."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (the usage is one `--help` away)."""

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see {self.prog} --help)")


# The status when the reader of our output went away (`... | head -1`): what a shell reports for a
# POSIX tool that SIGPIPE ended (128 + 13), and no traceback.
CLOSED_PIPE = 141


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    argv = sys.argv[1:] if argv is None else argv
    utf8_output()
    parser = build_parser(prog)
    try:
        check_command(argv, prog)
        args = parser.parse_args(argv)
        args.prog = prog
        status = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at exit
        return status
    except UsageError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except Failure as error:
        print(f"{prog}: failed: {error}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        silence_stdout()
        return CLOSED_PIPE


def utf8_output() -> None:
    """Print UTF-8 whatever the locale or console says (the documents' Chinese, ≠, ×): a cp1252
    console would otherwise end the command in a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush at exit does not
    fail again on the closed pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=prog,
        description="Seeded, checked examples of building PyTorch models and tying parameters. "
        "With no command: run every example and print one row each (exit 1 if a claim's check "
        "disagrees with its verdict).",
    )
    parser.set_defaults(handler=run_all)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    list_command = commands.add_parser(
        "list", help="the examples by document, what each shows, its variants"
    )
    list_command.add_argument("--json", action="store_true", help="print JSON")
    list_command.set_defaults(handler=list_examples)

    run = commands.add_parser(
        "run", help="one example: input and output values, keys, parameters, ties, claims"
    )
    run.add_argument("name")
    run.add_argument("--variant", metavar="LABEL", help="another build the document shows")
    run.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    run.add_argument("--json", action="store_true", help="print JSON (what the snapshots lock)")
    run.set_defaults(handler=run_one)

    trace = commands.add_parser("trace", help="a training example's trace (losses, recorded rows)")
    trace.add_argument("name")
    trace.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    trace.add_argument("--json", action="store_true", help="print JSON")
    trace.add_argument(
        "--plot",
        metavar="PATH",
        help="also write the loss curve; the format from the extension: .png, .pdf or .svg "
        "(needs matplotlib)",
    )
    trace.set_defaults(handler=trace_one)

    survival = commands.add_parser("survival", help="which operations keep a tie, on this torch")
    survival_command.add_arguments(survival)
    survival.set_defaults(handler=survival_command.command)
    return parser


def check_command(argv: list[str], prog: str) -> None:
    """An unknown command, in one line with the closest one (argparse prints two, and no hint)."""
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        close = difflib.get_close_matches(argv[0], COMMANDS, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(
            f"unknown command {argv[0]!r}{hint} (commands: {', '.join(COMMANDS)}; {prog} --help)"
        )


# --- finding what was asked for -------------------------------------------------------------------


def find_example(name: str, prog: str) -> Example:
    """A registry example, or one of the survival table's registration-tied models."""
    from . import registry

    extra = survival_examples()
    if name in extra:
        return extra[name]
    try:
        return registry.get(name)
    except registry.UnknownExample as unknown:
        close = unknown.close or difflib.get_close_matches(name, extra, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown example {name!r}.{hint} ({prog} list lists all)") from None


def survival_examples() -> dict[str, Example]:
    """The survival table's models tied by registration (`registered_lm_head`,
    `parametrized_autoencoder`), runnable like examples: built from their registry example with the
    same seed and values. They are not registry entries: the survival table locks their ties.
    """
    import functools
    from dataclasses import replace

    from . import registry, survival_cases

    found = {}
    for tied in survival_cases.MODELS:
        if tied.rebuild is survival_cases.as_built:
            continue
        base = registry.get(tied.example)

        def build(base=base, rebuild=tied.rebuild):
            return rebuild(base.build())

        functools.update_wrapper(build, tied.rebuild)  # `run` points at the survival builder
        found[tied.name] = replace(
            base,
            name=tied.name,
            section="",
            shows=f"{base.name}, tied the survival table's way: {tied.how}",
            build=build,
            claims=(),
            corrections=(),
            untie=None,
            train=None,
            variants=(),
        )
    return found


def checked_variant(example: Example, label: str | None) -> str | None:
    labels = [name for name, _ in example.variants]
    if label is None or label in labels:
        return label
    if not labels:
        raise UsageError(f"{example.name!r} has no variants")
    close = difflib.get_close_matches(label, labels, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UsageError(
        f"{example.name!r} has no variant {label!r}{hint} (its variants: {', '.join(labels)})"
    )


def checked_device(name: str) -> torch.device:
    """One of the devices this machine has, by the name `available_devices` lists ('cpu:3' is no
    device: torch accepts it and ignores the index)."""
    import torch

    from .seeding import available_devices

    available = available_devices()
    if name not in available:
        raise UsageError(
            f"device {name!r} is not available here; available: {', '.join(available)}"
        )
    return torch.device(name)


# --- commands -------------------------------------------------------------------------------------


def run_all(args: argparse.Namespace) -> int:
    from . import registry
    from .probes import summary
    from .seeding import configure_determinism

    configure_determinism()
    rows, conditions, unproven = [], [], []
    for name in registry.names():
        example = registry.get(name)
        data = summary(example)
        rows.append(table_row(example, data, conditions))
        unproven += [f"{name}.{c['claim']}" for c in data["claims"] if not c["proven"]]
    header = ["example", "doc", "output", "parameters", "claims: verdicts", "ties"]
    print(render_table(header, rows, wrap=(3, 4, 5)))
    print()
    for number, (name, condition) in enumerate(conditions, start=1):
        print(wrap_text(f"[{number}] {name}: {condition}", hanging=" " * (len(str(number)) + 3)))
    print()
    print(wrap_text(TABLE_LEGEND))
    print("doc:")
    for name, document in documents.DOCUMENTS.items():
        print(
            wrap_text(
                two_spaced(f"{documents.short_name(name):<3}", document.title),
                indent="  ",
                hanging="       ",
            )
        )
    if unproven:
        print(f"\nclaims whose check disagrees with the verdict: {', '.join(unproven)}")
        return 1
    print(f"\n{len(rows)} examples; every verdict above was proven by running its check.")
    return 0


TABLE_LEGEND = (
    "parameters: elements, each Parameter counted once; (N by name): counted once per name, "
    "where a tie gives one Parameter several names. ties: names that are one Parameter "
    "(a = b), or one name that forward reads N times (×N (forward)). "
    "`run NAME` shows an example in full."
)


def list_examples(args: argparse.Namespace) -> int:
    from . import registry

    entries = [listing(registry.get(n), "example") for n in registry.names()]
    entries += [listing(e, "survival table model") for e in survival_examples().values()]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    width = terminal_width()
    for name, document in documents.DOCUMENTS.items():
        mine = [e for e in entries if e["document"] == name]
        if not mine:
            continue
        print(wrap_text(two_spaced(name, document.title), hanging="  "))
        print(wrap_text(f"({document.kind})", indent="  "))
        rows = [[e["name"], describe_listing(e)] for e in mine]
        print(textwrap.indent(render_table(["", ""], rows, wrap=(1,), width=width - 2), "  "))
        print()
    print(
        wrap_text(f"`{args.prog} run NAME` runs one; `--variant LABEL` runs one of its variants.")
    )
    return 0


def listing(example: Example, kind: str) -> dict[str, Any]:
    source = documents.described(example.document, example.section, example.shows)
    return {
        "name": example.name,
        "kind": kind,
        "document": source.document.name,
        "title": source.document.title,
        "section": source.section or None,
        "shows": source.shows,
        "variants": [label for label, _ in example.variants],
        "trains": example.train is not None,
    }


def describe_listing(entry: dict[str, Any]) -> str:
    parts = [f"{entry['section']}: " if entry["section"] else "", entry["shows"]]
    if entry["variants"]:
        parts.append(f" [variants: {', '.join(entry['variants'])}]")
    if entry["trains"]:
        parts.append(" [trace]")
    if entry["kind"] != "example":
        parts.append(f" [{entry['kind']}]")
    return "".join(parts)


def run_one(args: argparse.Namespace) -> int:
    example = find_example(args.name, args.prog)
    variant = checked_variant(example, args.variant)
    device = checked_device(args.device)
    return show_example(example, device, variant, as_json=args.json)


def show_example(example: Example, device: torch.device, variant: str | None, as_json: bool) -> int:
    """Print one example's summary, or, where forward fails on `device`, what went wrong in one
    line: for tensors `.to(device)` could not move (the point of `list_sequential`), which they are.
    """
    from .probes import left_behind, summary, values
    from .seeding import configure_determinism

    configure_determinism()
    try:
        data = summary(example, device, variant)
    except Exception as error:
        behind = left_behind(example.model(device, variant), device)
        if not behind:
            raise Failure(
                f"{example.name} on {device}: {type(error).__name__}: {first_line(error)}"
            ) from None
        print(render_left_behind(example.name, device, behind, error, as_json))
        return 0
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        extra = {"values": values(example, device, variant), "in_forward": data["ties_in_forward"]}
        print(render_summary(data, example, variant, device, extra))
    return 0 if all(c["proven"] for c in data["claims"]) else 1


def render_left_behind(
    name: str, device: torch.device, behind: dict[str, str], error: Exception, as_json: bool
) -> str:
    if as_json:
        outcome = {"name": name, "device": str(device), "forward_error": first_line(error)}
        return json.dumps({**outcome, "left_behind": behind}, indent=2)
    where = sorted(set(behind.values()))
    return "\n".join(
        [
            f"{name} on {device}: forward raised {type(error).__name__} ({first_line(error)})",
            wrap_text(
                f"That is this example's point: .to({str(device)!r}) moves only registered "
                f"modules and parameters, and these are kept in a plain Python attribute, so they "
                f"stayed on {', '.join(where)}: {', '.join(behind)}.",
                indent="  ",
            ),
        ]
    )


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [""])[0]


def trace_one(args: argparse.Namespace) -> int:
    from . import plots

    example = find_example(args.name, args.prog)
    if example.train is None:
        from . import registry

        trainable = [n for n in registry.names() if registry.get(n).train is not None]
        raise UsageError(f"{args.name!r} has no training trace; these do: {', '.join(trainable)}")
    device = checked_device(args.device)
    if args.plot is not None:
        try:
            plots.check_plot_target(args.plot)  # before the training, which takes a while
        except plots.PlotError as error:
            raise UsageError(str(error)) from None
    from .seeding import configure_determinism

    configure_determinism()
    try:
        data = example.train(device)
    except Exception as error:
        raise Failure(
            f"{args.name} on {device}: {type(error).__name__}: {first_line(error)}"
        ) from None
    print(json.dumps(data, indent=2) if args.json else render_trace(args.name, data))
    if args.plot is not None:
        try:
            plots.plot_losses(args.name, data, args.plot)
        except plots.PlotError as error:
            raise UsageError(str(error)) from None
        print(f"loss curve written to {args.plot}", file=sys.stderr)  # stdout stays the trace
    return 0


# --- text rendering -------------------------------------------------------------------------------


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
    `results`, the summary's) says NOT PROVEN."""
    proven = {result["claim"]: result["proven"] for result in results}
    counts: dict[str, int] = {}
    for claim in example.claims:
        verdict = claim.verdict.value
        if claim.condition:  # the verdict "holds only when", and when
            when = re.split(r"[:;] ", claim.condition, maxsplit=1)[0]
            conditions.append((example.name, f"{verdict} {when}"))
            verdict = f"{verdict} [{len(conditions)}]"
        if not proven[claim.name]:
            verdict += " (NOT PROVEN)"
        counts[verdict] = counts.get(verdict, 0) + 1
    return "; ".join(f"{n} {v}" if n > 1 else v for v, n in counts.items()) or "-"


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


CLAIMS_HEADING = "claims (the document's, each with the verdict running code gives it):"
VARIANT_CLAIMS_HEADING = (
    "claims (about the document's build, not this variant; each with the verdict running code "
    "gives it):"
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
        CLAIMS_HEADING if variant is None else VARIANT_CLAIMS_HEADING,
    ]
    for claim in data["claims"]:
        proven = "proven by its check" if claim["proven"] else "NOT PROVEN: its check disagrees"
        lines.append(wrap_text(f"{claim['claim']}: {claim['text']}", indent="  "))
        lines.append(
            wrap_text(f"-> {claim['verdict']} ({claim.get('where') or proven})", indent="     ")
        )
    if not data["claims"]:
        lines.append("  none")
    lines += [wrap_text(f"correction: {c}") for c in data["corrections"]]
    return "\n".join(lines)


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
