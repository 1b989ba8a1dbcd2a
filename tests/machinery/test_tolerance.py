"""The snapshot comparison: numbers judged against the scale of their group, failures in noise units."""

import math
import re

import pytest

from reference_testing.compare import Tolerance, differences, largest_deviation
from reference_testing.tolerances import KINDS, MARGIN, OVERRIDES, tolerance_for

TOLERANCE = Tolerance(rtol=1e-5, noise=4e-7)


def stats(mean: float, leading: list[float], max_abs: float = 100.0) -> dict:
    return {"shape": [3], "dtype": "float32", "max_abs": max_abs, "mean": mean, "leading": leading}


def test_a_mean_of_cancelling_values_is_judged_against_the_tensor_not_itself():
    # A mean of 1e-6 in a tensor of scale 100 moves by 1e-5: rounding (1e-7 of scale), not a change.
    assert differences(stats(1e-6 + 1e-5, [1.0]), stats(1e-6, [1.0]), TOLERANCE) == []
    # Element by element the same move would be a 1000% change: the old comparison failed it.
    assert differences(1e-6 + 1e-5, 1e-6, TOLERANCE) != []


def test_a_change_beyond_the_scale_tolerance_fails_and_says_how_far_beyond_the_noise():
    found = differences(stats(0.0, [30.0 + 0.01]), stats(0.0, [30.0]), TOLERANCE)
    assert len(found) == 1
    assert found[0].startswith("$.leading[0]: 30.0 -> 30.01")
    assert "= 0.0001 of scale 100" in found[0]
    assert "250× the measured noise" in found[0]


def test_a_trace_is_judged_against_its_largest_entry():
    trace = [5.0, 1.0, 0.001]
    assert differences([5.0, 1.0, 0.001 + 1e-5], trace, TOLERANCE) == []  # 2e-6 of 5
    assert differences([5.0, 1.0 + 1e-3, 0.001], trace, TOLERANCE) != []  # 2e-4 of 5


def test_integers_booleans_and_keys_are_exact():
    assert differences({"a": 3}, {"a": 2}, TOLERANCE) == ["$.a: 2 -> 3"]
    assert differences([True], [False], TOLERANCE) == ["$[0]: False -> True"]
    assert differences({"b": 1}, {"a": 1}, TOLERANCE) == ["$: keys ['a'] -> ['b']"]
    assert differences([1.0, 2.0], [1.0], TOLERANCE)[0].startswith("$: 1 items -> 2 items")


def test_largest_deviation_is_in_units_of_scale_and_infinite_for_structure():
    assert math.isclose(largest_deviation(stats(0.5, [1.0]), stats(0.0, [1.0])), 0.5 / 100)
    assert largest_deviation({"a": 1.0}, {"a": 1.0}) == 0.0
    assert largest_deviation({"a": 2}, {"a": 1}) == math.inf
    assert largest_deviation(["x"], ["y"]) == math.inf


ENTRIES = {**{(kind, "*"): t for kind, t in KINDS.items()}, **OVERRIDES}


@pytest.mark.parametrize("entry", list(ENTRIES), ids=["-".join(e) for e in ENTRIES])
def test_each_tolerance_sits_between_its_measured_noise_and_signal(entry):
    """Loosening a tolerance toward the smallest change it must catch, or tightening it into the
    noise a user's machine brings, fails here with the figures."""
    tolerance = ENTRIES[entry]
    assert tolerance.noise > 0 and tolerance.signal > 0, "record what was measured"
    assert tolerance.rtol >= MARGIN * tolerance.noise, tolerance
    assert tolerance.rtol * MARGIN <= tolerance.signal, tolerance


def test_the_order_of_keys_counts():
    """state_dict keys, parameter names and claims are ordered: a reordered dict is a change."""
    assert differences({"a": 1, "b": 2}, {"b": 2, "a": 1}, TOLERANCE) == [
        "$: keys ['b', 'a'] -> ['a', 'b']"
    ]
    assert largest_deviation({"a": 1, "b": 2}, {"b": 2, "a": 1}) == math.inf


