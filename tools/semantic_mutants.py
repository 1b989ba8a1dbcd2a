"""Semantic mutants: realistic bugs, one at a time, each against the whole suite.

    python tools/semantic_mutants.py [--held-out] [--list] [NAME ...]

mutmut (`tox -e mutate`) swaps operators and constants. The bugs a maintainer writes are of other
kinds: one conjunct of an `and` dropped, two tensors swapped, equal values taken for one object, a
dtype left out of a comparison, an `abs` forgotten, a default changed, a guard that can no longer
fire, a skip rule inverted, a helper's result emptied, a scale read from the new run instead of the
snapshot. `tools/semantic_mutants.toml` lists such bugs in everything a verdict or a survival row
runs; each names its file, the exact text it replaces (found exactly once, or the run stops naming
the mutant), its class (`CLASSES`) and why it is realistic.

The project is copied into a temporary folder (the files git tracks or would track) and every
mutant is applied there, never in the working tree: the tree is hashed before and after, and a run
that finds it changed says so. The copy runs with PYTHONPATH pointing at it and no bytecode written,
so every import, a nested pytest project's and a spawned rank's too, reads the mutated source.

Honest counting, as tools/mutants.py counts:
- "caught": at least one FAILED test, and pytest's exit 1, or exit 2 where xdist stopped the run at
  that failure (`-x` under xdist ends "xdist.dsession.Interrupted: stopping after 1 failures", exit
  2: seen). An import or collection error, or a run with errors only, is no catch: it is reported
  as "error, no test failed".
- A survivor marked `equivalent` carries the argument that no input tells it from the original; an
  equivalent one that is caught has a wrong argument, and is reported.
- The held-out part (`held_out = true`: written from the code alone, before any fix, the tests
  unread) is reported apart from the working set.

First the unmutated copy runs (a mutant cannot be judged against a failing suite). Prints a
Markdown table per part and exits 1 on any survivor not marked equivalent, any error, any
equivalent caught.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS_FILE = ROOT / "tools" / "semantic_mutants.toml"

# What the issue asked for (issue 28, item 3), and the kinds found writing them.
CLASSES = {
    "drop_conjunct": "one operand of an and/or (or of all/any) dropped",
    "swap_tensors": "two tensors or operands swapped",
    "equality_for_identity": "equal values (or one memory) taken for one object, or the reverse",
    "drop_dtype_shape_device": "dtype, shape or device left out of a comparison",
    "drop_abs": "an abs() forgotten",
    "change_default": "a default argument changed",
    "dead_guard": "a guard that can no longer fire",
    "invert_skip_rule": "a skip rule inverted or widened",
    "empty_result": "a helper's result emptied",
    "scale_from_new_run": "a scale read from the new run instead of the snapshot",
    "tolerance_scale": "a tolerance judged against another scale (a sum of magnitudes, ...)",
    "ignored_argument": "an argument accepted and never used",
    "widened_exception": "an except clause widened",
    "wrong_operand": "a comparison or computation made on the wrong value",
}

FIELDS = {"name", "file", "original", "replacement", "class", "why", "held_out", "equivalent"}
REQUIRED = FIELDS - {"equivalent", "held_out"}

# The suite's 30 s limit per test is there to name a hang; on a loaded machine (the harness runs
# 2 workers beside whatever else runs) a slow fixture passed it with no mutant applied (seen: the
# unmutated suite failed on a condition-coverage fixture). 120 s still names a hang, and a test
# that fails only by its time is reported apart, never counted as a catch.
PYTEST = ["-m", "pytest", "-x", "-q", "-n", "2", "-p", "no:cacheprovider", "--timeout=120"]
# Left out of every run: the tests of this harness and of the mutmut equivalents read the mutants'
# and the equivalents' source lines, so they fail on any mutant by reading it, not by running it
# (seen: every held-out mutant "caught" by test_every_mutant_still_applies_to_the_code).
BOOKKEEPING = [
    "--ignore=tests/machinery/test_semantic_mutants.py",
    "--ignore=tests/machinery/test_mutation_equivalents.py",
]
FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)(.*)$")
# How xdist ends a run that -x stopped at a failure (its exit status is then 2, not 1).
XDIST_STOPPED = "xdist.dsession.Interrupted: stopping after"
SHOWN_FAILURES = 1


class MutantError(Exception):
    """A mutant that cannot be applied as written: named, with what is wrong."""


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    original: str
    replacement: str
    kind: str  # the class
    why: str
    held_out: bool = False
    equivalent: str = ""


def load(path: Path = MUTANTS_FILE) -> list[Mutant]:
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("mutant", [])
    mutants, seen = [], set()
    for i, entry in enumerate(entries):
        label = entry.get("name", f"entry {i + 1}")
        if missing := REQUIRED - set(entry):
            raise MutantError(f"mutant {label}: missing {', '.join(sorted(missing))}")
        if unknown := set(entry) - FIELDS:
            raise MutantError(f"mutant {label}: unknown field(s) {', '.join(sorted(unknown))}")
        if entry["class"] not in CLASSES:
            raise MutantError(
                f"mutant {label}: unknown class {entry['class']!r}; known: {', '.join(CLASSES)}"
            )
        if label in seen:
            raise MutantError(f"mutant {label}: the name is used twice")
        if entry["original"] == entry["replacement"]:
            raise MutantError(f"mutant {label}: the replacement is the original")
        seen.add(label)
        mutants.append(
            Mutant(
                label,
                entry["file"],
                entry["original"],
                entry["replacement"],
                entry["class"],
                entry["why"],
                bool(entry.get("held_out", False)),
                entry.get("equivalent", ""),
            )
        )
    return mutants


def mutated_text(mutant: Mutant, root: Path) -> str:
    """The mutant's file with its original text replaced; the original must occur exactly once."""
    path = root / mutant.file
    if not path.is_file():
        raise MutantError(f"mutant {mutant.name}: no file {mutant.file}")
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.original)
    if count != 1:
        raise MutantError(
            f"mutant {mutant.name}: its original text occurs {count} times in {mutant.file} "
            "(exactly once is needed: has the code moved or changed?)"
        )
    return text.replace(mutant.original, mutant.replacement)


