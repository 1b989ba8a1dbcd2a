"""`python -m reference`: run every example, or list, run and trace one.

A user's mistake (an unknown name, a device that is not there, a plot path that cannot be written)
ends with exit status 2 and one line that names the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import torch

from . import registry
from .probes import summary
from .seeding import available_devices, configure_determinism

USAGE_ERROR = 2


class UsageError(Exception):
    """A mistake in what the user asked for; printed as one line, exit status 2."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_determinism()
    try:
        return args.handler(args)
    except (UsageError, registry.UnknownExample) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reference",
        description="Seeded, checked examples of building PyTorch models and tying parameters. "
        "With no command: run every example and print one row each.",
    )
    parser.set_defaults(handler=run_all)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    list_command = commands.add_parser("list", help="the examples' names and sources")
    list_command.add_argument("--json", action="store_true", help="print JSON")
    list_command.set_defaults(handler=list_examples)

    run = commands.add_parser("run", help="one example's summary: keys, parameters, ties, claims")
    run.add_argument("name")
    run.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    run.add_argument("--json", action="store_true", help="print JSON (what the snapshots lock)")
    run.set_defaults(handler=run_one)

    trace = commands.add_parser("trace", help="a training example's trace (losses, recorded rows)")
    trace.add_argument("name")
    trace.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    trace.add_argument("--json", action="store_true", help="print JSON")
    trace.add_argument("--plot", metavar="PATH", help="write a loss-curve PNG (needs matplotlib)")
    trace.set_defaults(handler=trace_one)

    survival = commands.add_parser("survival", help="which operations keep a tie, on this torch")
    survival.add_argument("--json", action="store_true", help="print JSON")
    survival.set_defaults(handler=survival_table)
    return parser


# --- commands -------------------------------------------------------------------------------------


def run_all(args: argparse.Namespace) -> int:
    rows, unproven = [], []
    for name in registry.names():
        data = summary(registry.get(name))
        rows.append(table_row(data))
        unproven += [f"{name}.{c['claim']}" for c in data["claims"] if not c["proven"]]
    print(
        render_table(
            ["example", "source", "output", "params unique/total", "claims", "alias groups"], rows
        )
    )
    print(f"\n{len(rows)} examples; every claim proven." if not unproven else "")
    if unproven:
        print(f"claims whose check disagrees with the verdict: {', '.join(unproven)}")
        return 1
    return 0


def list_examples(args: argparse.Namespace) -> int:
    entries = [{"name": n, "source": registry.get(n).source} for n in registry.names()]
    if args.json:
        print(json.dumps(entries, indent=2, ensure_ascii=False))
    else:
        print(render_table(["example", "source"], [[e["name"], e["source"]] for e in entries]))
    return 0


def run_one(args: argparse.Namespace) -> int:
    example = registry.get(args.name)
    data = summary(example, checked_device(args.device))
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render_summary(data))
    return 0 if all(c["proven"] for c in data["claims"]) else 1


def trace_one(args: argparse.Namespace) -> int:
    example = registry.get(args.name)
    if example.train is None:
        trainable = [n for n in registry.names() if registry.get(n).train is not None]
        raise UsageError(f"{args.name!r} has no training trace; these do: {', '.join(trainable)}")
    if args.plot:
        check_writable(args.plot)
    data = example.train(checked_device(args.device))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(render_trace(args.name, data))
    if args.plot:
        plot_losses(args.name, data, args.plot)
        print(f"loss curve written to {args.plot}")
    return 0


def survival_table(args: argparse.Namespace) -> int:
    from . import survival

    table = survival.table()
    print(json.dumps(table, indent=2) if args.json else survival.render(table))
    return 0


# --- checks on what the user asked for ------------------------------------------------------------


def checked_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(
            f"unknown device {name!r}; available: {', '.join(available_devices())}"
        ) from None
    if device.type == "cpu":
        return device
    cuda_present = device.type == "cuda" and torch.cuda.is_available()
    if cuda_present and (device.index is None or device.index < torch.cuda.device_count()):
        return device
    raise UsageError(
        f"device {name!r} is not available here; available: {', '.join(available_devices())}"
    )


def check_writable(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write the plot to {path!r}: not a writable file path")


# --- text rendering -------------------------------------------------------------------------------


def table_row(data: dict[str, Any]) -> list[str]:
    verdicts: dict[str, int] = {}
    for claim in data["claims"]:
        verdict = (
            "holds only when"
            if claim["verdict"].startswith("holds only when")
            else claim["verdict"]
        )
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    proven = "proven" if all(c["proven"] for c in data["claims"]) else "NOT PROVEN"
    claims = ", ".join(f"{count} {verdict}" for verdict, count in verdicts.items())
    counts = data["parameter_count"]
    return [
        data["name"],
        data["source"].split(" ", 1)[0],
        "x".join(map(str, data["output"]["shape"])) or "scalar",
        f"{counts['unique']}/{counts['total']}",
        f"{claims} ({proven})" if claims else "-",
        "; ".join("=".join(group) for group in data["alias_groups"]) or "-",
    ]


def render_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def render_summary(data: dict[str, Any]) -> str:
    counts = data["parameter_count"]
    lines = [
        f"{data['name']}  ({data['source']})",
        "",
        data["repr"],
        "",
        "state_dict keys: " + ", ".join(data["state_dict_keys"]),
        "parameters:      " + ", ".join(f"{n} {tuple(s)}" for n, s in data["parameters"]),
        f"parameter count: {counts['unique']} unique, {counts['total']} counted once per name",
        "alias groups:    " + ("; ".join(" = ".join(g) for g in data["alias_groups"]) or "none"),
        f"output:          shape {tuple(data['output']['shape'])}, {data['output']['dtype']}",
        "claims:",
    ]
    for claim in data["claims"]:
        mark = claim.get("where") or ("proven" if claim["proven"] else "NOT PROVEN")
        lines.append(f"  [{mark}] {claim['claim']}: {claim['text']} -> {claim['verdict']}")
    lines += [f"correction: {c}" for c in data["corrections"]]
    return "\n".join(lines)


def render_trace(name: str, data: dict[str, Any]) -> str:
    lines = [
        f"{name}: {len(data['step_loss'])} steps, {len(data['epoch_loss'])} epochs",
        "epoch loss:",
    ]
    lines += [f"  {i + 1:>3}  {loss:.6f}" for i, loss in enumerate(data["epoch_loss"])]
    for key, value in data.items():
        if key not in ("step_loss", "epoch_loss"):
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines)


def plot_losses(name: str, data: dict[str, Any], path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib: pip install 'torch-builders-reference[plot]' (or matplotlib)"
        ) from None
    steps = data["step_loss"]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(range(1, len(steps) + 1), steps, label="step loss", linewidth=0.8)
    per_epoch = len(steps) // len(data["epoch_loss"])
    axes.plot(
        [per_epoch * (i + 1) for i in range(len(data["epoch_loss"]))],
        data["epoch_loss"],
        "o-",
        label="epoch loss",
    )
    axes.set(xlabel="step", ylabel="loss", title=name)
    axes.legend()
    try:
        figure.savefig(path, format="png")
    except OSError as error:
        raise UsageError(f"cannot write the plot to {path!r}: {error.strerror}") from None
    finally:
        plt.close(figure)
