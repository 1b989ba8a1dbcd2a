"""The suite's regression power, measured: run the default suite once per perturbation, each in a
fresh process, and say which it catches.

    python tools/mutants.py [--jobs N] [NAME ...]

The perturbations are `tests/perturbations.py`'s: `benign` ones (another CPU's kernels, one thread,
one ulp) that the suite must pass, `catching` ones (a PyTorch default, bookkeeping, copying or
random stream changed; the reference's own past breaks) that it must fail. A catching run stops at
the first failure (`-x`); a benign run runs the whole suite. Prints a Markdown table and exits 1 when
a verdict is not OK: a benign change caught (false alarm) or a catching one missed.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from perturbations import BENIGN, PERTURBATIONS, VARIABLE, Perturbation  # noqa: E402

PYTEST = ["-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider"]
FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")
SHOWN_FAILURES = 2
# A catching run stops at its first failure, so it runs the suite's files in this order (the rest
# after): the registry-wide checks first, the tests that run nested pytest projects (no torch in
# them, a minute of CPU) last. A benign run runs the suite as pytest orders it.
FIRST = ("test_examples.py", "test_snapshots.py", "test_chapter.py", "test_survival.py")
LAST = ("test_snapshot_safety.py", "test_snapshot_orphans.py")


def suite_files_catching_first() -> list[str]:
    files = [p.name for p in sorted((ROOT / "tests").glob("test_*.py"))]
    rank = {name: i for i, name in enumerate(FIRST)} | {
        name: 100 + i for i, name in enumerate(LAST)
    }
    return [f"tests/{name}" for name in sorted(files, key=lambda name: rank.get(name, 50))]


@dataclass(frozen=True)
class Result:
    name: str
    kind: str
    returncode: int
    failures: tuple[str, ...]
    seconds: float
    last_line: str = ""

    @property
    def caught(self) -> bool:
        return self.returncode != 0

    @property
    def verdict(self) -> str:
        return verdict(self.kind, self.caught)


def verdict(kind: str, caught: bool) -> str:
    """OK when a benign change passes and a catching one fails; ALARM otherwise."""
    if kind == BENIGN:
        return "ALARM (false alarm)" if caught else "OK"
    return "OK" if caught else "ALARM (missed)"


def failures_in(output: str) -> tuple[str, ...]:
    """The failing and erroring tests pytest's short summary names, in order."""
    return tuple(m.group(2) for line in output.splitlines() if (m := FAILED_LINE.match(line)))


def run(perturbation: Perturbation) -> Result:
    environment = {**os.environ, **perturbation.environment, VARIABLE: perturbation.name}
    command = [sys.executable, *PYTEST]
    if perturbation.kind != BENIGN:
        command += ["-x", *suite_files_catching_first()]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    output = done.stdout + done.stderr
    lines = [line for line in output.splitlines() if line.strip()]
    return Result(
        perturbation.name,
        perturbation.kind,
        done.returncode,
        failures_in(output),
        time.monotonic() - start,
        lines[-1] if lines else "",
    )


def run_and_report(perturbation: Perturbation) -> Result:
    """`run`, with one progress line on stderr (a whole run takes minutes)."""
    result = run(perturbation)
    caught = "caught" if result.caught else "not caught"
    print(f"{result.name}: {caught} in {result.seconds:.0f} s: {result.verdict}", file=sys.stderr)
    return result


def table(results: list[Result]) -> str:
    rows = [
        "| perturbation | kind | caught? | first failing test(s) | verdict |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        shown = ", ".join(f"`{f.removeprefix('tests/')}`" for f in r.failures[:SHOWN_FAILURES])
        if not shown and r.caught:
            shown = f"exit {r.returncode}: {r.last_line}"  # e.g. an error before any test ran
        caught = "yes" if r.caught else "no"
        rows.append(f"| `{r.name}` | {r.kind} | {caught} | {shown or '-'} | {r.verdict} |")
    return "\n".join(rows)


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
    alarms = [r.name for r in results if r.verdict != "OK"]
    caught = sum(r.caught for r in results if r.kind != BENIGN)
    catching = sum(r.kind != BENIGN for r in results)
    print(
        f"\n{caught}/{catching} catching perturbations caught; "
        f"{sum(r.caught for r in results if r.kind == BENIGN)} false alarm(s)"
        + (f"; not OK: {', '.join(alarms)}" if alarms else "")
    )
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