def test_a_long_list_is_judged_against_its_largest_entry_not_the_sum_of_its_magnitudes():
    """100 entries of 1.0: one moved by 1e-4 is 10 times the tolerance of the largest entry (1e-5),
    a tenth of what the sum of the magnitudes (100) would allow."""
    trace = [1.0] * 100
    assert differences([1.0 + 1e-4, *trace[1:]], trace, TOLERANCE) != []
    assert differences([1.0 + 5e-6, *trace[1:]], trace, TOLERANCE) == []


LOOSE = Tolerance(rtol=0.5)  # wide enough that the locked value and the new one give other verdicts


def test_a_lone_number_is_judged_against_its_locked_value_not_the_new_one():
    """1.0 -> 1.8 moves 0.8: more than half the locked 1.0, less than half the new 1.8."""
    assert differences(1.8, 1.0, LOOSE) == [
        "$: 1.0 -> 1.8 (differs by 0.8 = 0.8 of scale 1 "
        "(tolerance 0.5 of scale; no noise was measured here))"
    ]
    assert differences(1.4, 1.0, LOOSE) == []


def test_a_groups_scale_is_the_locked_groups_not_the_new_ones():
    """[1, 1] -> [1, 1.8]: the locked group's largest entry is 1, the new one's 1.8."""
    assert differences([1.0, 1.8], [1.0, 1.0], LOOSE) != []
    assert differences([1.0, 1.4], [1.0, 1.0], LOOSE) == []
    assert largest_deviation([1.0, 1.8], [1.0, 1.0]) == pytest.approx(0.8)


def test_a_boolean_is_not_the_number_it_equals():
    """`True == 1` in Python: a fact that became a count (or the reverse) is a difference."""
    assert differences([1], [True], TOLERANCE) == ["$[0]: True -> 1"]
    assert differences([True], [1], TOLERANCE) == ["$[0]: 1 -> True"]
    assert differences([0.0], [False], TOLERANCE) == ["$[0]: False -> 0.0"]


def test_a_list_with_anything_but_numbers_in_it_is_no_group():
    """A name beside numbers (`["x", 100.0, 0.001]`): each number is judged against itself, not
    against the largest number of a list that is no group of numbers."""
    assert differences(["x", 100.0, 0.001 + 1e-5], ["x", 100.0, 0.001], TOLERANCE) != []
    assert differences([100.0, 0.001 + 1e-5], [100.0, 0.001], TOLERANCE) == []


def test_an_override_is_the_tolerance_its_example_gets():
    """The per-example override is looked up: the 1000-step Adam trace gets its own, others the
    kind's."""
    for kind, name in OVERRIDES:
        assert tolerance_for(kind, name) is OVERRIDES[kind, name] != KINDS[kind]
    assert tolerance_for("trace", "no_such_example") is KINDS["trace"]


# --- the extension a tolerance makes, and a corrupt snapshot's message ---------------------------


def test_each_tolerance_has_one_importable_extension_named_by_its_values():
    """The xdist controller finds a worker's extension by its import path: the class lives in the
    extension module under a plain identifier made of the tolerance's values."""
    from reference_testing import extension
    from reference_testing.tolerances import extension_for

    tolerance = Tolerance(rtol=2e-5, atol=1e20, noise=1.2e-6, signal=-3.5e-4)
    made = extension.with_tolerance(tolerance)
    name = "JSONSnapshot_rtol_2em05_atol_1e20_noise_1p2em06_signal_m0p00035"
    assert (made.__name__, made.__qualname__, made.__module__) == (name, name, extension.__name__)
    assert getattr(extension, name) is made and issubclass(made, extension.JSONSnapshot)
    assert made.tolerance is tolerance
    assert extension.with_tolerance(Tolerance(**vars(tolerance))) is made
    override = ("trace", "train_shared_regression")
    assert extension_for(*override).tolerance == OVERRIDES[override] != tolerance_for("trace", "x")


