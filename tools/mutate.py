"""Mutation testing of everything a verdict or a survival row runs, with mutmut: `tox -e mutate`.

    python tools/mutate.py [--max-children N] [--report-only] [--no-whole-suite] [PATTERN ...]
    python tools/mutate.py --measure-scope [--write] [--slow]

The scope is measured, not chosen: `--measure-scope` runs, under a profiler, the suite's tests of
the verdicts and rows (each claim in its example's summary and against its snapshot, each
counter-case, each quick survival row against its snapshot: VERDICT_TESTS), then every claim's check
at its default and at each counter-case and every quick survival row directly, and lists each
function of `reference/` and `reference_testing/` that ran (a nested function counts as the one
around it, as mutmut mutates it). The list is committed as `tools/mutation_scope.txt`; a run
measures again first and stops if the list is stale. The slow rows (inductor's compile, ranks
started) are left out: `--slow` adds them (the ranks' own processes are not seen).

mutmut swaps operators, constants, names and arguments inside each function of the scope; it leaves
decorated functions whole (`functools.cache`, `property`, `contextmanager`, pytest's hooks and
fixtures): the report names them. It copies the project into `mutants/`, runs the suite once to
learn which tests reach each function, then runs only those tests against each mutant.

mutmut applies a mutant only inside the test process it forks, to the tests its first run saw
reaching the function. Code that runs at collection (the device cases' parameters), in pytest's
session hooks (the plugin's orphan check) or in a nested pytest project or a spawned rank (the
machinery tests, left out of its runs) never sees the mutant there. So every survivor is then judged
again by the whole suite (`--whole-suite`, on by default): mutmut's own diff is applied as text to a
copy of the project, and the suite runs against it with `-x`, every process, nested ones included,
importing the copy (tools/semantic_mutants.py's harness). A failing test there kills it; a suite that
cannot run (an error at collection, no test failed) is counted apart, beside the kills. The outcomes
are kept in `mutants/whole-suite.json`, each with the diff it judged.

A survivor is either killed by a test or recorded in `tools/mutation_equivalents.toml` with why no
input can tell it from the original (matched by its function and the line it changes, so the record
outlives mutmut's numbering). Prints the table in docs/maintainers.md, per module: every mutant
counts, "device only" ones beside the others; exits 1 when a survivor is unexplained, a mutant of
the scope has no result, or fewer than 90% of the non-equivalent mutants are killed.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
import threading
import tomllib
import types
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tools" / "mutation_equivalents.toml"
GOAL = 0.90
# mutmut's statuses: a hang counts as failing tests; "no tests" (none reaches it) as a survivor.
KILLED = {"killed", "timeout"}
NOT_RUN = {"not checked", "skipped"}

SCOPE = ROOT / "tools" / "mutation_scope.txt"
PACKAGES = ("reference", "reference_testing")
# The suite's side of a verdict and of a survival row: each claim's check in the example's summary
# and against its snapshot, each counter-case, each quick row against its snapshot. Run in-process
# under the tracer, so that the snapshot comparison, the extension, the plugin and the skip rule
# that judge them are measured with the code they judge.
VERDICT_TESTS = (
    "tests/test_snapshots.py::test_structure",
    "tests/test_snapshots.py::test_claim_verdict_is_proven",
    "tests/test_counter_cases.py::test_the_check_says_false_at_the_counter_case",
    "tests/test_survival.py::test_row",
    "tests/test_survival.py::test_earlier_row",
)


def outermost_function(qualname: str) -> str | None:
    """What mutmut mutates a function's code as: a nested function or comprehension belongs to the
    function around it; module-level code (and a lambda or comprehension there) to none."""
    outer = qualname.split(".<locals>.")[0]
    return None if outer.startswith("<") or outer.endswith(">") else outer


@contextlib.contextmanager
def calls_recorded(found: set[types.CodeType], directories: tuple[str, ...]) -> Iterator[None]:
    """Every Python function of `directories` called while active, in any thread (a profiler: one
    event a call, none a line)."""

    def profile(frame: types.FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(directories):
            found.add(frame.f_code)

    previous = sys.getprofile()
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)


def clear_caches() -> None:
    """functools.cache'd functions of the packages: emptied, so that what they computed is computed
    again under the tracer."""
    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in PACKAGES:
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


def measure_scope(slow: bool = False) -> list[str]:
    """`module.qualname` of every function of `reference/` and `reference_testing/` that a verdict
    or a survival row runs: VERDICT_TESTS in-process, then directly every claim's check at its
    default and at each counter-case, and every survival row (the quick ones; with `slow`, also
    those that compile with inductor or start ranks: what the ranks run in their own processes is
    not seen)."""
    import pytest

    import reference
    import reference_testing
    from reference import survival

    directories = tuple(
        str(Path(package.__file__).resolve().parent) + os.sep
        for package in (reference, reference_testing)
    )
    # Imported first: what a module runs as it is imported (the registry built, a class body)
    # defines the code; a verdict runs what is called afterwards.
    for package in (reference, reference_testing):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)
    codes: set[types.CodeType] = set()
    with calls_recorded(codes, directories):
        clear_caches()
        arguments = [*VERDICT_TESTS, "-q", "-p", "no:cacheprovider", "-n", "0"]
        if pytest.main(["--rootdir", str(ROOT), *arguments]) != 0:
            raise SystemExit("mutate: the verdict tests failed: a scope measured so would be wrong")
        clear_caches()
        for name in reference.names():
            for claim in reference.get(name).claims:
                claim.proven("cpu")
                for counter in claim.counters:
                    claim.proven_at(counter, "cpu")
        operations = [op for op in survival.OPERATIONS if slow or not op.slow]
        survival.rows(operations, survival.MODELS)
    modules = {
        str(Path(m.__file__).resolve()): name
        for name, m in list(sys.modules.items())
        if name.split(".")[0] in PACKAGES and getattr(m, "__file__", None)
    }
    found = set()
    for code in codes:
        if not code.co_flags & inspect.CO_NEWLOCALS:
            continue  # a module's or a class's body: no function
        function = outermost_function(code.co_qualname)
        module = modules.get(str(Path(code.co_filename).resolve()))
        if function is not None and module is not None:
            found.add(f"{module}.{function}")
    return sorted(found)


def scope_file_text(functions: list[str]) -> str:
    header = (
        "# Every function of reference/ and reference_testing/ that a verdict or a survival row runs,\n"
        "# measured: python tools/mutate.py --measure-scope --write (generated; do not edit)\n"
    )
    return header + "".join(f"{function}\n" for function in functions)


def scope_functions() -> list[str]:
    """The committed measured scope."""
    lines = SCOPE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def module_and_function(function: str) -> tuple[str, str]:
    """`reference.survival.same_values` -> (`reference.survival`, `same_values`);
    `reference.example.Claim.proven` -> (`reference.example`, `Claim.proven`)."""
    parts = function.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = ".".join(parts[:cut])
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        return module, ".".join(parts[cut:])
    raise ValueError(f"no module in {function!r}")


def mutmut_pattern(function: str) -> str:
    """mutmut's mutant names: `module.x_function__mutmut_N`, `module.xǁClassǁmethod__mutmut_N`."""
    module, qualname = module_and_function(function)
    if "." in qualname:
        return f"{module}.xǁ{qualname.replace('.', 'ǁ')}__mutmut_*"
    return f"{module}.x_{qualname}__mutmut_*"


