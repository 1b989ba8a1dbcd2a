"""The mutation harness's bookkeeping (the harness itself is a maintainer command: tools/mutants.py)."""

import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "mutants", Path(__file__).resolve().parents[2] / "tools" / "mutants.py"
)
mutants = sys.modules["mutants"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
spec.loader.exec_module(mutants)


def test_verdicts_flag_false_alarms_misses_crashes_and_idle_variations():
    assert mutants.verdict("benign", caught=False, moved=3e-7) == "OK"
    assert mutants.verdict("benign", caught=True, moved=3e-7) == "ALARM (false alarm)"
    assert mutants.verdict("benign", caught=False, moved=0.0) == "moves nothing here: not counted"
    assert mutants.verdict("catching", caught=True) == "OK"
    assert mutants.verdict("catching", caught=False) == "ALARM (missed)"
    assert mutants.verdict("catching", False, crashed=True) == "ALARM (crashed, no test failed)"


def test_only_failing_tests_count_as_caught():
    """An import error (exit 4), a collection error (exit 2) or a run with errors only is no catch."""
    assert mutants.Result("a", "catching", 1, ("tests/t.py::x",), 1.0).caught
    assert not mutants.Result("b", "catching", 4, (), 1.0, "ImportError: no").caught
    assert not mutants.Result("c", "catching", 2, ("ERROR tests/t.py",), 1.0).caught
    assert not mutants.Result("d", "catching", 1, ("ERROR tests/t.py::x",), 1.0).caught
    assert mutants.Result("b", "catching", 4, (), 1.0).verdict.startswith("ALARM (crashed")


def test_table_names_the_first_failures_and_groups_the_changes():
    output = (
        "....F\n"
        "FAILED tests/test_a.py::test_x[one-cpu] - assert 1 == 2\n"
        "ERROR tests/test_b.py::test_y\n"
        "1 failed, 1 error in 2.0s\n"
    )
    failures = mutants.failures_in(output)
    assert failures == ("tests/test_a.py::test_x[one-cpu]", "ERROR tests/test_b.py::test_y")
    results = [
        mutants.Result("sgd_lr_1pct", "catching", 1, failures, 1.0),
        mutants.Result("ulp", "benign", 0, (), 1.0, moved=9.6e-7),
        mutants.Result("boom", "catching", 4, (), 1.0, "ImportError: no"),
        mutants.Result("isa", "benign", 0, (), 1.0, moved=0.0),
    ]
    rows = mutants.table(results).splitlines()
    assert rows[2] == (
        "| `sgd_lr_1pct` | calibration | - | yes | `test_a.py::test_x[one-cpu]`, "
        "`ERROR test_b.py::test_y` | OK |"
    )
    assert rows[3] == "| `ulp` | benign | 9.6e-07 | no | - | OK |"
    assert rows[4] == (
        "| `boom` | held out | - | no | exit 4: ImportError: no | ALARM (crashed, no test failed) |"
    )
    assert mutants.summary(results).splitlines() == [
        "held out: 0/1 catching perturbations caught",
        "calibration: 1/1 catching perturbations caught",
        "benign: 1 move a number here, 0 false alarm(s); moving nothing here (not counted): isa",
    ]


def test_every_perturbation_has_a_known_kind_and_says_what_it_changes():
    for name, perturbation in mutants.PERTURBATIONS.items():
        assert perturbation.name == name
        assert perturbation.kind in ("benign", "catching"), name
        assert perturbation.what, name
