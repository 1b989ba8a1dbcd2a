"""The update report (tools/snapshot_changes.py) speaks as the failing test does: each value judged
by its kind's and example's tolerance, how many times the measured noise it moved, numerics read
apart from behaviour, grouped by example and kind."""

import importlib.util
import sys
from pathlib import Path

from reference_testing.tolerances import tolerance_for

TOOL = Path(__file__).resolve().parents[2] / "tools" / "snapshot_changes.py"
spec = importlib.util.spec_from_file_location("snapshot_changes", TOOL)
snapshot_changes = sys.modules["snapshot_changes"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(snapshot_changes)


def stats(mean, std=1.0):
    return {"shape": [2], "dtype": "float32", "max_abs": 2.0, "mean": mean, "std": std}


def test_a_file_name_says_the_example_the_kind_and_so_the_tolerance():
    example, kind, tolerance = snapshot_changes.what_it_locks(
        "snapshots/test_snapshots/test_training_trace[train_shared_regression].json"
    )
    assert (example, kind) == ("train_shared_regression", "trace")
    assert tolerance == tolerance_for("trace", "train_shared_regression")  # the override
    assert snapshot_changes.what_it_locks(
        "snapshots/test_snapshots/test_variant_structure[tied_embeddings-untied].json"
    )[:2] == ("tied_embeddings", "variant")


def test_each_value_is_judged_by_the_tests_tolerance_and_read_as_numerics_or_behaviour():
    tolerance = tolerance_for("forward", "mlp")  # 1e-5 of scale, noise 9.6e-7
    old = stats(0.5)
    lines = snapshot_changes.judged(stats(0.5 + 1e-4, std=1.0 + 1e-6), old, tolerance)
    assert len(lines) == 2
    assert lines[0].startswith("numerics: $.mean: 0.5 -> ")  # 5e-5 of scale: 52x the noise
    assert "52.1× the measured noise" in lines[0]
    assert lines[1] == "1 more value(s) moved within the tolerance"  # std: 5e-7 of scale
    (line,) = snapshot_changes.judged(stats(0.6), old, tolerance)
    assert line.startswith("behaviour: $.mean: 0.5 -> 0.6")
    (line,) = snapshot_changes.judged({"keys": ["b"]}, {"keys": ["a"]}, tolerance)
    assert line.startswith("behaviour: $.keys[0]")


def test_the_report_groups_changes_by_example_then_kind():
    Change = snapshot_changes.Change
    found = [
        Change("s/test_forward[mlp].json", "changed", "mlp", "forward", ["numerics: x"]),
        Change("s/test_initial_parameters[mlp].json", "added", "mlp", "initial"),
        Change("s/test_forward[chimera].json", "REMOVED", "chimera", "forward"),
    ]
    assert snapshot_changes.render(found) == [
        "chimera:",
        "  forward (REMOVED): s/test_forward[chimera].json",
        "mlp:",
        "  forward (changed): s/test_forward[mlp].json",
        "      numerics: x",
        "  initial (added): s/test_initial_parameters[mlp].json",
    ]
