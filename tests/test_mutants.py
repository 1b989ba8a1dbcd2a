"""The mutation harness's bookkeeping (the harness itself is a maintainer command: tools/mutants.py)."""

import importlib.util
import sys
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "mutants", Path(__file__).resolve().parents[1] / "tools" / "mutants.py"
)
mutants = sys.modules["mutants"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
spec.loader.exec_module(mutants)


def test_verdicts_flag_false_alarms_and_misses():
    assert mutants.verdict("benign", caught=False) == "OK"
    assert mutants.verdict("benign", caught=True) == "ALARM (false alarm)"
    assert mutants.verdict("catching", caught=True) == "OK"
    assert mutants.verdict("catching", caught=False) == "ALARM (missed)"


def test_table_names_the_first_failures_from_pytests_summary():
    output = (
        "....F\n"
        "FAILED tests/test_a.py::test_x[one-cpu] - assert 1 == 2\n"
        "ERROR tests/test_b.py::test_y\n"
        "1 failed, 1 error in 2.0s\n"
    )
    failures = mutants.failures_in(output)
    assert failures == ("tests/test_a.py::test_x[one-cpu]", "tests/test_b.py::test_y")
    rows = mutants.table(
        [
            mutants.Result("lr", "catching", 1, failures, 1.0),
            mutants.Result("ulp", "benign", 0, (), 1.0),
            mutants.Result("boom", "catching", 4, (), 1.0, "ImportError: no"),
        ]
    ).splitlines()
    assert rows[2] == (
        "| `lr` | catching | yes | `test_a.py::test_x[one-cpu]`, `test_b.py::test_y` | OK |"
    )
    assert rows[3] == "| `ulp` | benign | no | - | OK |"
    assert rows[4] == "| `boom` | catching | yes | exit 4: ImportError: no | OK |"


def test_every_perturbation_has_a_known_kind_and_says_what_it_changes():
    for name, perturbation in mutants.PERTURBATIONS.items():
        assert perturbation.name == name
        assert perturbation.kind in ("benign", "catching"), name
        assert perturbation.what, name
