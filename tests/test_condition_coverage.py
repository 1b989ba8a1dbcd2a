"""Condition coverage (MC/DC) of every claim check, measured by tools/condition_coverage.py: every
operand of every `and`/`or`, `all()`/`any()` and chained comparison that a claim's runs reach is, at
the claim's default or at one of its counter-cases, the operand that decides alone; or it is
declared in tools/condition_guards.toml with its reason. The tool itself is tested first, on a
small synthetic module whose expectations are derived by hand."""

import importlib
import importlib.util
import os
import pkgutil
import sys
import textwrap
from pathlib import Path

import pytest

import reference

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


coverage = load_tool("condition_coverage")

# --- the tool, on a synthetic module --------------------------------------------------------------

SYNTHETIC = """
import functools


def both(a, b):
    return a and b


def either(a, b):
    return a or b


def every_positive(xs):
    return all(x > 0 for x in xs)


def any_negative(xs):
    return any([x < 0 for x in xs])


def all_three_positive(a, b, c):
    return all([a > 0, b > 0, c > 0])


def between(low, x, high):
    return low < x < high


def nested(a, b, c):
    return a and (b or not c)


def guarded(x):
    return x is not None and x > 0


def picks(function=None):
    return (function or default)()


def default():
    return "default"


class Checker:
    def __init__(self, limit):
        self.__limit = limit

    def within(self, x):
        return 0 <= x and x <= self.__limit


def calls_a_helper(a, b):
    return helper(a) and b


def helper(a):
    return a or False


def draws(g, tries):
    return all(g.pop() for _ in range(tries))


@functools.cache
def cached_within(x):
    return 0 <= x and x < 10


def calls_cached(x):
    return cached_within(x)


HELD = {"cached": cached_within}  # a reference outside the module's globals


def calls_cached_through_a_dict(x):
    return HELD["cached"](x)
"""


@pytest.fixture
def synthetic(tmp_path, monkeypatch):
    package = tmp_path / "synthetic_decisions"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(SYNTHETIC), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("synthetic_decisions")
    yield module
    sys.modules.pop("synthetic_decisions", None)


def measured(module, calls):
    """{(decision's function, operand text): (truths seen, decided alone)} over `calls`, each
    (label, function, arguments); every call is also a traced run (it picks what is instrumented)."""
    runs = [
        coverage.Run("synthetic", label, lambda f=f, a=a: f(*a), traced=True)
        for label, f, a in calls
    ]
    recorder, said, _, errors, skipped = coverage.measure_runs(runs, module.__name__)
    assert errors == [] and skipped == []
    found = {}
    for (number, index), by_run in recorder.seen.items():
        decision = recorder.decisions[number]
        truths = [(e.true, e.false, e.not_evaluable, e.value_selections) for e in by_run.values()]
        decided = sorted(label for (_, label), e in by_run.items() if e.decided_alone)
        found[decision.function, coverage.operand_text(decision, index)] = (truths, decided)
    return found, said


def test_and_or_each_operand_decides_where_it_alone_turns_the_outcome(synthetic):
    found, said = measured(
        synthetic,
        [
            ("TT", synthetic.both, (True, True)),  # flipping either turns it: neither alone
            ("TF", synthetic.both, (True, False)),  # b alone
            ("FF", synthetic.both, (False, False)),  # no flip turns it
            ("or FF", synthetic.either, (False, False)),
            ("or FT", synthetic.either, (False, True)),  # b alone
        ],
    )
    assert found["both", "a"][1] == []  # a False with b True was never run
    assert found["both", "b"][1] == ["TF"]
    assert found["either", "b"][1] == ["or FT"]
    assert found["either", "a"][1] == []
    # Without short-circuit: b was evaluated in every run, also where a was False.
    assert [t[:2] for t in found["both", "b"][0]] == [(1, 0), (0, 1), (0, 1)]
    assert said == {("synthetic", k): v for k, v in
                    {"TT": True, "TF": False, "FF": False, "or FF": False, "or FT": True}.items()}  # fmt: skip