def scope() -> list[str]:
    """mutmut's mutant-name patterns of the measured scope."""
    return [mutmut_pattern(function) for function in scope_functions()]


def mutmut(*arguments: str, capture: bool = False) -> str:
    command = [sys.executable, "-m", "mutmut", *arguments]
    if not capture:
        subprocess.run(command, cwd=ROOT, check=True)
        return ""
    return subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True, encoding="utf-8"
    ).stdout


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


def mutmut_diff(name: str) -> tuple[str, list[str]]:
    """The mutant's source file (relative to the project) and mutmut's diff of it (mutmut's own
    `show`, called in this process: a process per survivor took a second each)."""
    from mutmut.__main__ import find_mutant, get_diff_for_mutant

    path = find_mutant(name).path
    file = Path(os.path.relpath(path, ROOT)).as_posix().removeprefix("mutants/")
    return file, get_diff_for_mutant(name, path=path).splitlines()


def changed_line(name: str) -> tuple[str, str]:
    """The line a mutant removes and the line it adds (first of each), stripped."""
    _, diff = mutmut_diff(name)
    removed = next(
        (d[1:].strip() for d in diff if d.startswith("-") and not d.startswith("---")), ""
    )
    added = next((d[1:].strip() for d in diff if d.startswith("+") and not d.startswith("+++")), "")
    return removed, added


