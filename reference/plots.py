"""`trace NAME --plot PATH`: a training trace's loss curve, as PNG, PDF or SVG.

Everything that can go wrong with a plot (no matplotlib, a format it should not guess, a path that
cannot be written) is found by `check_plot_target` before the training runs, not after.
"""

from __future__ import annotations

import os
from typing import Any

FORMATS = ("png", "pdf", "svg")
PLOT_EXTRA = "pip install 'torch-builders-reference[plot]' (or: pip install matplotlib)"


class PlotError(Exception):
    """A plot that cannot be made as asked; the command line prints it as one line, exit 2."""


def plot_format(path: str) -> str:
    """The format the file name asks for: its extension, one of FORMATS."""
    if not path.strip():
        raise PlotError("--plot needs a file name, e.g. --plot loss.png")
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in FORMATS:
        raise PlotError(
            f"cannot tell the plot format from {path!r}: end the name in "
            + ", ".join(f".{f}" for f in FORMATS)
        )
    return extension


def check_plot_target(path: str) -> str:
    """Check, before any training, that a plot can be written to `path`; its format."""
    plot_format(path)
    try:
        import matplotlib  # noqa: F401  (only its presence is checked here)
    except ImportError:
        raise PlotError(f"--plot needs matplotlib: {PLOT_EXTRA}") from None
    check_writable(path)
    return plot_format(path)


def check_writable(path: str) -> None:
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
        raise PlotError(f"cannot write the plot to {path!r}: {problem}")


def plot_losses(name: str, trace: dict[str, Any], path: str) -> None:
    figure = loss_figure(name, trace)
    try:
        figure.savefig(path, format=plot_format(path))
    except OSError as error:
        raise PlotError(f"cannot write the plot to {path!r}: {error.strerror or error}") from None


def loss_figure(name: str, trace: dict[str, Any]):
    """Step and epoch losses against whole steps, on a log scale where the loss falls by more than
    a decade."""
    # A Figure of its own, not pyplot's: no backend switched and no figure left open in the caller's
    # session (a notebook's, say), and nothing to close. Its canvas draws with Agg; savefig picks the
    # writer from the format. The tight layout is worked out when it is drawn, not here.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    steps, epochs = trace["step_loss"], trace["epoch_loss"]
    per_epoch = len(steps) // len(epochs)
    figure = Figure(figsize=(6.4, 4.0), layout="tight")
    axes = figure.subplots()
    axes.plot(range(1, len(steps) + 1), steps, label="loss of each step", linewidth=0.8)
    axes.plot(
        [per_epoch * (i + 1) for i in range(len(epochs))],
        epochs,
        "o-",
        label="mean loss of each epoch",
    )
    low, high = min(steps + epochs), max(steps + epochs)
    if low > 0 and high / low > 10:  # over a decade: a linear axis would flatten the tail
        axes.set_yscale("log")
    else:  # plain numbers, no "+3.8e-2" offset to add in one's head
        axes.ticklabel_format(axis="y", style="plain", useOffset=False)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("optimizer step")
    axes.set_ylabel("loss" + (" (log scale)" if axes.get_yscale() == "log" else ""))
    axes.set_title(f"{name}: {len(steps)} steps, {len(epochs)} epochs")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend()
    return figure