def test_a_corrupt_snapshot_is_named_with_the_command_that_restores_it(tmp_path, monkeypatch):
    from reference_testing.compare import CorruptSnapshot, load

    monkeypatch.chdir(tmp_path)
    location = str(tmp_path / "snapshots" / "a.json")
    with pytest.raises(CorruptSnapshot) as caught:
        load("{", location)
    assert re.fullmatch(
        re.escape(f"snapshot file {location} is not valid JSON (")
        + r"[^()]+\(char 1\)"
        + re.escape(
            "); restore it from git (git checkout -- snapshots/a.json) or delete it to "
            "regenerate it"
        ),
        str(caught.value),
    ), str(caught.value)


# --- the perturbation a calibration run names -----------------------------------------------------


def test_a_perturbation_is_named_by_the_environment_with_what_it_needs(monkeypatch):
    from reference_testing import perturbations as p

    monkeypatch.delenv(p.VARIABLE, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert p.named_in_environment() is None
    monkeypatch.setenv(p.VARIABLE, "no_such_thing")
    with pytest.raises(ValueError) as unknown:
        p.named_in_environment()
    assert str(unknown.value) == (
        f"REFERENCE_PERTURB='no_such_thing' is not a perturbation; known: {', '.join(p.PERTURBATIONS)}"
    )
    monkeypatch.setenv(p.VARIABLE, "one_thread")
    with pytest.raises(ValueError) as unset:
        p.named_in_environment()
    assert str(unset.value) == (
        "REFERENCE_PERTURB=one_thread needs OMP_NUM_THREADS=1 set before Python starts "
        "(torch reads it when it loads)"
    )
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert p.named_in_environment() is p.PERTURBATIONS["one_thread"]


def test_the_named_perturbation_is_applied_before_the_run(monkeypatch):
    from reference_testing import perturbations as p

    applied = []
    marked = p.Perturbation("marked", p.BENIGN, "records that it ran", lambda: applied.append(1))
    monkeypatch.setitem(p.PERTURBATIONS, "marked", marked)
    monkeypatch.setenv(p.VARIABLE, "marked")
    assert p.activate_from_environment() is marked and applied == [1]


@pytest.mark.parametrize(
    ("actual", "shown"),
    [(None, "null"), ("1.5", '"1.5"'), ([1.5], "[1.5]")],
    ids=["none", "text", "list"],
)
def test_a_number_replaced_by_something_else_is_a_difference_not_an_error(actual, shown):
    """As the snapshot's JSON shows them."""
    assert differences(actual, 1.5, Tolerance(rtol=1e-5)) == [f"$: 1.5 -> {shown}"]
    assert differences(1.5, actual, Tolerance(rtol=1e-5)) == [f"$: {shown} -> 1.5"]


def test_each_kind_of_change_is_said_as_the_snapshot_shows_it():
    tolerance = Tolerance(rtol=1e-5)
    # An int locked, a float now, within the tolerance: the same number.
    assert differences(1.000001, 1, tolerance) == []
    assert differences(["a"], {"a": 1}, tolerance) == ['$: {"a": 1} -> ["a"]']
    assert differences("x", [1.5], tolerance) == ['$: [1.5] -> "x"']
    assert differences([1, 2, 3], [1, 2], tolerance) == [
        "$: 2 items -> 3 items: [1, 2] -> [1, 2, 3]"
    ]
    assert differences("b", "a", tolerance) == ['$: "a" -> "b"']


def test_a_snapshot_file_is_indented_readable_in_any_language_and_refuses_nan():
    from reference_testing.compare import dumps

    assert dumps({"a": ["参数"]}) == '{\n  "a": [\n    "参数"\n  ]\n}\n'
    with pytest.raises(ValueError):
        dumps({"a": math.nan})
