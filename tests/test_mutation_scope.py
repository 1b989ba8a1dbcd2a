"""The mutation scope (tools/mutation_scope.txt) is measured by running the verdicts and the
survival rows under a profiler (`python tools/mutate.py --measure-scope`, a minute and a half):
`tox -e mutate` measures it again before it mutates anything and stops on a stale list. Here, the
cheap part: every function listed still exists, and what every verdict and row must run is listed."""

import functools
import importlib
import json
import sys
from pathlib import Path

import pytest

import reference
from reference import survival

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import mutate  # noqa: E402  (tools/ is no package)

SCOPE = mutate.scope_functions()


def resolved(function: str):
    module, qualname = mutate.module_and_function(function)
    found = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part) if not isinstance(found, type) else vars(found)[part]
    return found


def test_the_list_is_sorted_without_repeats_and_within_the_two_packages():
    assert sorted(set(SCOPE)) == SCOPE
    assert {function.split(".")[0] for function in SCOPE} == {"reference", "reference_testing"}


def exists(function: str) -> bool:
    try:
        found = resolved(function)
    except (ImportError, AttributeError, KeyError):
        return False
    return callable(found) or isinstance(found, property | staticmethod | classmethod)


def test_each_listed_function_still_exists():
    """One test for the whole list (a test per function cost a second of the suite's time): it
    names every function that is gone."""
    assert [function for function in SCOPE if not exists(function)] == []


def outermost(function) -> str:
    while isinstance(function, functools.partial):
        function = function.func
    return f"{function.__module__}.{function.__qualname__.split('.<locals>.')[0]}"


def test_every_claims_check_is_in_the_scope():
    checks = {outermost(c.check) for n in reference.names() for c in reference.get(n).claims}
    assert sorted(checks - set(SCOPE)) == []


def test_what_decides_a_survival_row_and_judges_a_snapshot_is_in_the_scope():
    # A row whose package is missing here (accelerate) runs nothing of its operation.
    quick = [op for op in survival.OPERATIONS if not op.slow and not survival.missing_packages(op)]
    operations = {outermost(op.run) for op in quick}
    judges = {
        "reference.survival.outcome_of",
        "reference.survival.same_values",
        "reference_testing.compare.differences",
        "reference_testing.extension.JSONSnapshot.matches",
        "reference_testing.devices.skip_cuda_cases_without_cuda",
        "reference_testing.locked.drawing_from_the_global_rng",
    }
    assert sorted((operations | judges) - set(SCOPE)) == []


def test_one_mutmut_pattern_a_function():
    assert mutate.mutmut_pattern("reference.survival.same_values") == (
        "reference.survival.x_same_values__mutmut_*"
    )
    assert mutate.mutmut_pattern("reference.example.Claim.proven") == (
        "reference.example.xǁClaimǁproven__mutmut_*"
    )
    assert mutate.function_of("reference.example.xǁClaimǁproven__mutmut_3") == (
        "reference.example.Claim.proven"
    )
    assert len(mutate.scope()) == len(SCOPE)


# --- the whole suite's second judgement of mutmut's survivors ------------------------------------


@pytest.fixture
def survivors_judged(tmp_path, monkeypatch):
    """Three mutants of one function: one killed by mutmut, two survivors; the whole suite's record
    says it caught the first survivor (this very diff) and a stale diff of the second."""
    import semantic_mutants

    texts = {
        "reference.tying.x_like__mutmut_1": ("a = 1", "a = 2"),
        "reference.tying.x_like__mutmut_2": ("b = 1", "b = 2"),
    }
    monkeypatch.setattr(mutate, "changed_line", lambda name: texts.get(name, ("c", "d")))
    monkeypatch.setattr(
        mutate,
        "text_mutant",
        lambda name: semantic_mutants.Mutant(name, "f.py", *texts[name], "mutmut", "why"),
    )
    monkeypatch.setattr(mutate, "scope_functions", lambda: ["reference.tying.like"])
    monkeypatch.setattr(mutate, "project_tree", lambda: "this tree")
    record = tmp_path / "whole-suite.json"
    monkeypatch.setattr(mutate, "WHOLE_SUITE", record)
    record.write_text(
        json.dumps(
            {
                "reference.tying.x_like__mutmut_1": {
                    "outcome": "caught",
                    "original": "a = 1",
                    "replacement": "a = 2",
                },
                "reference.tying.x_like__mutmut_2": {
                    "outcome": "caught",
                    "original": "b = 1",
                    "replacement": "b = 3",
                },
            }
        ),
        encoding="utf-8",
    )
    return {
        "reference.tying.x_like__mutmut_1": "survived",
        "reference.tying.x_like__mutmut_2": "survived",
        "reference.tying.x_like__mutmut_3": "killed",
    }