def function_of(name: str) -> str:
    """`reference.tying.x_equals_sum__mutmut_3` -> `reference.tying.equals_sum`;
    `reference.example.xǁClaimǁproven__mutmut_1` -> `reference.example.Claim.proven`."""
    module, _, mangled = name.rpartition(".")
    function = mangled.rpartition("__mutmut_")[0]
    function = function.removeprefix("x_") if function.startswith("x_") else function[2:]
    return f"{module}.{function.replace('ǁ', '.')}"


WHOLE_SUITE = ROOT / "mutants" / "whole-suite.json"
# Where the whole suite's judgement looks first: the tests that run the plugin in nested pytest
# projects and at collection. A mutant they do not catch runs against the whole suite.
FIRST_PASS = ["tests/machinery", "tests/test_devices.py"]


def text_mutant(name: str):
    """mutmut's mutant as a text replacement (tools/semantic_mutants.py's `Mutant`)."""
    import semantic_mutants

    file, diff = mutmut_diff(name)
    source = (ROOT / file).read_text(encoding="utf-8").splitlines()
    try:
        original, replacement = located(diff, source)
    except ValueError as error:
        raise semantic_mutants.MutantError(f"mutant {name}: {error} in {file}") from None
    return semantic_mutants.Mutant(name, file, original, replacement, "mutmut", "mutmut's mutant")


def located(diff: list[str], source: list[str]) -> tuple[str, str]:
    """A diff's context and removed lines as they stand in `source`, and what replaces them: its
    context and added lines. mutmut's diff of a method is dedented by one level, but for the inside
    of its strings: each line matches as it is or one level deeper, and an added line takes the level
    of the removed line it follows."""
    body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    old = [line[1:] for line in body if line.startswith((" ", "-"))]
    found = []
    for start in range(len(source) - len(old) + 1):
        levels = []
        for line, actual in zip(old, source[start : start + len(old)], strict=True):
            if actual not in (line, "    " + line):
                break
            levels.append(actual[: len(actual) - len(line)])
        else:
            found.append((start, levels))
    if len(found) != 1:
        raise ValueError(f"the diff matches {len(found)} places (one is needed)")
    start, levels = found[0]
    replacement, at = [], 0
    for line in body:
        level = levels[min(max(at - 1, 0) if line.startswith("+") else at, len(levels) - 1)]
        if line.startswith((" ", "-")):
            at += 1
        if line.startswith((" ", "+")):
            replacement.append(level + line[1:])
    return "\n".join(source[start : start + len(old)]), "\n".join(replacement)


def load_whole_suite() -> dict[str, dict]:
    if not WHOLE_SUITE.exists():
        return {}
    return json.loads(WHOLE_SUITE.read_text(encoding="utf-8"))


def whole_suite_outcome(name: str, judged: dict[str, dict], tree: str | None) -> str | None:
    """ "caught", "suite error" or "survived", where the whole suite judged this very diff. A
    survivor judged on another tree (`tree`: the project's files' digest) is judged again: a test
    added since may catch it. A kill judged on another tree stands (the report counts those
    apart): only a test removed or weakened since could undo it."""
    entry = judged.get(name)
    if entry is None:
        return None
    mutant = text_mutant(name)
    if (entry["original"], entry["replacement"]) != (mutant.original, mutant.replacement):
        return None  # another mutant has this name now: judge it again
    if entry.get("tree") != tree and entry["outcome"] == "survived":
        return None
    return entry["outcome"]