# --- the copy -------------------------------------------------------------------------------------


def project_files(root: Path = ROOT) -> list[str]:
    """The files git tracks or would track (untracked, not ignored): what a clone would hold."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted(name for name in set(listed.split("\0")) if name and (root / name).is_file())


def fingerprint(root: Path, files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return digest.hexdigest()


def copy_project(root: Path, files: list[str], destination: Path) -> None:
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def environment(copy: Path) -> dict[str, str]:
    """Imports come from the copy (before the editable install's finder), and no bytecode is
    written: a mutant of the same length written in the same second as the original would
    otherwise be read from a stale .pyc."""
    path = os.pathsep.join(filter(None, [str(copy), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def imports_from(copy: Path) -> str:
    """Where the copy's interpreter finds the packages: must be the copy."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import reference, reference_testing.plugin as p; print(reference.__file__); "
            "print(p.__file__)",
        ],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
    )
    return done.stdout


# --- a run and its verdict ------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    mutant: Mutant
    returncode: int
    failures: tuple[str, ...]
    seconds: float
    last_line: str = ""
    stopped: bool = False  # xdist stopped the run at a failure (-x)

    @property
    def caught(self) -> bool:
        return is_caught(self.returncode, self.failures, self.stopped)

    @property
    def outcome(self) -> str:
        return outcome(self.returncode, self.failures, self.mutant.equivalent, self.stopped)


def is_caught(returncode: int, failures: tuple[str, ...], stopped: bool = False) -> bool:
    """Failing tests: a FAILED test (not an ERROR, an import error or a crash), and exit 1, or exit
    2 where xdist's -x stopped the run."""
    failed = any(not f.startswith(("ERROR ", "TIMEOUT ")) for f in failures)
    return failed and (returncode == 1 or (returncode == 2 and stopped))


def outcome(
    returncode: int, failures: tuple[str, ...], equivalent: str = "", stopped: bool = False
) -> str:
    """caught, survived, equivalent (survived, with an argument), error (no test failed), or
    caught though declared equivalent (the argument is wrong)."""
    if is_caught(returncode, failures, stopped):
        return "CAUGHT THOUGH DECLARED EQUIVALENT" if equivalent else "caught"
    if any(f.startswith("TIMEOUT ") for f in failures):
        return "TIMEOUT or crash, no assertion failed: run it again"
    if returncode != 0:
        return f"ERROR, no test failed (exit {returncode})"
    return "equivalent" if equivalent else "SURVIVED"


def is_alarm(text: str) -> bool:
    return text not in ("caught", "equivalent")


def failures_in(output: str) -> tuple[str, ...]:
    """The failing and erroring tests pytest's short summary names, in order; an erroring one keeps
    its `ERROR ` prefix, one that failed by its time alone gets `TIMEOUT `."""
    found = []
    for line in output.splitlines():
        if m := FAILED_LINE.match(line):
            if m.group(1) == "ERROR":
                found.append(f"ERROR {m.group(2)}")
            # pytest-timeout's "Failed: Timeout >120.0s", or xdist's "worker 'gw0' crashed while
            # running" (pytest-timeout's thread method ends the worker).
            elif "Timeout" in m.group(3) or "crashed while running" in m.group(3):
                found.append(f"TIMEOUT {m.group(2)}")
            else:
                found.append(m.group(2))
    return tuple(found)


def run_suite(copy: Path, pytest_args: list[str]) -> tuple[int, str, float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, *PYTEST, *BOOKKEEPING, *pytest_args],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - start


