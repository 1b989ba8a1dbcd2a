"""`python -m reference survival`: the table on the installed torch, filtered, as text or JSON; or,
with `--matrix`, several releases' saved tables side by side.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    from .example import Example


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (rows, legend, notes)")
    parser.add_argument(
        "--model",
        metavar="NAME",
        help="only this tied model, or your own: package.module:factory (a callable that returns "
        "a tied nn.Module, or (module, input))",
    )
    parser.add_argument(
        "--operation", metavar="TEXT", help="only operations whose name contains TEXT"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="leave out the rows that take seconds each (two processes started, inductor's "
        "compile); their stored results are in docs/survival",
    )
    parser.add_argument(
        "--matrix",
        nargs="+",
        metavar="PATH",
        help="render saved `survival --json` results (files, or folders of them) across releases",
    )
    parser.add_argument(
        "--markdown", metavar="PATH", help="with --matrix: write a Markdown document"
    )
    parser.add_argument(
        "--heatmap",
        metavar="PNG",
        help="with --matrix: write a heat map of the operations that change or surprise, a row "
        "each, a stripe per model in each release (png, pdf, svg; needs matplotlib)",
    )
    parser.add_argument(
        "--all-rows", action="store_true", help="with --heatmap: every operation of the table"
    )


def command(args: argparse.Namespace) -> int:
    if args.matrix:
        return matrix_command(args)
    if args.markdown or args.heatmap or args.all_rows:
        raise UsageError(
            "--markdown, --heatmap and --all-rows render a matrix: give --matrix PATH too"
        )
    from . import survival, survival_render

    models = chosen_models(args.model)
    operations = chosen_operations(args.operation)
    if args.quick:
        operations = tuple(op for op in operations if not op.slow)
        if not operations:
            raise UsageError("--quick leaves out every operation chosen: they all take seconds")
    table = survival.table(operations, models)
    print(json.dumps(table, indent=2, ensure_ascii=False) if args.json else survival_render.render(table))  # fmt: skip
    return 0


def close_choices(text: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(text, choices, n=3, cutoff=0.3) or choices
    return ", ".join(repr(c) for c in close)


def chosen_models(name: str | None) -> tuple:
    from .survival_models import MODELS

    if name is None:
        return MODELS
    if ":" in name:  # package.module:factory, a tied model of the user's
        from .own_model import own_tied_model

        return (own_tied_model(name),)
    found = tuple(m for m in MODELS if m.name == name)
    if not found:
        raise UsageError(f"no tied model {name!r}; close: {close_choices(name, [m.name for m in MODELS])}")  # fmt: skip
    return found


def chosen_operations(text: str | None) -> tuple:
    from .survival_cases import OPERATIONS

    if text is None:
        return OPERATIONS
    found = tuple(op for op in OPERATIONS if text.lower() in op.name.lower())
    if not found:
        names = [op.name for op in OPERATIONS]
        raise UsageError(f"no operation contains {text!r}; close: {close_choices(text, names)}")
    return found


def matrix_command(args: argparse.Namespace) -> int:
    from . import plots, survival_render

    if args.json:
        raise UsageError("--json prints one release's table; with --matrix, write --markdown PATH")
    for flag, value in (("--markdown", args.markdown), ("--heatmap", args.heatmap)):
        if value is not None and not value.strip():
            raise UsageError(f"{flag} needs a file name")
    paths = [Path(p) for p in args.matrix]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    files = [f for p in paths for f in (sorted(p.glob("*.json")) if p.is_dir() else [p])]
    tables = survival_render.by_release([saved_result(file) for file in files])
    if not tables:
        raise UsageError(f"no .json results in {', '.join(args.matrix)}")
    tables = [filtered(table, args.model, args.operation) for table in tables]
    if args.heatmap:
        try:
            # The format, matplotlib, a writable place; a mistake names --heatmap.
            plots.check_plot_target(args.heatmap, "--heatmap")
        except plots.PlotError as error:
            raise UsageError(str(error)) from None
        survival_render.plot_heatmap(tables, args.heatmap, every_row=args.all_rows)
        print(f"heat map written to {args.heatmap}", file=sys.stderr)
    if args.markdown:
        command = f"python -m reference survival --matrix {' '.join(args.matrix)}"
        command += f" --markdown {args.markdown}"
        command += f" --heatmap {args.heatmap}" if args.heatmap else ""
        command += " --all-rows" if args.all_rows else ""
        image = os.path.relpath(args.heatmap, Path(args.markdown).parent) if args.heatmap else None
        document = survival_render.render_markdown(tables, image, command)
        try:
            Path(args.markdown).write_text(document, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {args.markdown}: {error.strerror}") from None
        print(f"Markdown written to {args.markdown}", file=sys.stderr)
    if not (args.markdown or args.heatmap):
        print(survival_render.render_matrix(tables))
    return 0


def saved_result(path: Path) -> dict:
    """A table `survival --json` saved; a file that is not one is named, with what is wrong."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problem = getattr(error, "strerror", None) or str(error)
    else:
        problem = result_problem(table)
    if problem:
        raise UsageError(f"{path} is not a `survival --json` result: {problem}")
    return table


# What every saved table holds, and every row of it, that the matrix reads.
RESULT_KEYS = ("torch", "rows", "legend", "models", "notes")
ROW_KEYS = ("model", "operation", "outcome")


def result_problem(table: object) -> str:
    """What keeps `table` from being a saved `survival --json` result, or ''."""
    if not isinstance(table, dict):
        return f"a JSON {type(table).__name__}, not an object"
    missing = [key for key in RESULT_KEYS if key not in table]
    if missing:
        return f"no {', '.join(repr(k) for k in missing)}"
    if not isinstance(table["torch"], str) or not isinstance(table["rows"], list):
        return "'torch' is not a string or 'rows' not a list"
    for number, row in enumerate(table["rows"], start=1):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ROW_KEYS):
            return f"row {number} is not an object with strings {', '.join(map(repr, ROW_KEYS))}"
    return ""


def filtered(table: dict, model: str | None, operation: str | None) -> dict:
    """A saved table's rows for one model and the operations whose name contains `operation`,
    each checked against the table's own as the live table checks them."""
    rows = table["rows"]
    if model is not None:
        known = list(dict.fromkeys(r["model"] for r in rows))
        if model not in known:
            raise UsageError(f"no tied model {model!r}; close: {close_choices(model, known)}")
        rows = [r for r in rows if r["model"] == model]
    if operation is not None:
        names = list(dict.fromkeys(r["operation"] for r in rows))
        rows = [r for r in rows if operation.lower() in r["operation"].lower()]
        if not rows:
            raise UsageError(f"no operation contains {operation!r}; close: {close_choices(operation, names)}")  # fmt: skip
    return {**table, "rows": rows}


def tied_models_as_examples() -> dict[str, Example]:
    """The survival table's models tied by registration (`registered_lm_head`,
    `parametrized_autoencoder`), runnable like examples: built from their registry example with the
    same seed and values. They are not registry entries: the survival table locks their ties.
    """
    import functools
    from dataclasses import replace

    from . import registry, survival_models

    found = {}
    for tied in survival_models.MODELS:
        if tied.rebuild is survival_models.as_built:
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