def test_all_over_a_comprehension_has_one_operand_the_predicate(synthetic):
    # The items are data: the predicate decides where one item alone turns the result, at
    # whichever position, and is recorded once per evaluation.
    found, said = measured(
        synthetic,
        [
            ("all true", synthetic.every_positive, ([1, 2, 3],)),  # none alone
            ("second false", synthetic.every_positive, ([1, -2, 3],)),  # one item alone
            ("two false", synthetic.every_positive, ([-1, -2, 3],)),  # none alone
            # One element, True: its neutral value (`all([])` is True too), so it decides nothing.
            ("one true", synthetic.every_positive, ([5],)),
            ("any: none true", synthetic.any_negative, ([1, 2],)),  # a list comprehension
        ],
    )
    assert set(found) == {
        ("every_positive", "x > 0 [at one item]"),
        ("any_negative", "x < 0 [at one item]"),
    }
    truths, decided = found["every_positive", "x > 0 [at one item]"]
    assert decided == ["second false"]
    # Recorded once per evaluation, as the all() reads it: True only where every item held.
    assert [t[:2] for t in truths] == [(1, 0), (0, 1), (0, 1), (1, 0)]
    assert found["any_negative", "x < 0 [at one item]"] == ([(0, 1, 0, 0)], [])
    assert said["synthetic", "second false"] is False and said["synthetic", "all true"] is True

    # One item alone True turns an any(): it decides there.
    found, _ = measured(synthetic, [("any: one true", synthetic.any_negative, ([1, -1],))])
    assert found["any_negative", "x < 0 [at one item]"][1] == ["any: one true"]


def test_all_over_a_literal_list_has_one_operand_per_element(synthetic):
    found, said = measured(
        synthetic,
        [
            ("all true", synthetic.all_three_positive, (1, 2, 3)),  # none alone
            ("second false", synthetic.all_three_positive, (1, -2, 3)),  # element 1 alone
            ("two false", synthetic.all_three_positive, (-1, -2, 3)),  # none alone
        ],
    )
    element = "[a > 0, b > 0, c > 0] [element {}]"
    assert found["all_three_positive", element.format(0)][1] == []
    assert found["all_three_positive", element.format(1)][1] == ["second false"]
    assert found["all_three_positive", element.format(2)][1] == []
    # Every element evaluated, past the first False (no short-circuit): 3 in "two false".
    assert found["all_three_positive", element.format(2)][0][2][:2] == (1, 0)
    assert said["synthetic", "second false"] is False and said["synthetic", "all true"] is True


def test_a_chained_comparison_has_one_operand_per_link(synthetic):
    found, said = measured(
        synthetic,
        [
            ("inside", synthetic.between, (0, 5, 10)),
            ("above", synthetic.between, (0, 20, 10)),  # only the second link is False
            ("below", synthetic.between, (5, 1, 10)),  # only the first
        ],
    )
    assert found["between", "low < x"][1] == ["below"]
    assert found["between", "x < high"][1] == ["above"]
    assert [said["synthetic", k] for k in ("inside", "above", "below")] == [True, False, False]


def test_a_nested_expression_is_judged_on_its_leaves(synthetic):
    # a and (b or not c), leaves a, b and `not c`: b decides at (T, T, T) -- dropping it turns the
    # outcome, though flipping a would turn it too; `not c` at (T, F, F); a at (F, T, T).
    found, _ = measured(
        synthetic,
        [
            ("TTT", synthetic.nested, (True, True, True)),
            ("TFF", synthetic.nested, (True, False, False)),
            ("FTT", synthetic.nested, (False, True, True)),
            ("TFT", synthetic.nested, (True, False, True)),  # every leaf at its neutral value
        ],
    )
    assert found["nested", "a"][1] == ["FTT"]
    assert found["nested", "b"][1] == ["TTT"]
    assert found["nested", "not c"][1] == ["TFF"]


def test_an_operand_that_raises_out_of_order_is_not_evaluable_and_nothing_crashes(synthetic):
    found, said = measured(
        synthetic,
        [("none", synthetic.guarded, (None,)), ("positive", synthetic.guarded, (3,))],
    )
    truths, decided = found["guarded", "x > 0"]
    assert truths[0][2] == 1  # `None > 0` raised out of order: not evaluable, not a crash
    assert decided == []  # True in the one run where it could be evaluated: never alone
    assert found["guarded", "x is not None"][1] == ["none"]  # the guard decides where x is None
    assert said["synthetic", "none"] is False and said["synthetic", "positive"] is True


def test_values_picked_by_and_or_are_returned_unchanged_and_decide_nothing(synthetic):
    found, said = measured(
        synthetic,
        [
            ("default", synthetic.picks, ()),
            ("given", synthetic.picks, (lambda: "given",)),
            ("ints", synthetic.both, (0, 5)),
            ("strings", synthetic.either, ("", "x")),
        ],
    )
    assert said["synthetic", "default"] == "default" and said["synthetic", "given"] == "given"
    assert said["synthetic", "ints"] == 0 and said["synthetic", "strings"] == "x"
    assert all(t[3] == t[0] + t[1] for t in found["picks", "function"][0])  # value selections


def test_methods_keep_their_private_names_and_helpers_called_are_instrumented(synthetic):
    checker = synthetic.Checker(10)
    found, said = measured(
        synthetic,
        [
            ("in", checker.within, (5,)),
            ("over", checker.within, (11,)),
            ("helper", synthetic.calls_a_helper, (True, True)),
        ],
    )
    assert found["Checker.within", "x <= self.__limit"][1] == ["over"]
    assert ("helper", "a") in found  # reached through calls_a_helper's run
    assert said["synthetic", "over"] is False