def run(mutant: Mutant, copy: Path, pytest_args: list[str], logs: Path | None = None) -> Result:
    """The suite against the copy with `mutant` applied; the copy's file is restored after."""
    path = copy / mutant.file
    original = path.read_text(encoding="utf-8")
    path.write_text(mutated_text(mutant, copy), encoding="utf-8")
    try:
        returncode, output, seconds = run_suite(copy, pytest_args)
    finally:
        path.write_text(original, encoding="utf-8")
    if logs is not None:
        (logs / f"{mutant.name}.log").write_text(output, encoding="utf-8")
    lines = [line for line in output.splitlines() if line.strip()]
    result = Result(
        mutant,
        returncode,
        failures_in(output),
        seconds,
        lines[-1] if lines else "",
        XDIST_STOPPED in output,
    )
    if not result.caught and returncode != 0:
        print(
            f"{mutant.name}: exit {returncode}, the output's end:\n{output[-2000:]}",
            file=sys.stderr,
        )
    return result


# --- the report -----------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    rows = [
        "| mutant | class | file | outcome | first failing test | s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        shown = ", ".join(f"`{f.replace('tests/', '', 1)}`" for f in r.failures[:SHOWN_FAILURES])
        if not r.caught and r.returncode != 0:
            shown = f"exit {r.returncode}: {r.last_line}"
        rows.append(
            f"| `{r.mutant.name}` | {r.mutant.kind} | `{r.mutant.file}` | {r.outcome} "
            f"| {shown or '-'} | {r.seconds:.0f} |"
        )
    return "\n".join(rows)


def part_summary(label: str, results: list[Result]) -> str:
    equivalent = [r for r in results if r.mutant.equivalent]
    caught = sum(r.caught for r in results)
    return (
        f"{label}: {caught}/{len(results)} caught"
        f" ({len(results) - len(equivalent)} not equivalent, {len(equivalent)} declared equivalent)"
    )


def report(results: list[Result]) -> str:
    parts = [
        (
            "held out (written before any fix, tests unread)",
            [r for r in results if r.mutant.held_out],
        ),
        ("working set", [r for r in results if not r.mutant.held_out]),
    ]
    text = []
    for label, chosen in parts:
        if chosen:
            text += [f"### {label}", "", table(chosen), "", part_summary(label, chosen), ""]
    equivalents = [r.mutant for r in results if r.mutant.equivalent]
    if equivalents:
        text += ["Declared equivalent:"] + [f"- `{m.name}`: {m.equivalent}" for m in equivalents]
    return "\n".join(text)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/semantic_mutants.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="mutants (default: all)")
    parser.add_argument("--held-out", action="store_true", help="the held-out part only")
    parser.add_argument(
        "--list", action="store_true", help="list the mutants and check each applies"
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the unmutated run (it must pass)"
    )
    parser.add_argument(
        "--logs", type=Path, help="a folder (outside the project) for each run's pytest output"
    )
    args = parser.parse_args(argv)
    try:
        mutants = load()
        for mutant in mutants:
            mutated_text(mutant, ROOT)  # every one applies before anything runs
    except MutantError as error:
        print(f"semantic_mutants: {error}", file=sys.stderr)
        return 2
    known = {m.name: m for m in mutants}
    if unknown := [n for n in args.names if n not in known]:
        print(f"unknown mutant(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    chosen = [known[n] for n in args.names] if args.names else mutants
    if args.held_out:
        chosen = [m for m in chosen if m.held_out]
    if args.list:
        for m in chosen:
            print(f"{m.name:45} {m.kind:24} {'held out' if m.held_out else '':8} {m.file}")
        return 0

    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    files = project_files()
    before = fingerprint(ROOT, files)
    results: list[Result] = []
    try:
        # Beside the project: what tests look for in the folders above it (the source documents,
        # the book's mirror) is found from the copy as from the tree.
        with tempfile.TemporaryDirectory(prefix=".semantic-mutants-", dir=ROOT.parent) as scratch:
            copy = Path(scratch) / "project"
            copy_project(ROOT, files, copy)
            where = imports_from(copy)
            if any(not line.startswith(str(copy)) for line in where.splitlines()):
                print(f"the copy imports from elsewhere:\n{where}", file=sys.stderr)
                return 2
            if not args.no_baseline:
                returncode, output, seconds = run_suite(copy, [])
                print(f"unmutated: exit {returncode} in {seconds:.0f} s", file=sys.stderr)
                if returncode != 0:
                    print(output[-3000:], file=sys.stderr)
                    print("the unmutated suite fails: no mutant can be judged", file=sys.stderr)
                    return 2
            for i, mutant in enumerate(chosen, 1):
                result = run(mutant, copy, [], args.logs)
                results.append(result)
                print(
                    f"[{i}/{len(chosen)}] {mutant.name}: {result.outcome} in {result.seconds:.0f} s",
                    file=sys.stderr,
                )
    finally:
        if fingerprint(ROOT, files) != before:
            print(
                "the working tree changed during the run (the run mutates only its copy: was "
                "the tree edited beside it?)",
                file=sys.stderr,
            )
    print(report(results))
    minutes = (time.monotonic() - start) / 60
    print(f"\n{len(results)} mutant(s) in {minutes:.1f} min")
    alarms = [r.mutant.name for r in results if is_alarm(r.outcome)]
    if alarms:
        print(f"not caught and not shown equivalent: {', '.join(alarms)}")
    return 1 if alarms else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
