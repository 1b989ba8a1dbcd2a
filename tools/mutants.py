"""The suite's regression power, measured: run the default suite once per perturbation, each in a
fresh process, and say which it catches.

    python tools/mutants.py [--jobs N] [NAME ...]

The perturbations are `reference_testing.perturbations`': `benign` ones (another CPU's kernels, one thread,
one ulp) that the suite must pass, `catching` ones (a PyTorch default, bookkeeping, copying or
random stream changed; the reference's own past breaks) that it must fail. A catching run stops at
the first failure (`-x`); a benign run runs the whole suite.

Honest counting:
- "caught" means failing tests: pytest's exit 1 with at least one FAILED test. An import error, a
  collection error or a crash (exit 2 to 4, ERROR only) is reported as such and is no catch.
- A benign variation counts only where it moves a number on this machine: each one's largest
  deviation from the snapshots is measured (as tools/calibrate.py measures it) and shown; one that
  moves nothing (ATEN_CPU_CAPABILITY=avx2 on an AVX2 machine) is "moves nothing here", not a pass.
- The catching changes that set the tolerances (`CALIBRATION_SIGNAL`) are reported apart from the
  ones held out of calibration: only the held-out ones test the tolerances without circularity.

Prints a Markdown table and exits 1 when a verdict is not OK: a benign change caught (false alarm),
a catching one missed or only crashing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reference_testing.perturbations import (
    BENIGN,
    CALIBRATION_SIGNAL,
    PERTURBATIONS,
    VARIABLE,
    Perturbation,
)

ROOT = Path(__file__).resolve().parents[1]

PYTEST = ["-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider"]
FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")
SHOWN_FAILURES = 2
# A catching run stops at its first failure, so it runs the suite's files in this order (the rest
# after): the registry-wide checks first, the tests that run nested pytest projects (no torch in
# them, a minute of CPU) last. A benign run runs the suite as pytest orders it.
FIRST = ("test_examples.py", "test_snapshots.py", "test_chapter.py", "test_survival.py")
LAST = ("test_snapshot_safety.py", "test_snapshot_orphans.py")


def suite_files_catching_first() -> list[str]:
    files = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "tests").rglob("test_*.py"))]
    rank = {name: i for i, name in enumerate(FIRST)} | {
        name: 100 + i for i, name in enumerate(LAST)
    }
    return sorted(files, key=lambda file: rank.get(Path(file).name, 50))


@dataclass(frozen=True)
class Result:
    name: str
    kind: str
    returncode: int
    failures: tuple[str, ...]
    seconds: float
    last_line: str = ""
    moved: float | None = (
        None  # a benign run's largest deviation from the snapshots, in scale units
    )

    @property
    def caught(self) -> bool:
        """Failing tests: exit 1 with a FAILED test (not an ERROR, an import error or a crash)."""
        return self.returncode == 1 and any(not f.startswith("ERROR ") for f in self.failures)

    @property
    def crashed(self) -> bool:
        return self.returncode != 0 and not self.caught

    @property
    def verdict(self) -> str:
        return verdict(self.kind, self.caught, self.crashed, self.moved)


def verdict(kind: str, caught: bool, crashed: bool = False, moved: float | None = None) -> str:
    """OK when a benign change that moves a number passes and a catching one fails its tests."""
    if crashed:
        return "ALARM (crashed, no test failed)"
    if kind == BENIGN:
        if caught:
            return "ALARM (false alarm)"
        return "moves nothing here: not counted" if moved == 0 else "OK"
    return "OK" if caught else "ALARM (missed)"


def failures_in(output: str) -> tuple[str, ...]:
    """The failing and erroring tests pytest's short summary names, in order; an erroring one
    keeps its `ERROR ` prefix (an error is no failed assertion)."""
    found = []
    for line in output.splitlines():
        if m := FAILED_LINE.match(line):
            found.append(m.group(2) if m.group(1) == "FAILED" else f"ERROR {m.group(2)}")
    return tuple(found)


def deviation_under(perturbation: Perturbation) -> float:
    """The largest deviation of any snapshot under `perturbation`, in units of its scale (0: it
    changes no number on this machine)."""
    import calibrate  # this folder's, as a script's sibling

    from reference_testing import locked
    from reference_testing.compare import largest_deviation

    variation = calibrate.Variation(
        perturbation.name,
        perturbation.kind,
        sys.executable,
        {**perturbation.environment, VARIABLE: perturbation.name},
    )
    with tempfile.TemporaryDirectory() as scratch:
        produced = calibrate.run(variation, Path(scratch))["snapshots"]
    expected = {
        stem: calibrate.load((calibrate.LOCKED / f"{stem}.json").read_text(encoding="utf-8"), stem)
        for stem, *_ in locked.cpu_snapshots()
    }
    return max(largest_deviation(produced[stem], expected[stem]) for stem in expected)


def run(perturbation: Perturbation) -> Result:
    environment = {**os.environ, **perturbation.environment, VARIABLE: perturbation.name}
    command = [sys.executable, *PYTEST]
    if perturbation.kind != BENIGN:
        command += ["-x", *suite_files_catching_first()]
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, encoding="utf-8"
    )
    output = done.stdout + done.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    return Result(
        perturbation.name,
        perturbation.kind,
        done.returncode,
        failures_in(output),
        time.monotonic() - start,
        lines[-1] if lines else "",
        deviation_under(perturbation) if perturbation.kind == BENIGN else None,
    )


def run_and_report(perturbation: Perturbation) -> Result:
    """`run`, with one progress line on stderr (a whole run takes minutes)."""
    result = run(perturbation)
    caught = "caught" if result.caught else "not caught"
    print(f"{result.name}: {caught} in {result.seconds:.0f} s: {result.verdict}", file=sys.stderr)
    return result


def group_of(result: Result) -> str:
    if result.kind == BENIGN:
        return "benign"
    return "calibration" if result.name in CALIBRATION_SIGNAL else "held out"


def table(results: list[Result]) -> str:
    rows = [
        "| perturbation | kind | moves (scale units) | caught? | first failing test(s) | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        shown = ", ".join(f"`{f.replace('tests/', '', 1)}`" for f in r.failures[:SHOWN_FAILURES])
        if r.crashed:
            shown = f"exit {r.returncode}: {r.last_line}"  # an error before or instead of a test
        caught = "yes" if r.caught else "no"
        moved = "-" if r.moved is None else f"{r.moved:.2g}"
        rows.append(
            f"| `{r.name}` | {group_of(r)} | {moved} | {caught} | {shown or '-'} | {r.verdict} |"
        )
    return "\n".join(rows)


def summary(results: list[Result]) -> str:
    """One line per group: held-out and calibration catches apart, benign ones that count apart."""
    lines = []
    for group in ("held out", "calibration"):
        chosen = [r for r in results if group_of(r) == group]
        if chosen:
            caught = sum(r.caught for r in chosen)
            lines.append(f"{group}: {caught}/{len(chosen)} catching perturbations caught")
    benign = [r for r in results if r.kind == BENIGN]
    if benign:
        counted = [r for r in benign if r.moved != 0]
        alarms = sum(r.caught for r in counted)
        idle = ", ".join(r.name for r in benign if r.moved == 0) or "none"
        lines.append(
            f"benign: {len(counted)} move a number here, {alarms} false alarm(s); "
            f"moving nothing here (not counted): {idle}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/mutants.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="perturbations (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="suite runs at once (default 1)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in PERTURBATIONS]
    if unknown or args.jobs < 1:
        problem = (
            f"unknown perturbation(s): {', '.join(unknown)}" if unknown else "--jobs must be ≥ 1"
        )
        print(f"{problem}; known: {', '.join(PERTURBATIONS)}", file=sys.stderr)
        return 2
    chosen = [PERTURBATIONS[n] for n in args.names or PERTURBATIONS]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(run_and_report, chosen))
    print(table(results))
    alarms = [r.name for r in results if r.verdict.startswith("ALARM")]
    print("\n" + summary(results) + (f"\nnot OK: {', '.join(alarms)}" if alarms else ""))
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