def project_tree() -> str:
    """The digest of the project's files (what a clone holds): which tree the suite judged."""
    import semantic_mutants as harness

    return harness.fingerprint(ROOT, harness.project_files(ROOT))


def judge_by_the_whole_suite(names: list[str]) -> None:
    """Runs the whole suite against each named mutant in a copy of the project (`-x`), recording
    each outcome in mutants/whole-suite.json as it comes (an interrupted run keeps what it did)."""
    import semantic_mutants as harness

    judged = load_whole_suite()
    tree = project_tree()
    pending = [n for n in names if whole_suite_outcome(n, judged, tree) is None]
    print(f"mutate: {len(pending)} survivor(s) to judge by the whole suite", file=sys.stderr)
    if not pending:
        return
    files = harness.project_files(ROOT)
    with tempfile.TemporaryDirectory(prefix=".whole-suite-", dir=ROOT.parent) as scratch:
        copy = Path(scratch) / "project"
        harness.copy_project(ROOT, files, copy)
        for i, name in enumerate(pending, 1):
            try:
                mutant = text_mutant(name)
                # The nested projects first (seconds): most of what mutmut cannot reach fails there.
                result = harness.run(mutant, copy, FIRST_PASS)
                if not result.caught:
                    result = harness.run(mutant, copy, [])
            except harness.MutantError as error:
                print(f"mutate: {name}: {error}", file=sys.stderr)
                continue
            if result.caught:
                verdict = "caught"
            elif result.returncode != 0 and not any(
                f.startswith("TIMEOUT ") for f in result.failures
            ):
                verdict = "suite error"
            elif result.returncode == 0:
                verdict = "survived"
            else:
                print(f"mutate: {name}: a timeout, no assertion failed: judge it again", file=sys.stderr)  # fmt: skip
                continue
            judged[name] = {
                "outcome": verdict,
                "first_failure": next(iter(result.failures), ""),
                "original": mutant.original,
                "replacement": mutant.replacement,
                "tree": tree,
            }
            WHOLE_SUITE.write_text(json.dumps(judged, indent=1, sort_keys=True), encoding="utf-8")
            print(f"[{i}/{len(pending)}] {name}: {verdict} in {result.seconds:.0f} s", file=sys.stderr)  # fmt: skip


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


def changes_nothing(removed: str, added: str) -> bool:
    """A mutant whose text is the original's: mutmut's diff removes and adds no line (seen once, in
    reference.survival_operations.deepcopy, a mutant identical line for line). The same code: an
    equivalent no entry can name, as an entry names the line it changes."""
    return removed == added == ""


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
            before + after if before.endswith(("(", ", ")) and after.startswith(")") else None,
        ]
        if added in dropped:
            return True
    # A keyword argument `device=<expression>` made `device=None`, or dropped: on the CPU a tensor
    # made with no device is made where every CPU run's tensors are.
    for keyword in re.finditer(r"device=[\w.\[\]]+", removed):
        before, after = removed[: keyword.start()], removed[keyword.end() :]
        dropped = [
            before + "device=None" + after,
            before + after.removeprefix(", ") if after.startswith(", ") else None,
            before.rstrip() + " " + after if before.endswith(", ") else None,
            before.removesuffix(", ") + after if before.endswith(", ") else None,
        ]
        if added in dropped:
            return True
    return False


def decorated(function: str) -> bool:
    """Whether mutmut leaves the function whole: it mutates no decorated function but a
    staticmethod or classmethod (a decorator runs at definition; a copy for its trampoline could
    register twice)."""
    import ast

    module, qualname = module_and_function(function)
    tree = ast.parse(inspect.getsource(importlib.import_module(module)))
    nodes: list[ast.AST] = [tree]
    for part in qualname.split("."):
        body = [n for parent in nodes for n in getattr(parent, "body", [])]
        nodes = [
            n
            for n in body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and n.name == part
        ]
    return any(
        [getattr(d, "id", None) for d in node.decorator_list]
        not in ([], ["staticmethod"], ["classmethod"])
        for node in nodes
    )


