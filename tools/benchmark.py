"""How long the suite and `python -m reference` take, as multiples of one `import torch`.

Run from the repository root, in the project's environment:

    python tools/benchmark.py

It measures, in this order and in this one run: `python -c "import torch"` (best of 3), the suite as
pytest runs it with `-n 0` and with `-n auto` (best of `--runs`, default 2; the better of the two is
the suite's time), and `python -m reference` (every example). It prints the machine's load
(`os.getloadavg()`) before and after, each time and its multiple of `import torch`, and the slowest
ten tests of the serial run (pytest's `--durations=10`). A benchmark, not a test: timings on a
shared machine are noisy, so read the load beside each figure and repeat when it is high. Beside
each wall-clock time, in brackets, the CPU time of the processes it waited for (user + system): it
varies less with the load, but it is not the figure that counts (with -n auto it adds up the
workers).

Against another checkout (an earlier commit: `git worktree add ../base COMMIT`, with its own
environment), back to back:

    python tools/benchmark.py --against ../base --against-python ../base-venv/bin/python

runs the suite (`pytest -n 2`, or `--workers`) there and here in turn, `--runs` times each (default
3), and prints each run's CPU time, wall-clock time and the load before it, then the medians and
here's multiple of there's. On a shared machine the CPU time is the steadier of the two.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_TORCH = [sys.executable, "-c", "import torch"]
SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=10"]
REFERENCE = [sys.executable, "-m", "reference"]


@dataclass
class Timing:
    wall: float  # seconds on the clock: the figure that counts
    cpu: float  # user + system seconds of the processes waited for: less sensitive to the load


def timed(
    command: list[str], cwd: Path = ROOT, env: dict[str, str] | None = None
) -> tuple[Timing, subprocess.CompletedProcess]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, encoding="utf-8", env=env
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu), done


def figure(timing: Timing, unit: Timing) -> str:
    return (
        f"{timing.wall:.2f} s = {timing.wall / unit.wall:.1f}x import torch "
        f"[cpu {timing.cpu:.2f} s = {timing.cpu / unit.cpu:.1f}x]"
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def slowest_tests(pytest_output: str) -> list[str]:
    """The lines of pytest's 'slowest N durations' section."""
    lines = pytest_output.splitlines()
    start = next((i for i, line in enumerate(lines) if "slowest" in line and "durations" in line), None)  # fmt: skip
    if start is None:
        return []
    rows = []
    for line in lines[start + 1 :]:
        if not re.match(r"\s*\d+(\.\d+)?s ", line):
            break
        rows.append(line.strip())
    return rows


def outcome(done: subprocess.CompletedProcess) -> str:
    """pytest's last line ('123 passed, 4 skipped in 9.87s'), or the exit status."""
    last = [line for line in done.stdout.splitlines() if line.strip()]
    summary = last[-1].strip("= ") if last else ""
    return f"exit {done.returncode}: {summary}" if summary else f"exit {done.returncode}"


def compare(against: Path, against_python: str, runs: int, workers: str) -> int:
    """The suite in `against` and here, alternately, `runs` times each: each run's CPU time (user +
    system of pytest and its workers), wall-clock time and the load before it; then the medians."""
    environment = {**os.environ, "PYTHONHASHSEED": "0"}  # as tox runs it
    sides = {"there": (against, against_python), "here": (ROOT, sys.executable)}
    command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", workers]
    found: dict[str, list[Timing]] = {side: [] for side in sides}
    failed = False
    for run in range(1, runs + 1):
        for side, (root, python) in sides.items():
            before = load()
            timing, done = timed([python, *command], cwd=root, env=environment)
            found[side].append(timing)
            failed = failed or done.returncode != 0
            print(
                f"run {run} {side:5} cpu {timing.cpu:6.2f} s  wall {timing.wall:6.2f} s  "
                f"({before}; {outcome(done)})",
                flush=True,
            )
            for line in done.stdout.splitlines():  # what failed, since the time includes it
                if line.startswith(("FAILED", "ERROR")):
                    print(f"  {line}", flush=True)
    median = {side: (statistics.median(t.cpu for t in ts), statistics.median(t.wall for t in ts))
              for side, ts in found.items()}  # fmt: skip
    for side, (root, _) in sides.items():
        print(
            f"median {side:5} cpu {median[side][0]:6.2f} s  wall {median[side][1]:6.2f} s  {root}"
        )
    print(
        f"here / there: cpu x{median['here'][0] / median['there'][0]:.2f}, "
        f"wall x{median['here'][1] / median['there'][1]:.2f} (pytest -n {workers})"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="skip `python -m reference`")
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="runs of the suite per -n (default 2): the best counts, as for import torch, since a "
        "shared machine only ever adds time; with --against, runs on each side (default 3)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        help="another checkout of the project: its suite and this one's, back to back",
    )
    parser.add_argument(
        "--against-python",
        default=sys.executable,
        help="the interpreter of --against's environment (default: this one)",
    )
    parser.add_argument("--workers", default="2", help="pytest -n, with --against (default 2)")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.against is not None:
        if not (args.against / "pyproject.toml").is_file():
            parser.error(f"--against {args.against}: no pyproject.toml there")
        return compare(args.against.resolve(), args.against_python, args.runs or 3, args.workers)
    args.runs = args.runs or 2

    print(f"python {sys.version.split()[0]} at {sys.executable}")
    print(f"before: {load()}")

    import_times = []
    for _ in range(3):
        timing, done = timed(IMPORT_TORCH)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        import_times.append(timing)
    unit = min(import_times, key=lambda t: t.wall)
    tries = ", ".join(f"{t.wall:.2f}" for t in import_times)
    print(f"import torch: {unit.wall:.2f} s (best of {tries}) [cpu {unit.cpu:.2f} s]")

    suite = {}
    for workers in ("0", "auto"):
        runs = [timed([*SUITE, "-n", workers]) for _ in range(args.runs)]
        timing, done = min(runs, key=lambda run: run[0].wall)
        failing = [other for _, other in runs if other.returncode != 0]
        done = failing[0] if failing else done  # a failing run is reported, however fast
        suite[workers] = (timing, done)
        tries = f" (best of {', '.join(f'{t.wall:.2f}' for t, _ in runs)})" if args.runs > 1 else ""
        print(f"pytest -n {workers}: {figure(timing, unit)}{tries}  ({outcome(done)})")
    best = min(suite, key=lambda w: suite[w][0].wall)
    print(f"suite: {figure(suite[best][0], unit)} (-n {best})")

    failed = any(done.returncode != 0 for _, done in suite.values())
    if not args.no_reference:
        timing, done = timed(REFERENCE)
        failed = failed or done.returncode != 0
        print(f"python -m reference: {figure(timing, unit)} (exit {done.returncode})")

    print(f"after: {load()}")
    print("slowest ten tests (pytest -n 0 --durations=10):")
    for row in slowest_tests(suite["0"][1].stdout):
        print(f"  {row}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
