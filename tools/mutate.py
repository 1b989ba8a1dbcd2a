"""Mutation testing of the code that decides verdicts, with mutmut: `tox -e mutate`.

    python tools/mutate.py [--max-children N] [--report-only]

The scope is the code a wrong verdict could hide in: `reference/tying.py`, `probes.py`,
`example.py`, `training.py`, `seeding.py` whole; every claim's check function in the topic modules
(read from the registry); the survival table's outcome logic. (The snapshot comparison, `reference_testing/compare.py`, is
test machinery outside mutmut's `source_paths`: `tests/machinery/test_tolerance.py` tests it
directly.) mutmut copies the project into `mutants/`, runs the suite once to learn
which tests reach each function, then runs only those tests against each mutant.

A survivor is either killed by a test or recorded in `tools/mutation_equivalents.toml` with one line
on why no test can tell it from the original (matched by its function and the line it changes, so
the record outlives mutmut's numbering). Prints the table in docs/maintainers.md, per module: killed, survived,
equivalent; exits 1 when a survivor is unexplained or fewer than 90% of the non-equivalent mutants
are killed.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import os
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
GOAL = 0.90
# mutmut's statuses: a hang counts as failing tests; "no tests" (none reaches it) as a survivor.
KILLED = {"killed", "timeout"}
NOT_RUN = {"not checked", "skipped"}

WHOLE_MODULES = (
    "reference.tying",
    "reference.probes",
    "reference.example",
    "reference.training",
    "reference.seeding",
)
SURVIVAL_OUTCOME = (
    "same_storage",
    "same_values",
    "outcome_of",
    "step_label",
    "outcome_of_one_step",
    "error_text",
    "raised",
)


def claim_check_functions() -> list[tuple[str, str]]:
    """(module, top-level function) of every claim's check, from the registry."""
    import reference

    found = set()
    for name in reference.names():
        for claim in reference.get(name).claims:
            check = claim.check
            while isinstance(check, functools.partial):
                check = check.func
            found.add((check.__module__, check.__qualname__.split(".")[0]))
    return sorted(found)


def scope() -> list[str]:
    """mutmut's mutant-name patterns (`module.x_function__mutmut_N`; methods: `module.xǁClassǁmethod…`)."""
    patterns = [f"{module}.*" for module in WHOLE_MODULES]
    patterns += [f"{module}.x_{function}__mutmut_*" for module, function in claim_check_functions()]
    patterns += [f"reference.survival.x_{function}__mutmut_*" for function in SURVIVAL_OUTCOME]
    return patterns


def mutmut(*arguments: str, capture: bool = False) -> str:
    command = [sys.executable, "-m", "mutmut", *arguments]
    if not capture:
        subprocess.run(command, cwd=ROOT, check=True)
        return ""
    return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def results() -> dict[str, str]:
    """Mutant name -> status, for every mutant of the scope that ran (a run by hand may have
    mutated more: `mutmut run "reference.module.*"`)."""
    patterns = scope()
    statuses = {}
    for line in mutmut("results", "--all", "true", capture=True).splitlines():
        name, _, status = line.strip().partition(": ")
        if status and any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
            statuses[name] = status
    return statuses


def changed_line(name: str) -> tuple[str, str]:
    """The line a mutant removes and the line it adds (first of each), stripped (mutmut's own
    `show`, called in this process: a process per survivor took a second each)."""
    from mutmut.__main__ import find_mutant, get_diff_for_mutant

    diff = get_diff_for_mutant(name, path=find_mutant(name).path).splitlines()
    removed = next(
        (d[1:].strip() for d in diff if d.startswith("-") and not d.startswith("---")), ""
    )
    added = next((d[1:].strip() for d in diff if d.startswith("+") and not d.startswith("+++")), "")
    return removed, added


def function_of(name: str) -> str:
    """`reference.tying.x_equals_sum__mutmut_3` -> `reference.tying.equals_sum`."""
    module, _, mangled = name.rpartition(".")
    function = mangled.removeprefix("x_").rpartition("__mutmut_")[0].replace("ǁ", ".").strip(".")
    return f"{module}.{function}"


