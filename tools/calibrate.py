"""Measure the snapshots' noise and signal, and the margins the tolerances leave on both sides.

    python tools/calibrate.py [--jobs N] [--python OTHER_VENV/bin/python ...] [--files]

Every snapshot of `snapshots/test_snapshots/` is recomputed (with the same functions the tests use,
`reference_testing.locked`) in a fresh process per perturbation of `reference_testing.perturbations`: the benign ones
(another CPU's kernels, one thread, one ulp on linear outputs) and every `--python` interpreter (another
torch release, with the reference on its path) give the noise; the catching ones (a learning rate 1%
off, an initialiser 1% wider, one weight moved by 1e-3, a shared parameter stepped per name) give the
signal. The CUDA figures of ../shared/measurements join the noise where that file is present.

Deviations are in units of the scale each number is judged against (`compare.Tolerance`).
It prints one row per kind of snapshot (noise, tolerance, signal and both margins) and, with
`--files`, one row per snapshot file. Exit status 1 when noise reaches a tolerance or a catching
change stays inside every tolerance: the tolerances in reference_testing/tolerances.py need a look.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reference_testing import kinds
from reference_testing.compare import largest_deviation, load
from reference_testing.perturbations import (
    BENIGN,
    CALIBRATION_SIGNAL,
    CATCHING,
    PERTURBATIONS,
    VARIABLE,
)
from reference_testing.tolerances import tolerance_for

ROOT = Path(__file__).resolve().parents[1]

# The smallest real changes the tolerances must stay below (the other catching perturbations are
# coarser, and held out: tools/mutants.py checks that the suite catches them). `--all` measures all.
SMALLEST_CHANGES = CALIBRATION_SIGNAL
MEASUREMENTS = ROOT.parent / "shared" / "measurements" / "cuda-vs-cpu-h100-torch2.11.json"
LOCKED = kinds.folder(ROOT / "snapshots")


@dataclass(frozen=True)
class Variation:
    label: str
    kind: str  # BENIGN or CATCHING
    python: str
    environment: dict[str, str]


def produce(output: Path) -> None:
    """In this (fresh, perhaps perturbed) process: every snapshot's data on the CPU, as JSON."""
    from reference.seeding import configure_determinism
    from reference_testing.perturbations import activate_from_environment

    configure_determinism()
    activate_from_environment()
    from reference_testing import locked

    data = {stem: make("cpu") for stem, _, _, make in locked.cpu_snapshots()}
    output.write_text(json.dumps({"torch": _torch_version(), "snapshots": data}), encoding="utf-8")


def _torch_version() -> str:
    import torch

    return torch.__version__


def run(variation: Variation, directory: Path) -> dict:
    output = directory / f"{variation.label.replace(' ', '-')}.json"
    if output.exists():
        return json.loads(output.read_text(encoding="utf-8"))
    environment = {**os.environ, **variation.environment}
    # Another release's venv has neither package installed: both are found from here.
    environment["PYTHONPATH"] = str(ROOT)
    command = [variation.python, str(Path(__file__)), "--produce", str(output)]
    done = subprocess.run(
        command, env=environment, capture_output=True, text=True, encoding="utf-8"
    )
    if done.returncode != 0:
        raise SystemExit(f"{variation.label} failed:\n{done.stderr[-3000:]}")
    return json.loads(output.read_text(encoding="utf-8"))


def variations(pythons: list[str], every_change: bool) -> list[Variation]:
    found = []
    for p in PERTURBATIONS.values():
        if p.kind == CATCHING and not every_change and p.name not in SMALLEST_CHANGES:
            continue
        environment = {**p.environment, VARIABLE: p.name}
        found.append(Variation(p.name, p.kind, sys.executable, environment))
    for python in pythons:
        version = subprocess.run(
            [python, "-c", "import torch; print(torch.__version__)"],
            capture_output=True, text=True, encoding="utf-8", check=True,
        ).stdout.strip()  # fmt: skip
        found.append(Variation(f"torch {version}", BENIGN, python, {VARIABLE: "none"}))
    return found


