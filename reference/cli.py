"""`python -m reference` (or `torch-builders-reference`): run every example, or list, run and trace one.

A user's mistake (an unknown command, name, variant or device, a plot that cannot be made) ends with
exit status 2 and one line that names the problem, never a traceback. torch is imported only by the
commands that run something, so `--help` and most mistakes answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import json
import os
import sys
import textwrap
from typing import TYPE_CHECKING, Any

from . import documents, survival_command
from .errors import DISTRIBUTION, UsageError
from .layout import render_table, terminal_width, two_spaced, wrap_text
from .summary_text import render_summary, render_trace, table_row

if TYPE_CHECKING:
    import torch

    from .example import Example

USAGE_ERROR = 2
PROG = "torch-builders-reference"
COMMANDS = ("list", "run", "trace", "survival", "pages")


class Failure(Exception):
    """Running an example failed on the asked device; printed as one line, exit status 1."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (the usage is one `--help` away): the help of the
    command it was made in (argparse leaves an unknown option of `run` to the top-level parser,
    which would point to its own help)."""

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see {self.prog} --help)")

    def parse_args(self, args=None, namespace=None):
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = self.commands().get(getattr(parsed, "command", None) or "", self)
            raise UsageError(
                f"unrecognized arguments: {' '.join(extras)}{close_option(extras, command)} "
                f"(see {command.prog} --help)"
            )
        return parsed

    def commands(self) -> dict[str, argparse.ArgumentParser]:
        """The subcommands' parsers by name."""
        found = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
        return dict(found[0].choices) if found else {}


def close_option(extras: list[str], parser: argparse.ArgumentParser) -> str:
    """'; did you mean --device?' for a mistyped option of `parser`, else ''."""
    options = [s for action in parser._actions for s in action.option_strings]
    for extra in extras:
        close = difflib.get_close_matches(extra.partition("=")[0], options, n=1, cutoff=0.6)
        if extra.startswith("--") and close:
            return f"; did you mean {close[0]}?"
    return ""


