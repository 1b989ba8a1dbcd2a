"""The semantic mutation harness's bookkeeping (the harness is a maintainer command:
tools/semantic_mutants.py, `tox -e semantic`)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "semantic_mutants", ROOT / "tools" / "semantic_mutants.py"
)
semantic = sys.modules["semantic_mutants"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(semantic)

MUTANTS = semantic.load()


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_every_mutant_still_applies_to_the_code(mutant):
    """Its original text occurs exactly once in today's code: a refactor that moves or changes
    it is noticed here, not by a mutant that silently no longer mutates anything."""
    mutated = semantic.mutated_text(mutant, ROOT)
    assert mutated != (ROOT / mutant.file).read_text(encoding="utf-8")


def test_the_set_is_of_the_known_classes_and_has_both_parts():
    assert {m.kind for m in MUTANTS} <= set(semantic.CLASSES)
    assert any(m.held_out for m in MUTANTS) and any(not m.held_out for m in MUTANTS)
    # Every class the issue names has a mutant.
    assert set(semantic.CLASSES) - {m.kind for m in MUTANTS} == set()


def test_an_equivalent_mutant_carries_an_argument_of_some_length():
    for mutant in MUTANTS:
        if mutant.equivalent:
            assert len(mutant.equivalent.split()) >= 8, mutant.name


def entry(**changes):
    fields = {
        "name": "m",
        "file": "pkg.py",
        "original": "a and b",
        "replacement": "a",
        "class": "drop_conjunct",
        "why": "why",
    }
    fields.update(changes)
    return "[[mutant]]\n" + "".join(f"{key} = {value!r}\n" for key, value in fields.items())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (entry(**{"class": "typo"}), "mutant m: unknown class 'typo'"),
        (entry().replace("why = 'why'\n", ""), "mutant m: missing why"),
        (entry() + entry(), "mutant m: the name is used twice"),
        (entry(replacement="a and b"), "mutant m: the replacement is the original"),
        (entry(colour="red"), "mutant m: unknown field(s) colour"),
    ],
    ids=["class", "missing", "twice", "no-change", "field"],
)
def test_a_malformed_entry_is_refused_by_name(tmp_path, text, message):
    path = tmp_path / "mutants.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(semantic.MutantError, match=message.replace("(", r"\(").replace(")", r"\)")):
        semantic.load(path)


@pytest.mark.parametrize(
    ("source", "count"), [("x = 1\n", 0), ("a and b\na and b\n", 2)], ids=["absent", "twice"]
)
def test_an_original_text_not_found_exactly_once_stops_the_run_naming_the_mutant(
    tmp_path, source, count
):
    (tmp_path / "pkg.py").write_text(source, encoding="utf-8")
    (tmp_path / "m.toml").write_text(entry(name="dropped_b"), encoding="utf-8")
    [mutant] = semantic.load(tmp_path / "m.toml")
    with pytest.raises(semantic.MutantError, match=f"mutant dropped_b: .* occurs {count} times"):
        semantic.mutated_text(mutant, tmp_path)


def test_only_failing_tests_count_as_caught():
    """An import error (exit 4), a collection error (exit 2), a run with errors only, are no catch;
    an equivalent mutant that is caught has a wrong argument."""
    outcome = semantic.outcome
    assert outcome(1, ("tests/t.py::x",)) == "caught"
    # xdist's -x ends a run it stopped at a failure with exit 2 (seen): a catch, but only then.
    assert outcome(2, ("tests/t.py::x",), stopped=True) == "caught"
    assert outcome(2, ("tests/t.py::x",)).startswith("ERROR, no test failed")
    assert outcome(2, ("ERROR tests/t.py",), stopped=True).startswith("ERROR, no test failed")
    assert outcome(1, ("ERROR tests/t.py::x",)).startswith("ERROR, no test failed")
    assert outcome(2, ("ERROR tests/t.py",)).startswith("ERROR, no test failed")
    assert outcome(4, ()) == "ERROR, no test failed (exit 4)"
    assert outcome(0, ()) == "SURVIVED"
    # A test that failed by its time alone (a loaded machine) is no catch either.
    assert outcome(1, ("TIMEOUT tests/t.py::x",)).startswith("TIMEOUT")
    assert outcome(0, (), "no input tells") == "equivalent"
    assert outcome(1, ("tests/t.py::x",), "no input tells") == "CAUGHT THOUGH DECLARED EQUIVALENT"
    assert [semantic.is_alarm(o) for o in ("caught", "equivalent", "SURVIVED")] == [
        False,
        False,
        True,
    ]


def test_failures_are_read_from_pytests_summary():
    output = (
        "F\nFAILED tests/test_a.py::test_x[one-cpu] - assert 1 == 2\nERROR tests/b.py::y\n"
        "FAILED tests/c.py::z - Failed: Timeout >120.0s\n"
        "FAILED tests/d.py::w - worker 'gw1' crashed while running 'tests/d.py::w'\n"
    )
    assert semantic.failures_in(output) == (
        "tests/test_a.py::test_x[one-cpu]",
        "ERROR tests/b.py::y",
        "TIMEOUT tests/c.py::z",
        "TIMEOUT tests/d.py::w",
    )


def test_a_run_mutates_the_copy_only_while_the_suite_runs_even_when_interrupted(
    tmp_path, monkeypatch
):
    (tmp_path / "pkg.py").write_text("a and b\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(entry(), encoding="utf-8")
    [mutant] = semantic.load(tmp_path / "m.toml")
    seen = []

    def suite(copy, _args):
        seen.append((copy / "pkg.py").read_text(encoding="utf-8"))
        raise KeyboardInterrupt

    monkeypatch.setattr(semantic, "run_suite", suite)
    with pytest.raises(KeyboardInterrupt):
        semantic.run(mutant, tmp_path, [])
    assert seen == ["a\n"]
    assert (tmp_path / "pkg.py").read_text(encoding="utf-8") == "a and b\n"


def test_the_report_gives_the_held_out_part_apart(tmp_path):
    held = semantic.Mutant("h", "f.py", "a", "b", "drop_abs", "why", held_out=True)
    work = semantic.Mutant("w", "f.py", "a", "b", "drop_abs", "why", equivalent="no input tells")
    text = semantic.report(
        [
            semantic.Result(held, 1, ("tests/t.py::x",), 3.0),
            semantic.Result(work, 0, (), 3.0),
        ]
    )
    assert "held out (written before any fix, tests unread): 1/1 caught" in text
    assert "working set: 0/1 caught (0 not equivalent, 1 declared equivalent)" in text
    assert "- `w`: no input tells" in text