def unexplained_survivors(statuses: dict[str, str], equivalents: list[dict]) -> list[str]:
    """Survivors (and mutants no test reached) neither recorded equivalent nor only dropping the
    device: those the whole suite judges again."""
    found = []
    for name, status in sorted(statuses.items()):
        if status in KILLED or status in NOT_RUN:
            continue
        removed, added = changed_line(name)
        if not (
            drops_the_device(removed, added)
            or changes_nothing(removed, added)
            or is_recorded(name, removed, added, equivalents)
        ):
            found.append(name)
    return found


def report(statuses: dict[str, str], equivalents: list[dict]) -> int:
    """The table: every mutant of the scope counts; device-only mutants are counted beside the
    others, not left out of the total."""
    counts: dict[str, Counter] = {}
    unexplained, used, wrongly_equivalent = [], set(), []
    judged = load_whole_suite()
    tree = project_tree() if judged else None
    for name, status in sorted(statuses.items()):
        module = name.rpartition(".")[0]
        tally = counts.setdefault(module, Counter())
        if status in NOT_RUN:
            tally["not run"] += 1
            continue
        tally["mutants"] += 1
        if status in KILLED:
            tally["killed"] += 1
            tally["timed out"] += status == "timeout"
            continue
        removed, added = changed_line(name)
        entry = is_recorded(name, removed, added, equivalents)
        by_the_suite = whole_suite_outcome(name, judged, tree)
        if by_the_suite in ("caught", "suite error"):
            tally["killed"] += 1
            tally["by the whole suite"] += 1
            tally["on an earlier tree"] += judged[name].get("tree") != tree
            tally["suite error"] += by_the_suite == "suite error"
            if entry is not None:
                used.add(id(entry))
                wrongly_equivalent.append(f"{name}: - {removed}  + {added}")
            continue
        if drops_the_device(removed, added):
            tally["device only"] += 1
        elif entry is not None:
            tally["equivalent"] += 1
            used.add(id(entry))
        elif changes_nothing(removed, added):
            tally["equivalent"] += 1
        else:
            tally["survived"] += 1
            judged_by = "" if by_the_suite is None else ", the whole suite too"
            unexplained.append(f"{name} ({status}{judged_by}): - {removed}  + {added}")
    rows = [
        "| module | mutants run | killed | of which by the whole suite | survived | equivalent "
        "| device only | killed of all | killed of all but device only | not run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    total = Counter()
    for module, tally in sorted(counts.items()):
        total.update(tally)
        rows.append(_row(f"`{module}`", tally))
    rows.append(_row("**all**", total))
    print("\n".join(rows))
    stale = [e for e in equivalents if id(e) not in used]
    for entry in stale:
        print(
            f"note: recorded equivalent not met this run: {entry['function']}: {entry['removed']}"
        )
    for line in wrongly_equivalent:
        print(f"WRONGLY RECORDED EQUIVALENT (the whole suite kills it) {line}")
    for line in unexplained:
        print(f"SURVIVED {line}")
    functions = scope_functions()
    mutated = {function_of(name) for name in statuses}
    unmutated = [f for f in functions if f not in mutated]
    whole = [f for f in unmutated if decorated(f)]
    print(
        f"scope: {len(functions)} functions measured ({packages_line(functions)}); "
        f"{len(functions) - len(unmutated)} have mutants; {len(whole)} are decorated, which "
        f"mutmut leaves whole; {len(unmutated) - len(whole)} have nothing mutmut swaps"
    )
    for function in whole:
        print(f"decorated, not mutated: {function}")
    if total["not run"]:
        print(f"NOT RUN: {total['not run']} mutants of the scope have no result yet")
    killed, everything = total["killed"], total["mutants"]
    but_device = everything - total["device only"]
    real = killed + total["survived"]
    rate = killed / real if real else 1.0
    print(
        f"{killed}/{everything} mutants killed ({share(killed, everything)}); "
        f"{killed}/{but_device} of those that do more than drop the device ({share(killed, but_device)}); "
        f"{total['equivalent']} recorded equivalent, {total['device only']} only drop the device "
        f"(no CPU run can tell them apart: only the CUDA leg can), {total['survived']} survived; "
        f"{killed}/{real} of the rest ({rate:.1%}, goal {GOAL:.0%}); "
        f"{total['timed out']} of the killed timed out (run again alone, they still hang); "
        f"{total['by the whole suite']} killed only by the whole suite ({total['suite error']} of "
        "them by a suite that could not run: an error, no test failed; "
        f"{total['on an earlier tree']} judged on an earlier tree: delete {WHOLE_SUITE.name} in "
        "mutants/ to judge them on this one)"
    )
    clean = not unexplained and not wrongly_equivalent and not total["not run"]
    return 0 if rate >= GOAL and clean else 1


def packages_line(functions: list[str]) -> str:
    by_package = Counter(function.split(".")[0] for function in functions)
    return ", ".join(f"{package}: {count}" for package, count in sorted(by_package.items()))


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


def _row(module: str, tally: Counter) -> str:
    return (
        f"| {module} | {tally['mutants']} | {tally['killed']} | {tally['by the whole suite']} "
        f"| {tally['survived']} "
        f"| {tally['equivalent']} | {tally['device only']} | {share(tally['killed'], tally['mutants'])} "
        f"| {share(tally['killed'], tally['mutants'] - tally['device only'])} | {tally['not run']} |"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-children", type=int, help="mutmut's worker count (default: cores)")
    parser.add_argument(
        "--report-only", action="store_true", help="report the last run's results, run nothing"
    )
    parser.add_argument(
        "--no-whole-suite",
        action="store_true",
        help="do not judge mutmut's survivors again by the whole suite (see above)",
    )
    parser.add_argument(
        "patterns",
        nargs="*",
        metavar="PATTERN",
        help="only the scope's mutants matching these (fnmatch: 'reference.tying.*'); the report "
        "still counts the whole scope, the rest as not run",
    )
    parser.add_argument(
        "--measure-scope",
        action="store_true",
        help="measure the scope (every function a verdict or a survival row runs), print it, run "
        "nothing else; exit 1 when it differs from tools/mutation_scope.txt",
    )
    parser.add_argument(
        "--write", action="store_true", help="with --measure-scope: write tools/mutation_scope.txt"
    )
    parser.add_argument(
        "--slow",
        action="store_true",
        help="with --measure-scope: also the slow survival rows (inductor's compile, ranks)",
    )
    options = parser.parse_args(argv)
    os.chdir(ROOT)  # mutmut reads its configuration and results from the working folder
    if options.measure_scope:
        text = scope_file_text(measure_scope(slow=options.slow))
        if options.write:
            SCOPE.write_text(text, encoding="utf-8")
        print(text, end="")
        same = SCOPE.exists() and SCOPE.read_text(encoding="utf-8") == text
        if not same and not options.write:
            print(f"mutate: the measured scope differs from {SCOPE.relative_to(ROOT)}: "
                  "run `python tools/mutate.py --measure-scope --write`")  # fmt: skip
        return 0 if same or options.write else 1
    if not options.report_only:
        if scope_file_text(measure_scope()) != SCOPE.read_text(encoding="utf-8"):
            print(f"mutate: the measured scope differs from {SCOPE.relative_to(ROOT)}: run "
                  "`python tools/mutate.py --measure-scope` to see it, `--write` to keep it")  # fmt: skip
            return 1
        children = ["--max-children", str(options.max_children)] if options.max_children else []
        chosen = [
            mutmut_pattern(function)
            for function in scope_functions()
            if not options.patterns or any(fnmatch.fnmatch(function, p) for p in options.patterns)
        ]
        if not chosen:
            print(f"mutate: no function of the scope matches {' '.join(options.patterns)}")
            return 2
        mutmut("run", *children, *chosen)
        # A mutant that timed out while others loaded the machine is run again alone: what still
        # times out hangs (pytest-timeout fails it), which counts as caught.
        timed_out = [name for name, status in results().items() if status == "timeout"]
        if timed_out:
            mutmut("run", "--max-children", "1", *timed_out)
    if not options.no_whole_suite:
        judge_by_the_whole_suite(unexplained_survivors(results(), load_equivalents()))
    return report(results(), load_equivalents())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