def cuda_noise(expected: dict[str, dict]) -> dict[str, float]:
    """Per snapshot stem, the CUDA-vs-CPU deviation measured on an H100, in units of scale."""
    if not MEASUREMENTS.exists():
        return {}
    measured = json.loads(MEASUREMENTS.read_text(encoding="utf-8"))
    noise = {}
    for name, figures in measured["forward"].items():
        if "max_over_scale" in figures:  # list_sequential cannot run on CUDA: an error is recorded
            noise[f"test_forward[{name}]"] = figures["max_over_scale"]
    for name, per_parameter in measured["grads"].items():
        worst = [f["max_over_scale"] for f in per_parameter.values() if "max_over_scale" in f]
        noise[f"test_shared_gradients[{name}]"] = max(worst, default=0.0)
    for name, figures in measured["traces"].items():
        stem = f"test_training_trace[{name}]"
        if stem in expected:
            scale = max(abs(v) for v in expected[stem]["step_loss"])
            noise[stem] = figures["step_loss_max_abs"] / scale
    return {stem: value for stem, value in noise.items() if stem in expected}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/calibrate.py", description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    parser.add_argument("--python", action="append", default=[], help="another release's python")
    parser.add_argument("--files", action="store_true", help="also one row per snapshot file")
    parser.add_argument(
        "--all",
        action="store_true",
        help="every catching perturbation, not only the smallest changes",
    )
    parser.add_argument("--json", metavar="FILE", help="write every deviation measured as JSON")
    parser.add_argument(
        "--keep", metavar="DIR", help="keep each variation's data in DIR and reuse what is there"
    )
    parser.add_argument("--produce", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.produce:
        produce(Path(args.produce))
        return 0

    from reference_testing import locked

    kinds = {stem: (kind, name) for stem, kind, name, _ in locked.cpu_snapshots()}
    expected = {
        stem: load((LOCKED / f"{stem}.json").read_text(encoding="utf-8"), stem) for stem in kinds
    }
    todo = variations(args.python, args.all)
    with tempfile.TemporaryDirectory() as scratch, ThreadPoolExecutor(args.jobs) as pool:
        directory = Path(args.keep or scratch)
        directory.mkdir(parents=True, exist_ok=True)
        results = dict(
            zip([v.label for v in todo], pool.map(lambda v: run(v, directory), todo), strict=True)
        )
    # deviation[label][stem], in units of scale
    deviation = {
        label: {stem: largest_deviation(r["snapshots"][stem], expected[stem]) for stem in kinds}
        for label, r in results.items()
    }
    if cuda := cuda_noise(expected):
        deviation["cuda (H100, torch 2.11, measured)"] = cuda
        todo.append(Variation("cuda (H100, torch 2.11, measured)", BENIGN, "", {}))
    kind_of = {v.label: v.kind for v in todo}
    if args.json:
        Path(args.json).write_text(json.dumps(deviation, indent=1), encoding="utf-8")
    return report(deviation, kind_of, kinds, args.files)


def report(deviation, kind_of, kinds, per_file: bool) -> int:
    trouble = []
    rows = []
    for kind in sorted({k for k, _ in kinds.values()}):
        stems = [s for s, (k, _) in kinds.items() if k == kind]
        noise, noisy = max(
            (deviation[v].get(s, 0.0), v) for v in deviation if kind_of[v] == BENIGN for s in stems
        )
        signals = [
            (max(deviation[v].get(s, 0.0) for s in stems), v)
            for v in deviation
            if kind_of[v] == CATCHING
        ]
        signal, change = min(((d, v) for d, v in signals if d > 0), default=(math.inf, "-"))
        tolerances = {tolerance_for(kind, kinds[s][1]).rtol for s in stems}
        rtol = min(tolerances)
        rows.append(
            (
                kind,
                f"{noise:.2g}",
                noisy,
                _tolerances(tolerances),
                f"{signal:.2g}",
                change,
                _ratio(rtol, noise),
                _ratio(signal, max(tolerances)),
            )
        )
    header = ("kind", "noise", "noisiest variation", "tolerance", "signal", "smallest change",
              "tol/noise", "signal/tol")  # fmt: skip
    print(_table(header, rows))
    for v, kind in kind_of.items():
        caught = [s for s in kinds if _beyond(deviation[v].get(s, 0.0), s, kinds)]
        if kind == BENIGN and caught:
            trouble.append(f"benign {v!r} goes beyond the tolerance of {', '.join(caught[:5])}")
        if kind == CATCHING and not caught:
            trouble.append(f"catching {v!r} stays inside every snapshot's tolerance")
    if per_file:
        print()
        file_rows = []
        for stem, (kind, name) in kinds.items():
            noise, noisy = max(
                (deviation[v].get(stem, 0.0), v) for v in deviation if kind_of[v] == BENIGN
            )
            rtol = tolerance_for(kind, name).rtol
            file_rows.append((stem, f"{noise:.2g}", noisy, f"{rtol:g}", _ratio(rtol, noise)))
        print(_table(("snapshot", "noise", "noisiest variation", "tolerance", "margin"), file_rows))
    print()
    print("\n".join(trouble) or "every benign variation inside, every catching change beyond.")
    return 1 if trouble else 0


def _beyond(value: float, stem: str, kinds) -> bool:
    kind, name = kinds[stem]
    return value > tolerance_for(kind, name).rtol


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "∞ (no noise)" if a > 0 else "-"
    return f"{a / b:.3g}×" if math.isfinite(a / b) else "∞ (structure)"


def _tolerances(values: set[float]) -> str:
    return " / ".join(f"{v:g}" for v in sorted(values))


def _table(header, rows) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