def version_line() -> str:
    """'torch-builders-reference 0.1.0 (torch 2.13.0+cpu, Python 3.11.7)', read from the installed
    packages' metadata: `--version` answers without importing torch."""
    from importlib import metadata

    def installed(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    python = ".".join(map(str, sys.version_info[:3]))
    return f"{DISTRIBUTION} {installed(DISTRIBUTION)} (torch {installed('torch')}, Python {python})"


class VersionAction(argparse._VersionAction):
    """`--version`, its line read from the metadata when asked for: not at every start (the suite
    starts the command line about a hundred times in one process)."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = version_line()
        super().__call__(parser, namespace, values, option_string)


# The status when the reader of our output went away (`... | head -1`): what a shell reports for a
# POSIX tool that SIGPIPE ended (128 + 13), and no traceback.
CLOSED_PIPE = 141
# The status after Ctrl-C: what a shell reports for a tool that SIGINT ended (128 + 2).
INTERRUPTED = 130
# On Windows the C runtime reports a write to a pipe whose reader went away as EINVAL, not EPIPE
# (it maps every failed WriteFile but one to EINVAL: python/cpython#79935, open; subprocess ignores
# EINVAL on a child's stdin for this reason).
ON_WINDOWS = sys.platform == "win32"


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        utf8_output()
        parser = build_parser(prog)
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
    except KeyboardInterrupt:
        with contextlib.suppress(OSError):
            print(f"{prog}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except OSError as error:
        if not is_closed_pipe(error):
            raise
        silence_stdout()
        return CLOSED_PIPE


def is_closed_pipe(error: OSError) -> bool:
    """Whether `error` says the reader of our output went away: EPIPE (BrokenPipeError), or on
    Windows EINVAL. Elsewhere EINVAL is a real error and keeps its traceback."""
    return isinstance(error, BrokenPipeError) or (ON_WINDOWS and error.errno == errno.EINVAL)


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
    parser.add_argument(
        "--version", action=VersionAction, help="the project's version, torch's and Python's"
    )
    parser.set_defaults(handler=run_all)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")

    list_command = commands.add_parser(
        "list", help="the examples by document, what each shows, its variants"
    )
    list_command.add_argument("--json", action="store_true", help="print JSON")
    list_command.set_defaults(handler=list_examples)

    run = commands.add_parser(
        "run", help="one example: input and output values, keys, parameters, ties, claims"
    )
    run.add_argument(
        "name",
        help="an example (`list` lists them); a book section's number or title, or a document's "
        "words, suggests the examples they name",
    )
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

    pages = commands.add_parser(
        "pages", help="write the learners' pages: one per document and book section (Markdown)"
    )
    pages.add_argument(
        "--out", default="docs/learn", metavar="DIR", help="the folder (default: docs/learn)"
    )
    pages.set_defaults(handler=write_pages)
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
    """A registry example, or one of the survival table's registration-tied models; for another
    name, the examples it may mean (by name, book section, what they show, the documents' words)."""
    from . import registry

    examples = {**registry.EXAMPLES, **survival_command.tied_models_as_examples()}
    if name in examples:
        return examples[name]
    hint = registry.suggestion(registry.search(name, examples))
    raise UsageError(f"unknown example {name!r}.{hint} ({prog} list lists all)")


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
    if name in available:
        return torch.device(name)
    kind = name.partition(":")[0].lower()
    if kind in ("gpu", "nvidia"):
        problem = "is not a torch device: torch calls an NVIDIA GPU 'cuda' (or cuda:N, the N-th)"
    elif kind == "cuda" and "cuda" not in available:
        problem = "is not available here: torch sees no CUDA device"
    else:
        problem = "is not available here"
    raise UsageError(f"device {name!r} {problem}; available: {', '.join(available)}")


# --- commands -------------------------------------------------------------------------------------


def run_all(args: argparse.Namespace) -> int:
    from . import registry
    from .probes import summary
    from .seeding import configure_determinism

    configure_determinism()
    rows, conditions, unproven, undecided = [], [], [], []
    for name in registry.names():
        example = registry.get(name)
        data = summary(example)
        rows.append(table_row(example, data, conditions))
        unproven += [f"{name}.{c['claim']}" for c in data["claims"] if c["proven"] is False]
        undecided += [f"{name}.{c['claim']}" for c in data["claims"] if c["proven"] is None]
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
    if undecided:
        print()
        print(wrap_text(f"claims about CUDA, not decided here (a CUDA device decides them: "
                        f"run NAME --device cuda): {', '.join(undecided)}"))  # fmt: skip
    if unproven:
        print(f"\nclaims whose check disagrees with the verdict: {', '.join(unproven)}")
        return 1
    decided = "every verdict above" if not undecided else "every verdict above but those"
    print(f"\n{len(rows)} examples; {decided} was proven by running its check.")
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
    entries += [
        listing(e, "survival table model")
        for e in survival_command.tied_models_as_examples().values()
    ]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
        return 0
    for name, document in documents.DOCUMENTS.items():
        mine = [e for e in entries if e["document"] == name]
        if not mine:
            continue
        print(wrap_text(two_spaced(name, document.title), hanging="  "))
        print(wrap_text(f"({document.kind})", indent="  "))
        if name == documents.BOOK:
            print(listed_by_section(mine, args.prog))
        else:
            print(listing_table(mine, indent="  "))
        print()
    print(
        wrap_text(f"`{args.prog} run NAME` runs one; `--variant LABEL` runs one of its variants.")
    )
    return 0


def listing_table(entries: list[dict[str, Any]], indent: str, name_width: int = 0) -> str:
    """Names and what they show, the names' column `name_width` wide at least."""
    rows = [[e["name"].ljust(name_width), describe_listing(e)] for e in entries]
    width = terminal_width() - len(indent)
    return textwrap.indent(render_table(["", ""], rows, wrap=(1,), width=width), indent)


def listed_by_section(entries: list[dict[str, Any]], prog: str) -> str:
    """The book's examples under its sections, in the book's order; a section without one says so."""
    lines, name_width = [], max(len(e["name"]) for e in entries)  # one column in every section
    for section in documents.SECTIONS:
        mine = [e for e in entries if documents.section_of(e["section"] or "") == section]
        if mine:
            lines += [wrap_text(section.label, indent="  ", hanging="    ")]
            lines += [listing_table(mine, indent="    ", name_width=name_width)]
        else:
            lines += [
                wrap_text(
                    f"{section.label}: no example of its own; `{prog} run NAME --device cuda` "
                    "runs any example on a GPU"
                    if section.file == "use-gpu"
                    else f"{section.label}: no example",
                    indent="  ",
                    hanging="    ",
                )
            ]
    return "\n".join(lines)


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
    """What `list` says of an entry: what it shows (after its subsection, for the book's, which
    `list` shows under their section), its variants, whether it trains."""
    within = documents.subsection_part(entry["section"] or "")
    parts = [f"{within}: " if within else "", entry["shows"]]
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
    # A claim about the GPU not decided here (proven None) counts neither way.
    return 0 if all(c["proven"] is not False for c in data["claims"]) else 1


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
    from .probes import training_trace
    from .seeding import configure_determinism

    configure_determinism()
    try:
        data = training_trace(example, device)
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


def write_pages(args: argparse.Namespace) -> int:
    """`pages`: every learner's page and its images, written into --out."""
    from . import pages
    from .seeding import configure_determinism

    configure_determinism()
    try:
        written = pages.write(args.out)
    except pages.PagesError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {len(written.pages)} pages and {len(written.images)} images to {args.out}")
    if written.stray:
        print(wrap_text(f"not written by this command, left alone: {', '.join(written.stray)}"))
    return 0