def load_equivalents() -> list[dict]:
    return tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])


def is_recorded(name: str, removed: str, added: str, equivalents: list[dict]) -> dict | None:
    for entry in equivalents:
        if (entry["function"], entry["removed"], entry["added"]) == (
            function_of(name),
            removed,
            added,
        ):
            return entry
    return None


def drops_the_device(removed: str, added: str) -> bool:
    """A mutant that only loses the device a check was asked for (one `device` -> `None`, or that
    argument dropped): on a machine without CUDA everything is built on the CPU either way, so no
    CPU run can tell it apart; only the CUDA leg can, where a check looks at where it ran."""
    for at in (i for i in range(len(removed)) if removed.startswith("device", i)):
        before, after = removed[:at], removed[at + len("device") :]
        dropped = [
            before + "None" + after,
            before + after.removeprefix(", ") if after.startswith(", ") else None,
            before.removesuffix(", ") + after if before.endswith(", ") else None,
            before + after if before.endswith("(") and after.startswith(")") else None,
        ]
        if added in dropped:
            return True
    return False


def report(statuses: dict[str, str], equivalents: list[dict]) -> int:
    counts: dict[str, Counter] = {}
    unexplained, used = [], set()
    for name, status in sorted(statuses.items()):
        module = name.rpartition(".")[0]
        tally = counts.setdefault(module, Counter())
        if status in NOT_RUN:
            continue
        if status in KILLED:
            tally["killed"] += 1
            tally["timed out"] += status == "timeout"
            continue
        removed, added = changed_line(name)
        entry = is_recorded(name, removed, added, equivalents)
        if drops_the_device(removed, added):
            tally["device only"] += 1
        elif entry is not None:
            tally["equivalent"] += 1
            used.add(id(entry))
        else:
            tally["survived"] += 1
            unexplained.append(f"{name} ({status}): - {removed}  + {added}")
    rows = [
        "| module | killed | survived | equivalent | device only | killed of non-equivalent |",
        "|---|---|---|---|---|---|",
    ]
    total = Counter()
    for module, tally in sorted(counts.items()):
        if not tally:
            continue  # out of scope: none of its mutants ran
        total.update(tally)
        rows.append(_row(module, tally))
    rows.append(_row("**all**", total))
    print("\n".join(rows))
    stale = [e for e in equivalents if id(e) not in used]
    for entry in stale:
        print(
            f"note: recorded equivalent not met this run: {entry['function']}: {entry['removed']}"
        )
    for line in unexplained:
        print(f"SURVIVED {line}")
    killed, real = total["killed"], total["killed"] + total["survived"]
    rate = killed / real if real else 1.0
    print(
        f"{killed}/{real} non-equivalent mutants killed ({rate:.1%}); goal {GOAL:.0%}; "
        f"{total['device only']} more only drop the device (killed by no CPU run: not counted); "
        f"{total['timed out']} of the killed timed out (run again alone, they still hang)"
    )
    return 0 if rate >= GOAL and not unexplained else 1


def _row(module: str, tally: Counter) -> str:
    real = tally["killed"] + tally["survived"]
    rate = f"{tally['killed'] / real:.1%}" if real else "-"
    return (
        f"| `{module}` | {tally['killed']} | {tally['survived']} | {tally['equivalent']} "
        f"| {tally['device only']} | {rate} |"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-children", type=int, help="mutmut's worker count (default: cores)")
    parser.add_argument(
        "--report-only", action="store_true", help="report the last run's results, run nothing"
    )
    options = parser.parse_args(argv)
    os.chdir(ROOT)  # mutmut reads its configuration and results from the working folder
    if not options.report_only:
        children = ["--max-children", str(options.max_children)] if options.max_children else []
        mutmut("run", *children, *scope())
        # A mutant that timed out while others loaded the machine is run again alone: what still
        # times out hangs (pytest-timeout fails it), which counts as caught.
        timed_out = [name for name, status in results().items() if status == "timeout"]
        if timed_out:
            mutmut("run", "--max-children", "1", *timed_out)
    return report(results(), load_equivalents())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
