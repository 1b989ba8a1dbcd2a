"""`trace NAME --plot PATH`: a training trace's loss curve, as PNG, PDF or SVG.

Everything that can go wrong with a plot (no matplotlib, a format it should not guess, a path that
cannot be written) is found by `check_plot_target` before the training runs, not after.
"""

from __future__ import annotations

import os
from typing import Any

from .errors import install_hint

FORMATS = ("png", "pdf", "svg")


class PlotError(Exception):
    """A plot that cannot be made as asked; the command line prints it as one line, exit 2."""


def plot_format(path: str, option: str = "--plot") -> str:
    """The format the file name asks for: its extension, one of FORMATS. `option` is the command
    line's name for the path (`--plot`, `--heatmap`), which a mistake names."""
    if not path.strip():
        raise PlotError(f"{option} needs a file name, e.g. {option} loss.png")
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in FORMATS:
        raise PlotError(
            f"{option}: cannot tell the plot format from {path!r}: end the name in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return extension


def check_plot_target(path: str, option: str = "--plot") -> str:
    """Check, before any training, that a plot can be written to `path`; its format. Each mistake
    names `option`, the command line's name for the path (`--plot`, `--heatmap`)."""
    plot_format(path, option)
    try:
        import matplotlib  # noqa: F401  (only its presence is checked here)
    except ImportError:
        hint = install_hint("matplotlib") or "pip install matplotlib"
        raise PlotError(f"{option} needs matplotlib: {hint}") from None
    check_writable(path, option)
    return plot_format(path, option)


def check_writable(path: str, option: str = "--plot") -> None:
    """A regular file there can be opened for writing, or a new one created there (and removed).

    A trial write finds what permission bits do not: a read-only or full file system, /proc, a
    device such as /dev/full. A path that exists and is not a regular file is refused.
    """
    problem = None
    if os.path.exists(path) and not os.path.isfile(path):
        problem = "it exists and is not a regular file"
    else:
        existed = os.path.exists(path)
        try:
            with open(path, "r+b" if existed else "xb") as file:
                if not existed:
                    file.write(b"\0")
                    file.flush()
                    os.fsync(file.fileno())
        except OSError as error:
            problem = error.strerror or str(error)
        finally:
            if not existed and os.path.isfile(path):
                os.remove(path)
    if problem:
        raise PlotError(f"{option}: cannot write the plot to {path!r}: {problem}")


def plot_losses(name: str, trace: dict[str, Any], path: str) -> None:
    figure = loss_figure(name, trace)
    try:
        figure.savefig(path, format=plot_format(path))
    except OSError as error:
        raise PlotError(f"cannot write the plot to {path!r}: {error.strerror or error}") from None


def loss_figure(name: str, trace: dict[str, Any]):
    """The loss against whole steps (from 1), on a log scale where it falls by more than a decade
    and from zero otherwise (a fall of 2% looks like 2%); beside it, the sharing itself where the
    trace records it: the shared layer's gradient, read after each backward."""
    # A Figure of its own, not pyplot's: no backend switched and no figure left open in the caller's
    # session (a notebook's, say), and nothing to close. Its canvas draws with Agg; savefig picks the
    # writer from the format. The tight layout is worked out when it is drawn, not here.
    from matplotlib.figure import Figure

    shared_rows = [
        e["shared_grad_rows"] for e in trace.get("epochs", []) if "shared_grad_rows" in e
    ]
    figure = Figure(figsize=(11.0 if shared_rows else 6.4, 4.0), layout="tight")
    panels = figure.subplots(1, 2 if shared_rows else 1, squeeze=False)[0]
    draw_losses(panels[0], name, trace)
    if shared_rows:
        draw_shared_gradients(panels[1], shared_rows, trace)
    return figure


def draw_losses(axes, name: str, trace: dict[str, Any]) -> None:
    from matplotlib.ticker import MaxNLocator

    steps, epochs = trace["step_loss"], trace["epoch_loss"]
    per_epoch = len(steps) // len(epochs)
    epoch_ends = [per_epoch * (i + 1) for i in range(len(epochs))]
    if per_epoch == 1:  # one step an epoch: the two curves are one
        axes.plot(epoch_ends, epochs, "o-", label="loss of each step (one step an epoch)")
    else:
        axes.plot(epoch_ends, epochs, "o--", color="tab:orange", zorder=1, label="mean loss of each epoch")  # fmt: skip
        axes.plot(range(1, len(steps) + 1), steps, color="tab:blue", linewidth=0.7, alpha=0.8, zorder=2, label="loss of each step")  # fmt: skip
    low, high = min(steps + epochs), max(steps + epochs)
    if low > 0 and high / low > 10:  # over a decade: a linear axis would flatten the tail
        axes.set_yscale("log")
    else:  # from zero, in plain numbers: a small fall looks small
        axes.set_ylim(bottom=0, top=high * 1.1)
        axes.ticklabel_format(axis="y", style="plain", useOffset=False)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(left=0.5)
    axes.set_xlabel("optimizer step (from 1)")
    axes.set_ylabel("loss" + (" (log scale)" if axes.get_yscale() == "log" else ""))
    one_grad = trace.get("shared_grad_identical_every_step")
    evidence = (
        ""
        if one_grad is None
        else f"\none .grad for every use at every step: {'yes' if one_grad else 'NO'}"
    )
    axes.set_title(f"{name}: {len(steps)} steps, {len(epochs)} epochs{evidence}", fontsize=10)
    axes.grid(True, which="major", alpha=0.3)
    # Below the axes, clear of every line wherever the loss goes.
    axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2)


def draw_shared_gradients(axes, rows_by_epoch: list, trace: dict[str, Any]) -> None:
    """Each entry of the shared layer's recorded gradient rows, epoch by epoch: one gradient that
    both uses add into."""
    from matplotlib.ticker import MaxNLocator

    epochs = range(1, len(rows_by_epoch) + 1)
    for r, row in enumerate(rows_by_epoch[0]):
        for c in range(len(row)):
            values = [rows[r][c] for rows in rows_by_epoch]
            axes.plot(epochs, values, "o-", linewidth=1, markersize=3, label=f"[{r}, {c}]")
    axes.axhline(0, color="black", linewidth=0.6)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("epoch (gradient read after backward, before the step)")
    axes.set_ylabel("gradient of the shared weight")
    once = trace.get("shared_layer_updated_once_every_step")
    stepped = "" if once is None else f"; one update a step: {'yes' if once else 'NO'}"
    axes.set_title(
        f"the shared layer's gradient: both uses add into it\n({stepped.removeprefix('; ')})"
        if stepped
        else "the shared layer's gradient: both uses add into it",
        fontsize=10,
    )
    axes.grid(True, which="major", alpha=0.3)
    # Beside the axes: ten entries' lines leave no corner inside free.
    axes.legend(
        fontsize=7,
        ncols=2,
        title="entry [row, column]",
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
    )