def test_a_cached_function_is_measured_and_the_cache_it_held_is_kept(synthetic):
    """Warm before the measurement, its code runs all the same (traced, then instrumented); after
    it, the process has the cache it had: what the other tests computed stays, and nothing the
    instrumented code computed is kept."""
    original = synthetic.cached_within
    original(5)
    info = original.cache_info()
    found, said = measured(
        synthetic, [("in", synthetic.calls_cached, (5,)), ("over", synthetic.calls_cached, (11,))]
    )
    assert found["cached_within", "x < 10"][1] == ["over"]
    assert said["synthetic", "in"] is True and said["synthetic", "over"] is False
    assert synthetic.cached_within is original and original.cache_info() == info


def test_a_cache_reached_outside_its_module_is_an_error(synthetic):
    """Through a reference the measurement cannot replace, the call skips the code measured (or
    keeps what the instrumented code computed): said, not left to look like coverage."""
    synthetic.cached_within(5)
    runs = [coverage.Run("synthetic", "in", lambda: synthetic.calls_cached_through_a_dict(5), True)]
    _, _, _, errors, _ = coverage.measure_runs(runs, synthetic.__name__)
    assert len(errors) == 1 and "cached_within: its cache was reached" in errors[0]


def test_the_original_code_is_back_after_the_measurement(synthetic):
    code = synthetic.both.__code__
    measured(synthetic, [("TT", synthetic.both, (True, True))])
    assert synthetic.both.__code__ is code
    assert not hasattr(synthetic, coverage.RECORDER)


def test_a_guard_that_matches_nothing_or_now_decides_is_stale():
    decision = coverage.Decision(0, "m", "f", 1, 0, "and/or", "a and b", ["a", "b"],
                                 tree=("and", (("leaf", 0), ("leaf", 1))))  # fmt: skip
    recorder = coverage.Recorder()
    recorder.declare(decision)
    recorder.run = ("c", "default")
    recorder.boolop(0, (lambda: True, lambda: False))  # b decides, a does not
    measurement = coverage.Measurement(recorder, ["c"], 1, ["m.f"], [], [], {"c": ("m", "f")})
    guards = [
        coverage.Guard("m", "f", "a", "why", "what"),
        coverage.Guard("m", "f", "b", "why", "what"),  # b decides: stale
        coverage.Guard("m", "g", "a", "why", "what"),  # no such operand: stale
    ]
    verdict = coverage.judge(measurement, guards)
    assert verdict.undeclared == []
    assert len(verdict.stale) == 2 and verdict.failed
    assert "now decides" in verdict.stale[0] and "matches no operand" in verdict.stale[1]


# --- the claims -----------------------------------------------------------------------------------
# Measuring the registry runs every check again, instrumented, its caches set aside (9 s of the
# suite's 42 s on one core, measured): `tox -e conditions` runs it, in tox's default list and in CI,
# as `tox -e survival-slow` runs the slow rows; the tool's own tests above run everywhere.

registry_measured = pytest.mark.skipif(
    os.environ.get("REFERENCE_CONDITIONS") != "1",
    reason="the conditions env measures the registry: tox -e conditions",
)

MODULES = sorted(
    f"reference.{m.name}" for m in pkgutil.iter_modules(reference.__path__) if m.name != "__main__"
)


@pytest.fixture(scope="module")
def verdict():
    return coverage.judge(
        coverage.measure(coverage.registry_claims()), coverage.load_guards(coverage.GUARDS)
    )


@registry_measured
@pytest.mark.parametrize("module", MODULES)
def test_every_operand_decides_alone_somewhere_or_is_declared(verdict, module):
    """Add a counter-case where the operand alone turns the check; remove an operand that cannot;
    declare a guard that must stay (tools/condition_guards.toml). The report:
    `python tools/condition_coverage.py` (per module, function and line)."""
    undeclared = [
        f"{o.function} line {o.line}: {o.operand} ({o.runs} runs in {len(o.claims)} claims"
        + (f", always {o.always})" if o.always else ")")
        for o in verdict.undeclared
        if o.module == module
    ]
    assert not undeclared, "never the only operand that decides:\n" + "\n".join(undeclared)


@registry_measured
def test_every_declared_guard_is_current(verdict):
    assert verdict.stale == []


@registry_measured
def test_the_instrumented_checks_say_what_the_originals_say(verdict):
    """And every decision reached could be instrumented."""
    assert verdict.errors == []
    assert verdict.measurement.runs == sum(
        1 + len(c.counters) for _, c in coverage.registry_claims()
    )