def test_a_survivor_the_whole_suite_kills_counts_killed_and_a_stale_record_does_not(
    survivors_judged, capsys
):
    assert mutate.report(survivors_judged, []) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| `reference.tying`"))
    # mutants run, killed, of which by the whole suite, survived
    assert row.split(" | ")[1:5] == ["3", "2", "1", "1"], row
    assert "SURVIVED reference.tying.x_like__mutmut_2 (survived, the whole suite too)" not in out
    assert "SURVIVED reference.tying.x_like__mutmut_2 (survived)" in out
    assert mutate.unexplained_survivors(survivors_judged, []) == [
        "reference.tying.x_like__mutmut_1",
        "reference.tying.x_like__mutmut_2",
    ]


def test_a_recorded_equivalent_the_whole_suite_kills_is_reported_wrong(survivors_judged, capsys):
    equivalent = {"function": "reference.tying.like", "removed": "a = 1", "added": "a = 2"}
    assert mutate.report(survivors_judged, [equivalent]) == 1
    assert "WRONGLY RECORDED EQUIVALENT (the whole suite kills it) reference.tying.x_like__mutmut_1" in capsys.readouterr().out  # fmt: skip


@pytest.mark.parametrize(
    ("added", "device_only"),
    [
        ("return torch.eye(w.shape[0], device=None).sum()", True),
        ("return torch.eye(w.shape[0], ).sum()", True),
        ("return torch.eye(w.shape[1], device=w.device).sum()", False),
        ("return torch.eye(w.shape[0], device=w.dtype).sum()", False),
    ],
)
def test_a_mutant_that_only_loses_a_device_keyword_is_device_only(added, device_only):
    removed = "return torch.eye(w.shape[0], device=w.device).sum()"
    assert mutate.drops_the_device(removed, added) is device_only


def test_a_methods_dedented_diff_is_found_and_replaced_at_the_methods_depth():
    """mutmut's diff of a method is one level shallower but for its strings' insides."""
    source = [
        "class A:",
        "    def f(self):",
        '        """One line,',
        '        another."""',
        "        x = 1",
        "        return x",
    ]
    diff = ["--- a.py", "+++ a.py", "@@ -1,4 +1,4 @@", '         another."""', "-    x = 1", "+    x = 2", "     return x"]  # fmt: skip
    assert mutate.located(diff, source) == (
        '        another."""\n        x = 1\n        return x',
        '        another."""\n        x = 2\n        return x',
    )
    with pytest.raises(ValueError, match="matches 2 places"):
        mutate.located(["-x = 1", "+x = 2"], ["x = 1", "x = 1"])


def test_a_mutant_identical_to_the_original_changes_nothing_and_any_change_is_something():
    assert mutate.changes_nothing("", "")
    assert not mutate.changes_nothing("return copy.deepcopy(model)", "return copy.copy(model)")
    assert not mutate.changes_nothing("return model", "")
    assert not mutate.changes_nothing("return model", "return model")  # a first line alike


def test_a_mutant_that_drops_the_last_argument_device_is_device_only():
    removed = "value = claim.proven_at(counter, device)"
    assert mutate.drops_the_device(removed, "value = claim.proven_at(counter, )")
    assert not mutate.drops_the_device(removed, "value = claim.proven_at(device, )")


def test_a_survivor_judged_on_another_tree_is_judged_again_and_a_kill_there_is_counted_apart(
    survivors_judged, capsys
):
    judged = mutate.load_whole_suite()
    judged["reference.tying.x_like__mutmut_1"]["tree"] = "an earlier tree"
    survived = {"outcome": "survived", "original": "b = 1", "replacement": "b = 2", "tree": "an earlier tree"}  # fmt: skip
    judged["reference.tying.x_like__mutmut_2"] = survived
    assert (
        mutate.whole_suite_outcome("reference.tying.x_like__mutmut_1", judged, "this tree")
        == "caught"
    )
    assert (
        mutate.whole_suite_outcome("reference.tying.x_like__mutmut_2", judged, "this tree") is None
    )
    assert (
        mutate.whole_suite_outcome("reference.tying.x_like__mutmut_2", judged, "an earlier tree")
        == "survived"
    )
    mutate.WHOLE_SUITE.write_text(json.dumps(judged), encoding="utf-8")
    mutate.report(survivors_judged, [])
    assert "1 judged on an earlier tree" in capsys.readouterr().out
