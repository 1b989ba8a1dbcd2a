"""The tying survival table: every row locked by a snapshot, the rows that depend on the torch release
checked against what they read before the change, every surprise explained, the reproduced PyTorch
bugs still reproduced, the committed column of this release still what the table measures, and the
command (`survival --json` parsed from what reaches file descriptor 1, filters, the cross-release
matrix).
"""

import contextlib
import dataclasses
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from reference import survival, survival_cases, survival_operations, survival_render
from reference.cli import main
from reference.layout import display_width
from reference.registry import get
from reference.releases import torch_release
from reference.survival_cases import (
    ERROR_WHYS,
    KNOWN_ERRORS,
    OPERATIONS,
    RATINGS,
    REPORTS,
    STEP,
    VISITS,
    Requirement,
    reproduced_bugs,
    whys_for,
)
from reference.survival_operations import module_result
from reference.tying import alias_groups, untie_registrations

RELEASE = torch_release()
ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "survival"

# The slow operations (ranks started, inductor's compile) are measured by tests/test_survival_slow.py
# (tox -e survival-slow) and by the release sweep; here their stored rows are checked instead.
FAST = [op for op in survival.OPERATIONS if not op.slow]
CELLS = [(op, tied) for op in FAST for tied in survival.MODELS]


def cell_id(op, tied):
    return f"{op.run.__name__}-{tied.name}"


def skip_unless_installed(op):
    for requirement in op.needed_on(RELEASE):
        pytest.importorskip(requirement.module, reason=f"{op.name} needs {requirement.pip}")


@pytest.mark.parametrize(("op", "tied"), CELLS, ids=[cell_id(*c) for c in CELLS])
def test_row(op, tied, snapshot_json):
    """The operation's row, and its optimizer step's where it has one, as the snapshot holds them.
    On a release before a change to the row, test_earlier_row checks it instead.
    """
    skip_unless_installed(op)
    earlier = op.earlier_on(RELEASE, tied.name)
    if earlier:
        pytest.skip(f"before torch {earlier.until}: checked by test_earlier_row")
    assert survival.rows_of(op, tied) == snapshot_json


EARLIER = [c for c in CELLS if any(c[1].name in e.models for e in c[0].earlier)]


@pytest.mark.parametrize(("op", "tied"), EARLIER, ids=[cell_id(*c) for c in EARLIER])
def test_earlier_row(op, tied):
    """On a release before a change, the row reads what was measured on those releases."""
    earlier = op.earlier_on(RELEASE, tied.name)
    if earlier is None:
        pytest.skip(f"torch {RELEASE} is past every change to this row: test_row locks it")
    found, _ = survival.outcomes(op, tied)
    assert read(found) == earlier.read(), (
        f"before torch {earlier.until}, as docs/survival measured on the releases before it"
    )


def read(row: dict) -> tuple[str, str | None, dict[str, str]]:
    """What a row reads, as an Earlier entry says it: outcome, error and facts."""
    facts = {k: row[k] for k in survival.FACT_KEYS if k in row}
    return row["outcome"], row.get("error"), facts


def test_every_change_names_known_models_and_every_reference_is_rated():
    models = {m.name for m in survival.MODELS}
    for op in OPERATIONS:
        for e in op.earlier:
            assert set(e.models) <= models, op.name
    for why in [w for op in OPERATIONS for w in op.whys] + list(ERROR_WHYS):
        assert why.reason.says and why.reason.references, why
        for reference in why.reason.references:
            assert reference.source and reference.rating in RATINGS, reference
            # Only a report is a bug report: a fix, a page or a context thread paints nothing red.
            assert not reference.bug or reference.rating == REPORTS, reference


def bug_id(op, why) -> str:
    """The operation, the first reference and the releases covered (ASCII: 'from 2.8')."""
    since, until = why.releases.since, why.releases.until
    covered = (f"-from-{since[0]}.{since[1]}" if since else "") + (
        f"-before-{until[0]}.{until[1]}" if until else ""
    )
    return f"{op.run.__name__}-{why.reason.references[0].source}{covered}"


@pytest.mark.parametrize(
    ("op", "why"),
    reproduced_bugs(),
    ids=[bug_id(op, why) for op, why in reproduced_bugs()],
)
def test_reproduced_pytorch_bug_still_reproduces(op, why):
    """Each cited bug still shows on the rows of its kind of tie, on the releases its reason covers;
    when a release fixes it, this fails and says so."""
    if not why.releases.covers(RELEASE):
        pytest.skip(f"torch {RELEASE} is outside {why.releases.words()}")
    column = committed_column()
    stored = json.loads(column.read_text(encoding="utf-8"))["rows"] if column.exists() else []
    showed = {r["model"] for r in stored if r["operation"] == op.name and why.matches(r, survival.tied_model(r["model"]).tie(), RELEASE)}  # fmt: skip
    for tied in survival.MODELS:
        # Before a change the row reads what test_earlier_row checks: the bug may not exist yet.
        # Where this release's column is stored, the rows that showed the bug there (a kind of tie
        # does not always decide it: the pipelining row splits only a stage whose input carries a
        # gradient, and token ids do not).
        shown_here = tied.name in showed or not stored
        if why.ties.test(tied.tie()) and not op.earlier_on(RELEASE, tied.name) and shown_here:
            # The row as test_row reads it: a costly operation (`once`) runs once a process.
            row, *_ = survival.rows_of(op, survival.tied_model(tied.name))
            assert why in whys_for(row, tied.tie(), RELEASE), (
                f"{why.reason.references[0].source} no longer reproduces on torch "
                f"{torch.__version__} ({op.name}, {tied.name}: {row['outcome']}): it looks "
                "fixed. Update its reason in survival_cases.py (the releases it covers, the "
                "references' states), rerun `pytest --snapshot-update` and measure this release "
                "again (tools/survival_releases.py)"
            )


# --- the models -----------------------------------------------------------------------------------


@pytest.mark.parametrize("tied", survival.MODELS, ids=lambda t: t.name)
def test_the_two_names_start_as_one_parameter(tied):
    model = tied.model()
    first, second = (tied.tensor(model, name) for name in tied.names)
    assert isinstance(first, torch.nn.Parameter) and first is second
    if tied.names[0] != tied.names[1]:
        assert list(tied.names) in alias_groups(model)


@pytest.mark.parametrize("name", ["registered_lm_head", "parametrized_autoencoder"])
def test_rebuilt_models_compute_what_their_example_computes(name):
    tied = survival.tied_model(name)
    example = get(tied.example)
    x = example.input()
    assert torch.equal(tied.model()(x), example.model()(x))


def test_a_model_initialised_on_meta_has_no_storage_but_keeps_its_tie():
    for tied in survival.MODELS:
        model = tied.model_on_meta()
        first, second = (tied.tensor(model, name) for name in tied.names)
        assert first.is_meta and first is second, tied.name


# --- the measurements the rows rest on ------------------------------------------------------------


def test_one_step_counts_the_updates_of_a_storage():
    weight = torch.nn.Parameter(torch.ones(3))
    view = torch.nn.Parameter(weight.detach())  # a second object over the same storage
    copy = torch.nn.Parameter(torch.ones(3))
    once = survival.outcome_of_one_step(survival.Result((weight, weight), [weight]))
    assert (once["outcome"], once["updates"], once["promised_values"]) == ("once", [1, 1], True)
    twice = survival.outcome_of_one_step(survival.Result((weight, view), [weight, view]))
    assert (twice["outcome"], twice["updates"], twice["promised_values"]) == (
        "twice",
        [2, 2],
        False,
    )
    assert weight.tolist() == [-2.0] * 3  # zeroed, then moved by 1 twice
    # One storage updated twice is no tie after the step: shared memory alone does not make one.
    assert (once["tied_after"], twice["tied_after"], twice["storage_shared"]) == (True, False, True)
    apart = survival.outcome_of_one_step(survival.Result((weight, copy), [weight, copy]))
    assert (apart["outcome"], apart["storage_shared"]) == ("apart", False)


def test_promised_values_catch_a_tie_that_kept_the_wrong_values():
    """A row can keep its tie and still do the wrong thing to it: the values decide."""
    op = survival.operation("load_state_dict(copy)")
    tied = survival.tied_model("registered_lm_head")
    model = tied.model()
    right = module_result(model, tied)
    assert survival.outcome_of(right, op, tied)["promised_values"] is False  # nothing was loaded
    with torch.no_grad():
        model.embed_tokens.weight.add_(1)
    found = survival.outcome_of(right, op, tied)
    assert (found["outcome"], found["same_values"], found["promised_values"]) == (
        "tied",
        True,
        True,
    )


def test_error_text_locks_a_type_and_a_stable_phrase():
    for wording in (
        "aten.mm.default: got mixed torch.Tensor and DTensor, need to convert all",  # 2.7-2.9
        "aten.mm.default got mixed torch.Tensor and DTensor, need to convert all",  # 2.10 on
    ):
        assert survival.error_text(RuntimeError(wording)) == (
            "RuntimeError: got mixed torch.Tensor and DTensor"
        )
    # The phrase alone is not enough: the type is part of the lock.
    assert survival.error_text(ValueError("got mixed torch.Tensor and DTensor")) == (
        "ValueError: got mixed torch.Tensor and DTensor"
    )
    assert all(k.phrase in k.text for k in KNOWN_ERRORS)


def test_an_unknown_error_keeps_its_first_sentence_without_volatile_parts():
    error = RuntimeError("\n  Something new: [{'b', 'a'}].\n  more text at 0x7f3ded5c00e0\n")
    assert survival.error_text(error) == "RuntimeError: Something new"
    assert survival.error_text(ValueError("object at 0x7f00ab. Next")) == (
        "ValueError: object at 0x…"
    )
    assert survival.error_text(KeyError()) == "KeyError"


def test_a_known_error_is_recognised_through_colour_codes():
    error = RuntimeError("aten.mm.default: got mixed \x1b[1mtorch.Tensor\x1b[0m and DTensor")
    assert survival.error_text(error) == "RuntimeError: got mixed torch.Tensor and DTensor"


def test_an_unknown_error_loses_colour_codes_and_its_closing_stop_only():
    assert survival.error_text(RuntimeError("\x1b[31mSomething broke\x1b[0m")) == (
        "RuntimeError: Something broke"
    )
    assert survival.error_text(RuntimeError("...no reduction for MAX.")) == (
        "RuntimeError: ...no reduction for MAX"
    )
    assert survival.error_text(RuntimeError("a list follows:")) == "RuntimeError: a list follows"


def second_name_moved_apart(model: torch.nn.Module) -> torch.nn.Module:
    """tied_sequential with its tie undone and the second name's values moved by 1."""
    untied, _ = untie_registrations(model)
    with torch.no_grad():
        untied[4].weight.add_(1)
    return untied


def test_promised_values_are_the_first_names_own_values():
    """The promise is read from the first name's values before the operation, not the second's."""
    tied = dataclasses.replace(
        survival.tied_model("tied_sequential"), rebuild=second_name_moved_apart
    )
    op = survival.operation("copy.deepcopy")
    found = survival.outcome_of(module_result(tied.model(), tied), op, tied)
    assert (found["outcome"], found["same_values"], found["promised_values"]) == (
        "split",
        False,
        True,
    )


def test_step_label_names_one_or_two_updates_and_writes_out_any_other_count():
    assert survival.step_label(False, [1, 1]) == "apart"
    assert survival.step_label(True, [1, 1]) == "once"
    assert survival.step_label(True, [2, 2]) == "twice"
    assert survival.step_label(True, [3, 3]) == "moved 3/3"
    # Unequal counts over one storage (a name over part of it): the label is the first name's
    # count; the row's `updates` holds both.
    assert survival.step_label(True, [2, 1]) == "twice"


def test_an_absent_optional_package_is_named_not_raised():
    absent = Requirement("no_such_package_here", "no-such-package", "for the test")
    op = dataclasses.replace(
        survival.operation("safetensors save_model/load_model"), needs=(absent,)
    )
    found, stepped = survival.outcomes(op, survival.tied_model("tied_sequential"))
    assert found == stepped == {"outcome": "not installed: pip install no-such-package"}
    row = survival.row(op, False, survival.MODELS[0], found)
    assert survival_render.cell(row) == "not installed: pip install no-such-package"
    assert not survival_render.surprising(row)
    # A requirement of other releases only is not asked for on this one.
    elsewhere = dataclasses.replace(absent, releases=survival_cases.Releases(until=(2, 5)))
    op = dataclasses.replace(op, needs=(elsewhere,))
    assert survival.outcomes(op, survival.tied_model("tied_sequential"))[0]["outcome"] == "tied"


@pytest.mark.parametrize("name", [op.name for op in OPERATIONS if op.name.startswith("dcp.")])
def test_dcp_needs_numpy_and_says_so_when_it_is_absent(name, monkeypatch):
    """torch does not install NumPy, and dcp reaches for it (its plans go through the object
    collectives, which unpickle through tensor.numpy()): without NumPy the row names what to
    install instead of reading as a PyTorch surprise."""
    import importlib.util

    op = survival.operation(name)
    assert "numpy" in [r.module for r in op.needed_on(RELEASE)]
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda module, *a: None if module == "numpy" else find_spec(module, *a),
    )
    tied = survival.tied_model("registered_lm_head")
    found = [f for f in survival.outcomes(op, tied) if f is not None]  # not the cached rows
    rows = [survival.row(op, k == 1, tied, f) for k, f in enumerate(found)]
    assert {r["outcome"] for r in rows} == {"not installed: pip install numpy"}
    assert not any(survival_render.surprising(r) for r in rows)


def test_dcp_really_needs_numpy_on_this_release(monkeypatch):
    """The requirement is measured, not assumed: with tensor.numpy() failing as it fails without
    NumPy, dcp.save raises on this release. When a release stops reaching for NumPy, this fails:
    give OBJECT_COLLECTIVES_NUMPY the releases it covers."""

    def no_numpy(self):
        raise RuntimeError("Numpy is not available")

    monkeypatch.setattr(torch.Tensor, "numpy", no_numpy)
    op = survival.operation("dcp.save/load, model state")
    found, _ = survival.outcomes(
        dataclasses.replace(op, needs=()), survival.tied_model("tied_sequential")
    )
    assert found == {"outcome": "raises", "error": "RuntimeError: Numpy is not available"}


def test_the_future_flags_are_restored():
    future = torch.__future__
    before = (
        future.get_overwrite_module_params_on_conversion(),
        future.get_swap_module_params_on_conversion(),
    )
    for op in (
        survival.operation(".to(float64), overwrite flag"),
        survival.operation(".to(float64), swap flag"),
    ):
        survival.outcomes(op, survival.tied_model("registered_lm_head"))
    after = (
        future.get_overwrite_module_params_on_conversion(),
        future.get_swap_module_params_on_conversion(),
    )
    assert after == before


def test_no_process_group_is_left_behind():
    import torch.distributed as dist

    survival.outcomes(
        survival.operation("fully_shard(root)"), survival.tied_model("tied_sequential")
    )
    assert not dist.is_initialized()


def test_what_cpp_writes_to_stdout_goes_to_stderr(capfd):
    """gloo's C++ side writes to file descriptor 1; inside the guard it must land on 2."""
    with survival.stdout_to_stderr():
        os.write(1, b"[Gloo] Rank 0 is connected to 0 peer ranks\n")
    os.write(1, b"after\n")
    out, err = capfd.readouterr()
    assert "[Gloo]" in err and "[Gloo]" not in out and out == "after\n"


# --- memory ---------------------------------------------------------------------------------------


def test_memory_figures(snapshot_json):
    figures = survival.memory()
    assert figures == snapshot_json


@pytest.mark.parametrize("tied", survival.MODELS, ids=lambda t: t.name)
def test_sharing_saves_memory(tied):
    """ "Sharing saves memory": fewer parameter bytes once per object, a smaller saved state_dict."""
    figure = next(f for f in survival.memory() if f["model"] == tied.name)
    t, u = figure["tied"], figure["untied"]
    shared_bytes = tied.tensor(tied.model(), tied.names[0]).numel() * 4
    assert u["parameter_bytes_unique"] - t["parameter_bytes_unique"] >= shared_bytes
    assert u["state_dict_storage_bytes"] - t["state_dict_storage_bytes"] >= shared_bytes


# --- the command ----------------------------------------------------------------------------------


@contextlib.contextmanager
def standard_output_into(path: Path) -> Iterator[None]:
    """Both ways to standard output, Python's `sys.stdout` and file descriptor 1 (where C++ writes),
    into one file for the body."""
    with (
        path.open("w", encoding="utf-8") as sink,
        survival.file_descriptor_1_to(sink.fileno()),
        contextlib.redirect_stdout(sink),
    ):
        yield


@pytest.fixture(scope="module")
def printed_table(tmp_path_factory):
    """`python -m reference survival --json`, run in this interpreter through the command's `main`
    (a fresh interpreter would import torch and compile every model again: 7 s), its standard
    output caught at the file descriptor and parsed as it is: anything else written there (gloo's
    C++ lines, a print) makes it fail to parse.
    """
    printed = tmp_path_factory.mktemp("survival") / "stdout"
    with standard_output_into(printed):
        status = main(["survival", "--json", "--quick"])
    assert status == 0
    return json.loads(printed.read_text(encoding="utf-8"))


ROW_SHAPE = {
    "operation": str,
    "model": str,
    "outcome": str,
    "tied_after": (bool, type(None)),
    "storage_shared": (bool, type(None)),
    "same_values": (bool, type(None)),
    "promised_values": (bool, type(None)),
    "updates": (list, type(None)),
    "error": (str, type(None)),
}


def test_json_has_the_documented_shape(printed_table):
    assert list(printed_table) == [
        "torch",
        "release",
        "environment",
        "ties",
        "legend",
        "models",
        "errors",
        "notes",
        "rows",
    ]
    assert printed_table["torch"] == torch.__version__
    assert set(printed_table["environment"]) == {
        "date",
        "torch",
        "cuda_build",
        "python",
        "platform",
        "cpu",
    }
    visiting = {op.name for op in survival.OPERATIONS if VISITS in op.note}
    exports = {
        op.name
        for op in survival.OPERATIONS
        if op.run.__name__ in ("exported_strict", "exported_non_strict")
    }
    for row in printed_table["rows"]:
        # A module-visiting operation's row (not its step's) also says how often it reached the tie;
        # an export's, the names its graph signature keeps; a pipeline row whose outcome depends
        # on a set's order, what each order gave.
        facts = ["visits"] if row["operation"] in visiting and row["error"] is None else []
        facts += ["signature"] if row["operation"] in exports else []
        set_order = (row["error"] or "").startswith("SplitDependsOnSetOrder")
        facts += ["set_orders"] if set_order and not row["operation"].endswith(STEP) else []
        assert list(row) == [*ROW_SHAPE, *facts], row
        assert all(isinstance(row[k], str) for k in facts), row
        assert all(isinstance(row[k], t) for k, t in ROW_SHAPE.items()), row
        # An error, or a package the operation needs missing, leaves nothing to look at; else
        # both are answered.
        missing = row["outcome"].startswith("not installed: pip install ")
        assert (row["error"] is None and not missing) == (row["tied_after"] is not None), row
        assert not (missing and row["error"] is not None), row
        assert (row["outcome"] == "raises") == (row["error"] is not None), row
        assert (row["updates"] is not None) == (
            row["operation"].endswith(STEP) and row["error"] is None and not missing
        ), row
        if row["tied_after"] and not row["operation"].endswith(STEP):
            assert row["storage_shared"] and row["same_values"], row  # one object is itself


def test_json_has_one_row_per_operation_model_and_step(printed_table):
    pairs = [(r["operation"], r["model"]) for r in printed_table["rows"]]
    expected = [
        (op.name + suffix, tied.name)
        for op in FAST
        for suffix in ("", STEP)[: 2 if op.trains else 1]
        for tied in survival.MODELS
    ]
    assert pairs == expected


def committed_tables() -> list[dict]:
    """Every release's saved table, oldest first."""
    return survival_render.load_tables([COMMITTED])


def test_every_surprising_row_of_every_release_is_explained(printed_table):
    """A split, a double step, an error or wrong values: on every release measured (and on this
    one), each row has a reason that covers its release and its kind of tie."""
    unexplained = [
        (survival_render.release_name(t), r["operation"], r["model"], r["outcome"], r["error"])
        for t in [*committed_tables(), printed_table]
        for r, whys in survival_render.row_whys(t)
        if survival_render.surprising(r) and not survival_render.explaining(whys)
    ]
    assert not unexplained, "give these a reason in survival_cases.py"
    # An error is known by its phrase, or, on a release before a change, named by its Earlier entry.
    known = {k.text for k in KNOWN_ERRORS} | {e.error for op in OPERATIONS for e in op.earlier}
    assert {r["error"] for r in printed_table["rows"] if r["error"]} <= known


def test_every_committed_table_is_what_the_code_says_of_its_rows():
    """docs/survival/X.json's legend, models, errors and notes are what this code renders from
    X's own measurements (`tools/survival_releases.py --render` rewrites them): no drift."""
    for path in sorted(COMMITTED.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        table = json.loads(text)
        assert (
            text
            == json.dumps(survival_render.with_described(table), indent=2, ensure_ascii=False)
            + "\n"
        ), (
            f"{path.relative_to(ROOT)} differs from what the code says of its rows: run "
            "`python tools/survival_releases.py --render`"
        )


def windowed_whys():
    return [w for op in OPERATIONS for w in op.whys if w.releases.since or w.releases.until] + [
        w for w in ERROR_WHYS if w.releases.since or w.releases.until
    ]


def test_every_reason_limited_to_releases_covers_exactly_the_releases_it_matched():
    """A reason that names its releases ("on torch 2.7–2.11", "from torch 2.12") matched rows on
    every measured release it covers, and (by its test) on no other: a window one release too wide
    or too narrow fails here, against the measurements."""
    tables = committed_tables()
    releases = [survival_render.release_of(t) for t in tables]
    matched: dict[int, set] = {}
    for table in tables:
        for _, whys in survival_render.row_whys(table):
            for why in whys:
                matched.setdefault(id(why), set()).add(survival_render.release_of(table))
    for why in windowed_whys():
        covered = {r for r in releases if why.releases.covers(r)}
        assert matched.get(id(why), set()) == covered, (why.releases.words(), why.reason.says)


def test_every_row_of_every_release_reads_as_the_newest_or_as_its_earlier_entry():
    """Every operation on every model is measured on every release kept, and reads there what the
    newest release reads, or, before a change, what its Earlier entry says (outcome, error and
    facts): an entry's `until` is where the measurements change, and a row that reads otherwise
    on some release without an entry fails here."""
    tables = committed_tables()
    newest = {(r["operation"], r["model"]): r for r in tables[-1]["rows"]}
    for table in tables:
        release = survival_render.release_of(table)
        rows = {(r["operation"], r["model"]): r for r in table["rows"]}
        for op in OPERATIONS:
            for model in (m.name for m in survival.MODELS):
                key = (op.name, model)
                assert key in rows, (table["torch"], "not measured", key)
                earlier = op.earlier_on(release, model)
                assert read(rows[key]) == (earlier.read() if earlier else read(newest[key])), (table["torch"], key)  # fmt: skip


def ranges_of(text: str, releases: list[str]) -> list[str]:
    """'2.5.1–2.7.1, 2.9.1' back into the releases it names; a backwards range fails."""
    found = []
    for part in text.split(", "):
        first, _, last = part.partition("–")
        a, b = releases.index(first), releases.index(last or first)
        assert a <= b, f"backwards range {part!r}"
        found += releases[a : b + 1]
    return found


def test_the_matrix_names_for_each_reason_the_releases_whose_rows_it_explains():
    """Every line of the matrix's Why, read back: the models and release ranges it names are
    exactly those whose rows the reason matches, release by release (every row of every release
    walked), and no range runs backwards."""
    tables = committed_tables()
    releases = [survival_render.release_name(t) for t in tables]
    expected: dict[tuple[str, str], dict[str, list[str]]] = {}
    for table in tables:
        ties, release = survival_render.ties_of(table), survival_render.release_of(table)
        for row in table["rows"]:
            for why in whys_for(row, ties[row["model"]], release):
                said = survival_render.kind_and_releases(why) + ": " + why.reason.line()
                key = (row["operation"].removesuffix(STEP), said)
                on = expected.setdefault(key, {}).setdefault(row["model"], [])
                on += [] if survival_render.release_name(table) in on else [survival_render.release_name(table)]  # fmt: skip
    found: dict[tuple[str, str], dict[str, list[str]]] = {}
    for op, line in survival_render.why_lines(tables):
        said = next((k[1] for k in expected if k[0] == op and line.endswith(k[1])), None)
        if said is None:  # the operation's own note, or what it needs: no range to name
            op_of = survival.operation(op)
            assert line == op_of.note or line in [f"needs {r.pip}: {r.why}" for r in op_of.needs]
            continue
        where = line[: -len(said)]
        for group in where.split("; "):
            models, _, ranges = group.partition(" on ")
            for model in models.split(", "):
                found.setdefault((op, said), {})[model] = ranges_of(ranges, releases)
    assert found == expected


def test_a_backwards_range_is_caught():
    releases = ["2.5.1", "2.6.0", "2.7.1"]
    assert ranges_of("2.5.1–2.6.0, 2.7.1", releases) == releases
    with pytest.raises(AssertionError, match="backwards"):
        ranges_of("2.7.1–2.6.0", releases)


def test_the_committed_matrix_is_what_the_saved_tables_render():
    """docs/survival-matrix.md equals what `REGENERATE` writes now from docs/survival."""
    committed = (ROOT / "docs" / "survival-matrix.md").read_text(encoding="utf-8")
    assert committed == survival_render.render_markdown(committed_tables(), "survival-matrix.png")


def png_description(path: Path) -> dict:
    """The heat map's data, from the png's Description text chunk."""
    from PIL import Image

    with Image.open(path) as image:
        return json.loads(image.text["Description"])


def test_the_committed_heat_map_draws_what_the_saved_tables_say():
    """The png is compared by its data (the rows and classes it draws, carried in the file), so
    another matplotlib's pixels do not matter; its classes are those of the rows' reasons."""
    tables = committed_tables()
    data = png_description(ROOT / "docs" / "survival-matrix.png")
    assert data["releases"] == [survival_render.release_name(t) for t in tables]
    assert data["rows"] == [[label, classes] for label, classes in survival_render.heat_rows(tables, False)]  # fmt: skip
    models, grid = survival_render.heat_grid(tables, False)
    assert [data["models"], data["grid"]] == json.loads(json.dumps([models, grid]))
    assert data["classes"] == [name for name, _ in survival_render.HEAT_CLASSES]


@pytest.mark.parametrize("every_row", [False, True])
def test_the_heat_maps_grid_holds_every_row_it_shows_and_only_those_operations(every_row):
    """A row per operation, a stripe per model: each row `heat_rows` shows is in its operation's
    row, at its model and half, with its classes; what the grid holds besides reads tied (or not
    measured) on every release; and no operation is there without a row `heat_rows` shows."""
    r = survival_render
    tables = committed_tables()
    models, grid = r.heat_grid(tables, every_row)
    shown = dict(r.heat_rows(tables, every_row))
    drawn = {}
    for name, stripes in grid:
        for model, (classes, step) in zip(models, stripes, strict=True):
            drawn[f"{name} · {model}"] = classes
            if step is not None:
                drawn[f"{name}{STEP} · {model}"] = step
    assert {label: drawn.get(label) for label in shown} == shown
    assert all(set(drawn[label]) <= {r.TIED, r.ABSENT} for label in drawn.keys() - shown.keys())
    operations = {label.split(" · ")[0].removesuffix(STEP) for label in shown}
    assert [name for name, _ in grid] == [n for n in dict.fromkeys(
        op.removesuffix(STEP) for op, _, _ in r.matrix_rows(tables)) if n in operations]  # fmt: skip


def test_the_heat_map_fits_a_page_with_releases_and_legend_above_and_below(tmp_path):
    """At most 1,800 px tall as committed (the rows that change or surprise: a row per operation);
    the releases and the whole legend both above the rows and below them; every label inside the
    picture."""
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    with Image.open(ROOT / "docs" / "survival-matrix.png") as image:
        assert image.size[1] <= 1800, image.size
    figure = survival_render.heatmap_figure(committed_tables())
    assert figure.get_size_inches()[1] * survival_render.HEAT_DPI <= 1800
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    (axes,) = figure.axes
    rows = axes.get_window_extent(renderer)
    classes = [name for name, _ in survival_render.HEAT_CLASSES]
    above = [g for g in figure.legends if g.get_window_extent(renderer).y0 >= rows.y1]
    below = [g for g in figure.legends if g.get_window_extent(renderer).y1 <= rows.y0]
    for legends in (above, below):
        assert [[t.get_text() for t in g.get_texts()] for g in legends] == [classes]
    releases = [survival_render.release_name(t) for t in committed_tables()]
    ticks = axes.xaxis.get_major_ticks()
    for label in ("label1", "label2"):  # below the rows, above them
        shown = [getattr(t, label) for t in ticks if getattr(t, label).get_visible()]
        assert [text.get_text() for text in shown] == releases
        assert all(
            (text.get_window_extent(renderer).y0 >= rows.y1)
            if label == "label2"
            else (text.get_window_extent(renderer).y1 <= rows.y0)
            for text in shown
        )
    picture = figure.bbox
    texts = [*axes.get_yticklabels(), *axes.get_xticklabels(), *figure.texts]
    texts += [t for g in figure.legends for t in g.get_texts()]
    for text in texts:
        box = text.get_window_extent(renderer)
        assert picture.x0 <= box.x0 and box.x1 <= picture.x1, text.get_text()
        assert picture.y0 <= box.y0 and box.y1 <= picture.y1, text.get_text()


def committed_column() -> Path:
    return COMMITTED / f"{torch.__version__.split('+')[0]}.json"


def test_the_committed_column_of_this_release_is_what_the_table_measures(printed_table):
    path = committed_column()
    if not path.exists():
        have = sorted(p.stem for p in COMMITTED.glob("*.json"))
        pytest.skip(f"no committed column for torch {torch.__version__} (docs/survival has {have})")
    committed = json.loads(path.read_text(encoding="utf-8"))
    assert committed["torch"].split("+")[0] == path.stem
    # The column holds every row; the table printed here leaves out the slow ones (checked by
    # tests/test_survival_slow.py) and cannot measure a row whose package is absent here.
    slow = {op.name for op in survival.OPERATIONS if op.slow}
    fast = [r for r in committed["rows"] if r["operation"].removesuffix(STEP) not in slow]
    assert [(r["operation"], r["model"]) for r in fast] == [
        (r["operation"], r["model"]) for r in printed_table["rows"]
    ]
    measured = [
        (kept, now)
        for kept, now in zip(fast, printed_table["rows"], strict=True)
        if not now["outcome"].startswith("not installed")
    ]
    assert [kept for kept, _ in measured] == [now for _, now in measured], (
        f"{path.relative_to(ROOT)} no longer matches the table on torch {torch.__version__}: "
        "measure it again with `python tools/survival_releases.py X` and regenerate the matrix"
    )


def test_the_text_form_groups_by_operation_and_explains_surprises(printed_table):
    text = survival_render.render(printed_table)
    for tied in survival.MODELS:
        assert tied.name in text
    # A long name wraps in the operations' column (its words go on, at the line's start; a word
    # wider than the column breaks after a '(' or '='); its step row follows it, '+ SGD step'.
    starts = "".join(line.split("  ")[0] for line in text.splitlines() if not line.startswith(" "))
    starts = "".join(starts.split())
    for op in FAST:
        assert "".join(op.name.split()) + ("+SGDstep" if op.trains else "") in starts, op.name
    assert "*split, shared" in text and "Why (surprising cells" in text
    assert "pytorch/pytorch#188346" in text


def test_filters_choose_models_and_operations(capsys):
    assert (
        main(["survival", "--model", "tied_sequential", "--operation", "DEEPCOPY", "--json"]) == 0
    )
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["operation"], r["model"]) for r in rows] == [
        ("copy.deepcopy", "tied_sequential"),
        ("copy.deepcopy + SGD step", "tied_sequential"),
        ("copy.deepcopy → .to(torch.float64)", "tied_sequential"),
        ("copy.deepcopy → .to(torch.float64) + SGD step", "tied_sequential"),
    ]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--model", "tied_embedding"], "'tied_embeddings'"),
        (["--operation", "deep_copy"], "'copy.deepcopy'"),
        (["--matrix", "no/such/folder"], "no such file or folder"),
        (["--heatmap", "x.png"], "give --matrix PATH too"),
        (["--all-rows"], "give --matrix PATH too"),
    ],
)
def test_a_bad_filter_exits_2_naming_the_close_choices(argv, named, capsys):
    assert main(["survival", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ": error: " in err and named in err and "Traceback" not in err


def test_the_matrix_collapses_rows_that_agree_and_lists_runs_where_they_differ(printed_table):
    older = json.loads(json.dumps(printed_table))
    older["torch"] = "2.4.0"
    changed = next(r for r in older["rows"] if r["operation"] == "copy.deepcopy")
    changed.update(outcome="split", tied_after=False, storage_shared=False)
    lines = survival_render.render_matrix([printed_table, older]).splitlines()
    release = torch.__version__.split("+")[0]

    def outcome(operation, model):
        at = lines.index(operation)
        line = next(line for line in lines[at:] if line.startswith(f"  {model} "))
        return " ".join(line.split()[1:])

    assert outcome("copy.deepcopy", "tied_embeddings") == f"2.4.0: *split; {release}: tied"
    assert outcome("parameters()", "tied_sequential") == "tied"  # one cell for every release


@pytest.mark.parametrize("columns", [80, 100])
def test_the_text_table_fits_the_terminal(printed_table, monkeypatch, columns):
    """Models go in blocks of as many columns as fit, several a block, spread evenly; notes wrap
    under their own indent."""
    monkeypatch.setenv("COLUMNS", str(columns))
    text = survival_render.render(printed_table)
    assert [line for line in text.splitlines() if display_width(line) > columns] == []
    for tied in survival.MODELS:
        assert tied.name in text
    blocks = [tuple(map(int, b)) for b in re.findall(r"^models (\d+)-(\d+) of \d+:$", text, re.M)]
    sizes = [last - first + 1 for first, last in blocks]
    assert sum(sizes) == len(survival.MODELS) and min(sizes) >= 2, sizes
    assert max(sizes) - min(sizes) <= 1 and max(sizes) >= 3, sizes


def entries_under(text: str, heading: str) -> list[str]:
    """The entries of a section of the text table ('  key: words', continued under a deeper
    indent), each unwrapped to one line."""
    lines = text.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith(heading))
    entries: list[str] = []
    for line in lines[at + 1 :]:
        if not line.strip():
            break
        if line.startswith("   "):
            entries[-1] += " " + line.strip()
        else:
            entries.append(line.strip())
    return entries


def cited(text: str) -> tuple[dict[str, str], list[str]]:
    """The reasons the Why and Notes sections print in full, by number; and their entries with
    every '[n]' read as the reason it cites."""
    entries = entries_under(text, "Why (") + entries_under(text, "Notes:")
    printed: dict[str, str] = {}
    for entry in entries:
        found = re.search(r": \[(\d+)\] (.+)$", entry)
        if found:
            assert found[1] not in printed, f"[{found[1]}] printed twice"
            printed[found[1]] = found[2]
    expanded = [
        re.sub(r": \[(\d+)\]( .+)?$", lambda m: ": " + printed[m[1]], entry) for entry in entries
    ]
    return printed, expanded


@pytest.mark.parametrize("columns", [80, 100])
def test_the_text_table_prints_each_reason_once_and_loses_no_note(printed_table, monkeypatch, columns):  # fmt: skip
    """Each reason (its references and what it says) is printed in full once, numbered, and cited
    by its number after that; read back through the numbers, the notes are the table's own (its
    JSON's `notes`), and the Why section names each surprising row's reasons, computed here."""
    monkeypatch.setenv("COLUMNS", str(columns))
    text = survival_render.render(printed_table)
    flat = " ".join(text.split())
    printed, expanded = cited(text)
    shown = {
        why.reason.line() for _, whys in survival_render.row_whys(printed_table) for why in whys
    }
    assert sorted(printed.values()) == sorted(shown)
    assert all(flat.count(" ".join(line.split())) == 1 for line in shown)
    notes = [f"{op}: {line}" for op, lines in printed_table["notes"].items() for line in lines]
    assert expanded[len(expanded) - len(notes) :] == [" ".join(n.split()) for n in notes]
    why = set()
    for row, whys in survival_render.row_whys(printed_table):
        if survival_render.surprising(row):
            op = row["operation"].removesuffix(STEP)
            lines = [w.reason.line() for w in survival_render.explaining(whys)]
            why |= {f"{op}: {line}" for line in lines or [f"{row['model']}: no reason found: unexplained"]}  # fmt: skip
    assert set(expanded[: len(expanded) - len(notes)]) == {" ".join(w.split()) for w in why}


def test_the_text_table_prints_each_error_once_under_the_key_its_cells_give(printed_table):
    text = survival_render.render(printed_table)
    errors = {r["error"] for r in printed_table["rows"] if r.get("error")}
    keyed = dict(re.match(r"\[(E\d+)\] (.+)$", e).groups() for e in entries_under(text, "Errors:"))  # fmt: skip
    assert sorted(keyed.values()) == sorted(errors)
    table = text[: text.index("\nErrors:")]
    for key, error in keyed.items():
        assert " ".join(text.split()).count(error) == 1, error
        assert f"{error.split(':')[0]} [{key}]" in " ".join(table.split()), key


def test_the_matrix_command_writes_markdown_and_reads_folders(printed_table, tmp_path, capsys):
    folder = tmp_path / "survival"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(printed_table), encoding="utf-8")
    document = tmp_path / "matrix.md"
    assert main(["survival", "--matrix", str(folder), "--markdown", str(document)]) == 0
    text = document.read_text(encoding="utf-8")
    assert text.startswith("# Tie survival across PyTorch releases") and "## Measured" in text
    (folder / "bad.json").write_text("{", encoding="utf-8")
    assert main(["survival", "--matrix", str(folder)]) == 2
    assert "not a `survival --json` result" in capsys.readouterr().err


def test_a_process_group_of_one_leaves_the_excepthook_as_it_found_it():
    """torch.distributed prefixes "[rank0]: " to tracebacks through sys.excepthook; the table's
    process groups must not leave that behind (it piled up once per group)."""
    before = sys.excepthook
    for _ in range(2):
        with survival.process_group_of_one():
            pass
    assert sys.excepthook is before


def test_the_matrix_applies_its_filters(capsys):
    assert main(["survival", "--matrix", "docs/survival", "--model", "registered_lm_head"]) == 0
    out = capsys.readouterr().out
    assert "registered_lm_head" in out
    assert not [m.name for m in survival.MODELS if m.name != "registered_lm_head" and m.name in out]
    assert main(["survival", "--matrix", "docs/survival", "--operation", "deepcopy"]) == 0
    out = capsys.readouterr().out
    operations = [op.name for op in survival.OPERATIONS]
    shown = [line for line in out.splitlines() if line.removesuffix(STEP) in operations]
    assert shown == [
        "copy.deepcopy",
        "copy.deepcopy + SGD step",
        "copy.deepcopy → .to(torch.float64)",
        "copy.deepcopy → .to(torch.float64) + SGD step",
    ]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--model", "tied_embedding"], "no tied model 'tied_embedding'"),
        (["--json"], "--json prints one release's table"),
        (["--markdown", ""], "--markdown needs a file name"),
        (["--heatmap", "  "], "--heatmap needs a file name"),
        (["--heatmap", "h.jpg"], "cannot tell the plot format from 'h.jpg'"),
    ],
)
def test_a_matrix_mistake_exits_2_and_writes_nothing(argv, named, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["survival", "--matrix", str(ROOT / "docs" / "survival"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err
    assert list(tmp_path.iterdir()) == []


def test_the_matrix_says_where_it_wrote_and_how_to_write_it_again(capsys, tmp_path):
    document = tmp_path / "matrix.md"
    argv = ["survival", "--matrix", "docs/survival", "--markdown", str(document)]
    assert main(argv) == 0
    assert capsys.readouterr().err == f"Markdown written to {document}\n"
    command = f"`python -m reference survival --matrix docs/survival --markdown {document}`"
    assert command in document.read_text(encoding="utf-8")


def classes_of(*outcomes, operation="state_dict()", model="tied_sequential", first=5):
    """One heat-map row's classes, one per release (2.`first`, then on), from outcomes given as
    row fields; the model's kind of tie is the built-in model's."""
    tables = [
        {
            "torch": f"2.{minor}.0",
            "release": [2, minor],
            "rows": [{"operation": operation, "model": model, **fields}],
        }
        for minor, fields in enumerate(outcomes, start=first)
    ]
    return survival_render.heat_rows(tables, every_row=True)[0][1]


def test_each_outcome_has_its_own_class_on_the_heat_map():
    r = survival_render
    tied = {"outcome": "tied", "error": None}
    assert classes_of(tied) == [r.TIED]
    # state_dict() splits ties by design (documented); load_state_dict(assign=True) by a bug.
    assert classes_of({"outcome": "split, shared", "error": None}) == [r.BY_DESIGN]
    bug = {"outcome": "split, shared", "error": None}
    assert classes_of(bug, operation="load_state_dict(assign=True)", model="registered_lm_head") == [r.BY_BUG]  # fmt: skip
    assert classes_of({"outcome": "twice", "error": None}) == [r.DOUBLE_STEP]
    assert classes_of({**tied, "visits": "twice"}) == [r.DOUBLE_STEP]
    assert classes_of({**tied, "visits": "once"}) == [r.TIED]
    assert classes_of({"outcome": "tied", "error": None, "promised_values": False}) == [r.OTHER_VALUES]  # fmt: skip
    unsupported = {"outcome": "raises", "error": "RuntimeError: FSDP requires CUDA for streams"}
    assert classes_of(unsupported) == [r.UNSUPPORTED]
    error = {"outcome": "raises", "error": "UnpicklingError: Weights only load failed"}
    assert classes_of(error, first=6) == [r.ERROR]
    assert classes_of({"outcome": "not installed: pip install numpy", "error": None}) == [r.ABSENT]
    # A split no reason explains is no PyTorch bug: it says so.
    assert classes_of({"outcome": "split", "error": None}, model="tied_embeddings") == [r.UNEXPLAINED]  # fmt: skip


def test_a_cells_class_comes_from_its_reason_on_its_release():
    """The colour is the reason's, release by release: sharding the two holders apart splits the
    tie by a PyTorch bug (pytorch/pytorch#176076) on 2.7-2.11; the same split elsewhere has no
    reason; to_empty's split cites no PyTorch bug report."""
    r = survival_render
    split = {"outcome": "split", "error": None}
    holders = {"operation": "fully_shard(each holder), then root", "model": "registered_lm_head"}
    assert classes_of(split, split, **holders, first=7) == [r.BY_BUG, r.BY_BUG]
    assert classes_of(split, **holders, first=12) == [r.UNEXPLAINED]
    assert classes_of(split, operation="to_empty from meta", model="registered_lm_head") == [r.BY_DESIGN]  # fmt: skip
    # An error is unsupported only where its reason says so, on the releases it covers.
    cuda = {"outcome": "raises", "error": "RuntimeError: FSDP requires CUDA for streams"}
    assert classes_of(cuda, cuda, first=5) == [r.UNSUPPORTED, r.ERROR]


def test_the_heat_map_shows_only_rows_that_change_or_surprise_unless_asked(printed_table):
    older = json.loads(json.dumps(printed_table))
    older["torch"] = "2.4.0"
    next(r for r in older["rows"] if r["operation"] == "copy.deepcopy").update(outcome="split")
    labels = [label for label, _ in survival_render.heat_rows([older, printed_table], False)]
    assert "copy.deepcopy · tied_embeddings" in labels  # changes across releases
    assert "state_dict() · tied_sequential" in labels  # surprises on every release
    assert "parameters() · tied_sequential" not in labels  # tied everywhere
    every = survival_render.heat_rows([older, printed_table], every_row=True)
    assert len(every) == len(printed_table["rows"])


def test_the_heat_map_is_written_in_the_format_its_name_gives(tmp_path):
    """As `trace --plot` (whose test covers png and pdf): here svg, the cheapest to draw."""
    docs = ROOT / "docs" / "survival"
    tables = [json.loads((docs / f"{r}.json").read_text(encoding="utf-8")) for r in ("2.14.1", "2.15.0")]  # fmt: skip
    one_model = [
        {**t, "rows": [r for r in t["rows"] if r["model"] == "tied_sequential"]} for t in tables
    ]
    survival_render.plot_heatmap(one_model, str(tmp_path / "h.svg"))
    assert (tmp_path / "h.svg").read_bytes().startswith(b"<?xml")


def test_a_reason_names_the_releases_it_covers():
    """FSDP2 raised one error on 2.5 and another on 2.6: "before 2.6" and "before 2.7" overlapped."""
    from reference.releases import SUPPORTED_FLOOR, releases_before

    assert releases_before((2, 6)) == "torch 2.5"
    assert releases_before((2, 12), after=(2, 7)) == "torch 2.7–2.11"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"torch>={SUPPORTED_FLOOR[0]}.{SUPPORTED_FLOOR[1]}"' in pyproject
    windows = [w.releases.words() for w in ERROR_WHYS if "FSDP2 needed CUDA" in w.reason.says]
    assert windows == ["on torch 2.5", "on torch 2.6"]
    Releases = survival_cases.Releases
    assert Releases(since=(2, 12)).words() == "from torch 2.12"
    assert Releases().words() == ""
    assert [Releases((2, 7), (2, 12)).covers((2, m)) for m in (6, 7, 11, 12)] == [False, True, True, False]  # fmt: skip


class DropoutAfter(torch.nn.Module):
    """A tied model whose output goes through dropout, as a language model's does in train mode."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.nn.functional.dropout(self.inner(x), p=0.5, training=True)


def test_the_compile_row_does_not_take_dropout_for_a_broken_tie():
    base = survival.tied_model("tied_embeddings")
    tied = dataclasses.replace(
        base,
        names=tuple(f"inner.{n}" for n in base.names),
        holders=tuple(f"inner.{h}" for h in base.holders),
        rebuild=DropoutAfter,
    )
    assert survival_operations.compiled(tied).ends[0] is not None  # no CompiledGradientDiffers


class HeadTiedByRegistration(torch.nn.Module):
    """A user's own language-model head, defined here: `--model test_survival:...` finds it."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(7, 4)
        self.head = torch.nn.Linear(4, 7, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, x):
        return self.head(self.embed(x))


class HeadTiedInForward(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(7, 4)

    def forward(self, x):
        return torch.nn.functional.linear(self.embed(x), self.embed.weight)


class RootParameterReadTwice(torch.nn.Module):
    """A tie the root holds itself: its own Parameter, read twice in forward."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(4, 4))

    def forward(self, x):
        return x @ self.weight @ self.weight.t()


def root_parameter_read_twice():
    return RootParameterReadTwice(), torch.ones(2, 4)


class SubmoduleAppliedTwice(torch.nn.Module):
    """A tie made in forward by calling one submodule twice."""

    def __init__(self):
        super().__init__()
        self.block = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.block(torch.tanh(self.block(x)))


def untied_model():
    return torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))


def own_model_table(factory: str, names: list[str]) -> dict:
    from reference.own_model import own_tied_model

    own = own_tied_model(f"{__name__}:{factory}")
    return survival.table(tuple(survival.operation(n) for n in names), (own,))


# The operations where a tie by registration surprises, the compiles left out (they cost seconds).
REGISTRATION_SURPRISES = [
    "state_dict()",
    "named_parameters(remove_duplicate=False)",
    "load_state_dict(assign=True)",
    ".to(float64), overwrite flag",
    "to_empty from meta",
    "torch.save/load state_dict",
    "torch.save/load module",
    "safetensors save_file/load_file",
    "functional_call(tie_weights=False)",
    "apply(nn.init.normal_)",
    "modules()",
    "named_modules(remove_duplicate=False)",
    "children()",
    "fully_shard(each holder), then root",
    "meta → fully_shard(each holder) → to_empty",
    "torch.export.export → _export_forward_backward",
    "quantize_dynamic(nn.Linear, qint8)",
    "load(assign=True) → load_state_dict()",
    "to_empty from meta → load_state_dict()",
]


def said_of(table: dict) -> list[tuple[str, str, str | None, list[str]]]:
    """Each row's operation, outcome, error and the reasons given for it."""
    return [
        (r["operation"], r["outcome"], r["error"], [w.reason.line() for w in whys])
        for r, whys in survival_render.row_whys(table)
    ]


def test_a_users_head_tied_by_registration_is_explained_as_the_built_in_one():
    """`lm_head.weight = embed.weight` in a model of the user's: the kind of tie the table knows
    (two names, two holders), so every row reads and is explained as registered_lm_head's."""
    table = own_model_table("HeadTiedByRegistration", REGISTRATION_SURPRISES)
    spec = f"{__name__}:HeadTiedByRegistration"
    assert table["ties"][spec]["tie"] == survival.tied_model("registered_lm_head").tie().as_json()
    built_in = survival.table(
        tuple(survival.operation(n) for n in REGISTRATION_SURPRISES),
        (survival.tied_model("registered_lm_head"),),
    )
    assert said_of(table) == said_of(built_in)
    assert [
        r for r in table["rows"] if survival_render.surprising(r)
    ]  # there is something to explain
    assert "no reason found" not in survival_render.render(table)


HOLDER_AND_VISIT_ROWS = [
    "apply(nn.init.normal_)",
    "modules()",
    "children()",
    # FSDP2 runs on the CPU from 2.7 (before, its rows raise: test_earlier_row checks them).
    *(
        [
            "fully_shard(each holder), then root",
            "fully_shard([both holders]), then root",
            "meta → fully_shard(each holder) → to_empty",
        ]
        if RELEASE >= (2, 7)
        else []
    ),
]


def test_a_tie_the_root_holds_raises_no_false_alarm():
    """The root's own Parameter, read twice: the holder rows shard the root once (no holder below
    it), and children(), which never yields the root, says why it reaches the tie 0 times."""
    table = own_model_table("root_parameter_read_twice", HOLDER_AND_VISIT_ROWS)
    spec = f"{__name__}:root_parameter_read_twice"
    assert table["ties"][spec]["tie"]["held_by_root"]
    outcomes = {r["operation"]: (r["outcome"], r.get("visits")) for r in table["rows"]}
    assert outcomes == {
        "apply(nn.init.normal_)": ("tied", "once"),
        "apply(nn.init.normal_) + SGD step": ("once", None),
        "modules()": ("tied", "once"),
        "children()": ("tied", "0 times"),
        **{name: ("tied", None) for name in HOLDER_AND_VISIT_ROWS[3:]},
        **{name + STEP: ("once", None) for name in HOLDER_AND_VISIT_ROWS[3:]},
    }
    surprises = [(r, whys) for r, whys in survival_render.row_whys(table) if survival_render.surprising(r)]  # fmt: skip
    assert [r["operation"] for r, _ in surprises] == ["children()"]
    assert "never the root" in survival_render.explaining(surprises[0][1])[0].reason.says
    for name in HOLDER_AND_VISIT_ROWS[3:]:  # the FSDP2 rows, where FSDP2 runs on the CPU
        assert any("the root holds the tie itself" in line for line in table["notes"][name]), name


def test_a_submodule_applied_twice_comes_out_clean():
    """A tie made in forward by calling one submodule twice: one holder below the root, sharded in
    a group of its own, which runs its forward twice; nothing surprises."""
    table = own_model_table("SubmoduleAppliedTwice", HOLDER_AND_VISIT_ROWS)
    spec = f"{__name__}:SubmoduleAppliedTwice"
    assert table["ties"][spec]["tie"] == {
        "names": 1,
        "holders": 1,
        "module_twice": False,
        "held_by_root": False,
        "parametrized": False,
    }
    assert not [r for r in table["rows"] if survival_render.surprising(r)]


def test_the_notes_speak_only_of_the_operations_and_models_shown(capsys):
    """`--operation state_dict --json` carries the notes of the operations it shows, and a model's
    notes name only the models shown."""
    assert main(["survival", "--operation", "state_dict", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    shown = {r["operation"].removesuffix(STEP) for r in table["rows"]}
    assert table["notes"] and set(table["notes"]) <= shown and len(shown) < len(OPERATIONS)
    assert main(["survival", "--model", "tied_embeddings", "--operation", "state_dict", "--json"]) == 0  # fmt: skip
    table = json.loads(capsys.readouterr().out)
    others = [m.name for m in survival.MODELS if m.name != "tied_embeddings"]
    said = json.dumps([table["notes"], table["models"], table["errors"]])
    assert not [m for m in others if m in said]


def failing_factory():
    raise RuntimeError("no weights here")


@pytest.mark.parametrize(
    ("factory", "how"),
    [
        ("HeadTiedByRegistration", "registration: head.weight = embed.weight"),
        ("HeadTiedInForward", "in forward: embed.weight read 2 times"),
    ],
)
def test_the_table_runs_on_a_users_own_model(factory, how, capsys):
    spec = f"{__name__}:{factory}"
    assert main(["survival", "--model", spec, "--operation", "copy.deepcopy", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["models"][spec].startswith(how)
    assert [(r["operation"], r["model"], r["outcome"]) for r in table["rows"]] == [
        ("copy.deepcopy", spec, "tied"),
        ("copy.deepcopy + SGD step", spec, "once"),
        ("copy.deepcopy → .to(torch.float64)", spec, "tied"),
        ("copy.deepcopy → .to(torch.float64) + SGD step", spec, "once"),
    ]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        (f"{__name__}:untied_model", "no tie found"),
        (f"{__name__}:failing_factory", "the factory failed: RuntimeError: no weights here"),
        (f"{__name__}:no_such_factory", f"{__name__} has no 'no_such_factory'"),
        ("no_such_package.models:build", "cannot import 'no_such_package.models'"),
        ("builtins:", "expected package.module:factory"),
    ],
)
def test_a_bad_own_model_exits_2_with_one_line(spec, named, capsys):
    assert main(["survival", "--model", spec]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "Traceback" not in err


def test_visits_are_counted_per_module_reached_that_holds_the_tie():
    """The count comes from what the operation reached: a holder listed twice counts twice, a module
    that does not hold the tie (or holds only a copy of its values) not at all."""
    tied = survival.tied_model("tied_sequential")
    model = tied.model()
    shared, first = model[2], model[0]
    copy_of_values = torch.nn.Linear(8, 8)
    with torch.no_grad():
        copy_of_values.weight.copy_(shared.weight)
    assert survival_operations.tie_visits(tied, model, [shared]) == 1
    assert survival_operations.tie_visits(tied, model, [shared, first, shared]) == 2
    assert survival_operations.tie_visits(tied, model, [first, copy_of_values]) == 0


@pytest.mark.parametrize(
    ("op", "model", "label"),
    [
        ("named_modules()", "tied_sequential", "once"),
        ("named_modules(remove_duplicate=False)", "tied_sequential", "twice"),
        ("apply(nn.init.normal_)", "tied_sequential", "once"),
        ("apply(nn.init.normal_)", "registered_lm_head", "twice"),
    ],
)
def test_a_visiting_row_says_how_often_it_reached_the_tie(op, model, label):
    (found, *_) = survival.rows_of(survival.operation(op), survival.tied_model(model))
    assert found["visits"] == label


def test_the_optimizer_rows_check_that_the_saved_state_came_back(monkeypatch):
    """A tie that survives a restore which restored nothing is no survival: the row raises."""
    import torch.distributed.checkpoint as dcp

    load = dcp.load

    def load_then_move(state, **options):
        load(state, **options)
        with torch.no_grad():
            for value in state["optim"]["state"].values():
                value["exp_avg"].add_(1)

    tied = survival.tied_model("registered_lm_head")
    op = survival.operation("dcp.save/load, optimizer state")
    assert survival.outcomes(op, tied)[0]["outcome"] == "tied"
    monkeypatch.setattr(dcp, "load", load_then_move)
    found, _ = survival.outcomes(op, tied)
    assert found == {
        "outcome": "raises",
        "error": "RestoredStateDiffers: the restored Adam moment of embed_tokens.weight differs",
    }


def test_a_row_a_release_did_not_measure_reads_not_measured(printed_table):
    """An operation added after an older release's table was run: that release has no row."""
    older = json.loads(json.dumps(printed_table))
    older["torch"] = "2.4.0"
    newest = survival.OPERATIONS[-1].name
    older["rows"] = [r for r in older["rows"] if r["operation"].removesuffix(STEP) != newest]
    rows = survival_render.matrix_rows([older, printed_table])
    cells = next(cells for op, model, cells in rows if op == newest)
    assert cells[0] == survival_render.NOT_MEASURED != cells[1]
    markdown = survival_render.render_markdown([older, printed_table])
    release = torch.__version__.split("+")[0]
    assert f"2.4.0: {survival_render.NOT_MEASURED}; {release}: " in markdown
    heat = dict(survival_render.heat_rows([older, printed_table], every_row=True))
    assert heat[f"{newest} · tied_sequential"][0] == survival_render.ABSENT


def test_a_row_only_an_older_release_has_comes_after_the_newest_tables_rows():
    """An operation since removed: the matrix and the heat map keep its rows, after the newest
    table's, which set the order even where an older table lists its rows otherwise."""
    r = survival_render

    def row(operation: str, outcome: str) -> dict:
        return {
            "operation": operation,
            "model": "tied_sequential",
            "outcome": outcome,
            "error": None,
        }

    older = {
        "torch": "2.5.0",
        "rows": [row("b", "tied"), row("removed", "split"), row("a", "tied")],
    }
    newest = {"torch": "2.6.0", "rows": [row("a", "tied"), row("b", "tied")]}
    assert [(op, cells) for op, _, cells in r.matrix_rows([older, newest])] == [
        ("a", ["tied", "tied"]),
        ("b", ["tied", "tied"]),
        ("removed", ["*split", r.NOT_MEASURED]),
    ]
    assert [label for label, _ in r.heat_rows([older, newest], every_row=True)] == [
        "a · tied_sequential", "b · tied_sequential", "removed · tied_sequential"
    ]  # fmt: skip


def test_visits_a_release_did_not_record_read_not_measured(printed_table):
    """A table run before visits were counted has the row without them: no change is implied."""
    older = json.loads(json.dumps(printed_table))
    older["torch"] = "2.4.0"
    for row in older["rows"]:
        row.pop("visits", None)
    rows = survival_render.matrix_rows([older, printed_table])
    cells = next(c for op, m, c in rows if (op, m) == ("modules()", "registered_lm_head"))
    assert cells == ["tied, reached: not measured", "*tied, reached twice"]
    cells = next(c for op, m, c in rows if (op, m) == ("copy.deepcopy", "registered_lm_head"))
    assert cells == ["tied", "tied"]  # an operation that visits nothing says nothing of visits


def test_the_heat_map_does_not_take_a_release_that_did_not_measure_a_row_for_a_change():
    r = survival_render
    row = {
        "operation": "parameters()",
        "model": "tied_sequential",
        "outcome": "tied",
        "error": None,
    }
    tables = [{"torch": "2.5.0", "rows": []}, {"torch": "2.6.0", "rows": [row]}]
    assert r.heat_rows(tables, every_row=False) == []
    assert r.heat_rows(tables, every_row=True) == [
        ("parameters() · tied_sequential", [r.ABSENT, r.TIED])
    ]


def test_strict_export_keeps_one_name_of_a_tie_and_non_strict_keeps_both():
    """What explains the export rows' change at 2.8 (strict=True was the default up to 2.7.1,
    strict=False from 2.8.0: pytorch/pytorch#148790), measured on this release: strict export
    lists the tied Parameter under one name, and its module lacks the other; non-strict lists both
    names and the module keeps them tied. The joint export fails only where both names are kept."""
    from torch.export.experimental import _export_forward_backward

    tied = survival.tied_model("registered_lm_head")

    def exported(strict: bool):
        program = torch.export.export(tied.model(), (tied.input(),), strict=strict)
        specs = program.graph_signature.input_specs
        listed = [spec.target for spec in specs if spec.target in tied.names]
        return program, listed

    strict, listed = exported(strict=True)
    assert len(set(listed)) == 1  # one name (listed twice on 2.5-2.9: the row's signature says)
    with pytest.raises(AttributeError):
        [tied.tensor(strict.module(), name) for name in tied.names]
    if not survival_cases.JOINT_EXPORT_ONE_INPUT_PER_NAME.releases.covers(RELEASE):
        pytest.skip(f"non-strict export on torch {RELEASE} was not measured (its default from 2.8)")
    non_strict, listed = exported(strict=False)
    assert listed == list(tied.names)
    module = non_strict.module()
    assert tied.tensor(module, tied.names[0]) is tied.tensor(module, tied.names[1])

    def joint(strict: bool) -> None:
        model = survival_operations.SummedOutput(tied.model())
        _export_forward_backward(torch.export.export(model, (tied.input(),), strict=strict))

    joint(strict=True)
    with pytest.raises(AssertionError, match="did not receive a gradient"):
        joint(strict=False)


# --- the rows from 2025-26's reports ---------------------------------------------------------------


def test_strict_export_lacks_exactly_the_name_its_signature_does_not_keep():
    """The strict row's error and its signature tell one story: the module lacks the name of the
    tie the graph signature dropped (which one changed between releases: the row says)."""
    op = survival.operation("torch.export.export(strict=True) → .module()")
    for name in ("tied_sequential", "registered_lm_head"):
        tied = survival.tied_model(name)
        (found, *_) = survival.rows_of(op, tied)
        kept = {part.rsplit(" ×", 1)[0] for part in found["signature"].split(", ")}
        (lost,) = set(tied.names) - kept
        assert found["error"].endswith(f"has no attribute '{lost.split('.')[0]}'"), found


def test_the_signature_counts_each_kept_name_and_its_reads():
    """A graph that reads one placeholder twice and keeps another unread, as non-strict export
    leaves a registered head (one name per input, in input order)."""
    tied = survival.tied_model("registered_lm_head")
    program = torch.export.export(tied.model(), (tied.input(),), strict=False)
    said = survival_operations.signature_reads(program, tied)
    reads = {n.name: len(n.users) for n in program.graph.nodes if n.op == "placeholder"}
    kept = program.graph_signature.inputs_to_parameters
    assert said == ", ".join(f"{name} ×{reads[node]}" for node, name in kept.items() if name in tied.names)  # fmt: skip
    assert sum(reads[node] for node, name in kept.items() if name in tied.names) == 2  # two uses
    assert survival_cases.reads_a_name_never({"signature": "a.weight ×0, b.weight ×2"})
    assert not survival_cases.reads_a_name_never({"signature": "a.weight ×10, b.weight ×2"})
    assert not survival_cases.reads_a_name_never({"signature": None})


def test_an_error_keeps_what_was_measured_before_it():
    error = AttributeError("'GraphModule' object has no attribute 'lm_head'")
    error.row_facts = {"signature": "embed_tokens.weight ×2"}
    assert survival.raised(error) == {
        "outcome": "raises",
        "error": "AttributeError: 'GraphModule' object has no attribute 'lm_head'",
        "signature": "embed_tokens.weight ×2",
    }
    error.row_facts = {"set_orders": {"forward": RuntimeError("boom. more"), "backward": "fine"}}
    assert survival.raised(error)["set_orders"] == "forward: RuntimeError: boom; backward: fine"


PIPELINE = "pipelining stage_backward_input → stage_backward_weight"


def weight_groups(tied, order: str | None) -> int:
    """How many parameter groups stage_backward_input puts the tied weight in (None: unpinned)."""
    from torch.distributed.pipelining import _backward

    model = tied.model()
    x = survival_operations.stage_input(tied)
    loss = survival_operations.output_scalar(model(x))
    with survival_operations.set_order_pinned(order) if order else contextlib.nullcontext():
        _, groups = _backward.stage_backward_input([loss], None, [x], model.parameters())
    weight = _backward._get_grad_fn_or_grad_acc(tied.tensor(model, tied.names[0]))
    return sum(weight in group["params"] for group in groups)


def test_the_pipeline_row_names_the_rule_that_decides_it():
    """tied_autoencoder's split backward fails or not by chance, unpinned: in forward order the
    tied weight lands in two parameter groups (the rule its reason states), in backward order in
    one. Each pinned order gives one outcome every time; every unpinned run gives one of the two."""
    tied = survival.tied_model("tied_autoencoder")
    assert [weight_groups(tied, "forward"), weight_groups(tied, "backward")] == [2, 1]
    assert {weight_groups(tied, None) for _ in range(12)} <= {1, 2}

    def outcome(order):
        try:
            survival_operations.split_backward_once(tied, order)
        except Exception as error:
            return survival.error_text(error)
        return "eager's gradient"

    pinned = {order: {outcome(order) for _ in range(3)} for order in ("forward", "backward")}
    assert all(len(found) == 1 for found in pinned.values()), pinned
    assert pinned["forward"] == {survival_cases.BACKWARD_TWICE.text}
    (found,) = survival.rows_of(survival.operation(PIPELINE), tied)[:1]
    assert found["set_orders"] == "; ".join(f"{o}: {pinned[o].pop()}" for o in ("forward", "backward"))  # fmt: skip


def test_the_pinned_order_is_restored():
    from torch.distributed.pipelining import _backward

    before = _backward.reverse_closure
    with pytest.raises(ZeroDivisionError), survival_operations.set_order_pinned("forward"):
        assert _backward.reverse_closure is not before
        raise ZeroDivisionError
    assert _backward.reverse_closure is before


def test_a_model_with_one_weight_group_splits_alike_in_both_orders():
    """tied_sequential's tied weight reaches its two intermediates before any other parameter
    does: one group in either order, so its row has one outcome and no set_orders."""
    tied = survival.tied_model("tied_sequential")
    assert [weight_groups(tied, "forward"), weight_groups(tied, "backward")] == [1, 1]
    (found,) = survival.rows_of(survival.operation(PIPELINE), tied)[:1]
    assert "set_orders" not in found


def test_meta_tensors_share_a_storage_only_when_they_are_one_storage():
    """On meta every data pointer is 0: a storage is one by identity there."""
    a = torch.nn.Parameter(torch.empty(3, device="meta"))
    b = torch.nn.Parameter(torch.empty(3, device="meta"))
    rewrapped = torch.nn.Parameter(a.to("meta"))  # what init_empty_weights does to a Parameter
    assert not survival.same_storage(a, b)
    assert survival.same_storage(a, rewrapped) and rewrapped is not a
    # No values on meta: the same view of one storage reads the same; two storages, unknown.
    assert survival.same_values(a, rewrapped) is True and survival.same_values(a, b) is None
    assert survival.same_values(a, rewrapped[1:]) is None


NEEDS_ACCELERATE = [op for op in OPERATIONS if survival_cases.ACCELERATE in op.needs]


@pytest.mark.parametrize("name", [op.name for op in NEEDS_ACCELERATE], ids=[op.run.__name__ for op in NEEDS_ACCELERATE])  # fmt: skip
def test_an_operation_needing_accelerate_says_so_when_it_is_absent(name, monkeypatch):
    """accelerate is in the hf extra only: without it the row names what to install."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda module, *a: None if module == "accelerate" else find_spec(module, *a),
    )
    op = survival.operation(name)
    found = [f for f in survival.outcomes(op, survival.tied_model("tied_sequential")) if f]
    assert {f["outcome"] for f in found} == {"not installed: pip install accelerate"}


def test_the_hf_extra_names_what_the_rows_need():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    hf = next(line for line in pyproject.splitlines() if line.startswith("hf = "))
    assert '"accelerate' in hf and '"transformers' in hf


def test_quick_leaves_out_exactly_the_slow_operations(capsys):
    assert main(["survival", "--quick", "--model", "tied_sequential", "--operation", "compile", "--json"]) == 0  # fmt: skip
    shown = {r["operation"].removesuffix(STEP) for r in json.loads(capsys.readouterr().out)["rows"]}
    compiles = {op.name for op in OPERATIONS if "compile" in op.name}
    assert shown == {name for name in compiles if not survival.operation(name).slow}
    assert shown < compiles  # the inductor row is slow
    assert main(["survival", "--quick", "--operation", "parallelize_module"]) == 2
    assert "--quick leaves out every operation chosen" in capsys.readouterr().err


def test_every_slow_operation_is_stored_for_every_release():
    """The default suite runs no slow row: each is measured on every release kept, and its
    stored rows are described as the code describes them (test_every_committed_table_...)."""
    slow = [op for op in OPERATIONS if op.slow]
    assert {op.name for op in slow} == {
        "torch.compile(backend='inductor')",
        "parallelize_module, 2 ranks",
    }
    for table in committed_tables():
        rows = {(r["operation"], r["model"]) for r in table["rows"]}
        for op in slow:
            assert {(op.name, m.name) for m in survival.MODELS} <= rows, (table["torch"], op.name)


def test_the_main_module_runs_the_command_only_as_main(monkeypatch, capsys):
    """A process started by spawn imports the main module again as __mp_main__: the survival
    table's ranks must not run the command a second time."""
    path = ROOT / "reference" / "__main__.py"
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    monkeypatch.setattr(sys, "argv", ["reference", "survival", "--matrix", "no/such/folder"])
    exec(code, {"__name__": "__mp_main__", "__package__": "reference"})  # no SystemExit: not run
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit) as exited:
        exec(code, {"__name__": "__main__", "__package__": "reference"})
    assert exited.value.code == 2 and "no such file or folder" in capsys.readouterr().err


def test_the_inductor_rows_tolerance_lies_between_its_noise_and_a_lost_use():
    """Inductor's sums in another order (a relative 1.9e-7 on T5, where allclose refuses entries
    near zero) pass; a gradient that lost one use (a relative 0.56 at least) does not."""
    agree = survival_operations.gradients_agree
    tolerance = survival_operations.INDUCTOR_TOLERANCE
    expected = torch.tensor([20.0, 1e-3, 0.0])
    noisy = expected + torch.tensor([2e-6, 2e-6, 2e-6])  # relative 1.7e-7
    assert agree(noisy, expected, tolerance) and not agree(noisy, expected, None)
    assert not agree(expected * 0.44, expected, tolerance)  # a relative 0.56 lost
    assert not agree(expected[:2], expected, tolerance)  # another shape
    assert agree(expected, expected, None)


def test_every_release_gets_the_models_numbers_alike_above_and_below():
    """Each release's stripes are numbered 1..N (the key names the models), in one small size
    under every release: with every operation, ticks matplotlib made after the labels were set
    once came out large."""
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    tables = committed_tables()
    figure = survival_render.heatmap_figure(tables, every_row=True)
    figure.draw(FigureCanvasAgg(figure).get_renderer())
    (axes,) = figure.axes
    models, _ = survival_render.heat_grid(tables, True)
    numbers = [str(m + 1) for _ in tables for m in range(len(models))]
    for label in ("label1", "label2"):
        shown = [getattr(t, label) for t in axes.xaxis.get_minor_ticks()]
        assert [text.get_text() for text in shown if text.get_visible()] == numbers
        releases = [getattr(t, label).get_fontsize() for t in axes.xaxis.get_major_ticks()]
        sizes = {text.get_fontsize() for text in shown}
        assert len(sizes) == 1 and sizes.pop() < min(releases), sizes


def test_views_at_other_offsets_of_one_storage_share_it():
    """One storage is judged by the storage's pointer, not the tensor's: a view that starts further
    into the same memory shares it; a copy of the same values does not."""
    weight = torch.arange(6.0)
    assert survival.same_storage(weight, weight[2:]) and weight[2:].data_ptr() != weight.data_ptr()
    assert not survival.same_storage(weight, weight.clone())


def test_a_listings_ends_are_the_tie_itself_not_an_entry_of_equal_values():
    """A listing can hold another Parameter with the tie's values (a copy made before the tie was
    loaded): the tie's ends are found by identity."""
    tied = survival.tied_model("registered_lm_head")
    model = tied.model()
    tie = tied.tensor(model, tied.names[0])
    look_alike = torch.nn.Parameter(tie.detach().clone())
    found = survival_operations.listing_result([look_alike, tie], model, tied)
    assert found.ends[0] is tie and found.ends[1] is tie


def compiled_off_by_a_little(model, backend=None):
    """A stand-in for torch.compile: the model itself, its output a relative 2e-5 off."""
    model.register_forward_hook(lambda module, args, output: output * (1 + 2e-5))
    return model


def test_the_compile_row_fails_where_the_compiled_gradient_differs(monkeypatch):
    """The compile row's comparison seen to decide: a 'compiled' model whose gradient is a relative
    2e-5 off the eager one (past allclose's rtol of 1e-5, the default backend's limit) raises. A
    comparison of the eager gradient with itself, or one at inductor's 1e-4, lets it through."""
    monkeypatch.setattr(torch, "compile", compiled_off_by_a_little)
    with pytest.raises(survival_operations.CompiledGradientDiffers):
        survival_operations.compiled(survival.tied_model("tied_embeddings"))


def test_the_compile_rows_error_names_the_gradient_it_compared_and_a_tolerance_is_used(monkeypatch):
    """The error names the tie's first name, whose gradient was compared; with a tolerance
    (inductor's), the 2e-5 that allclose refuses passes."""
    monkeypatch.setattr(torch, "compile", compiled_off_by_a_little)
    tied = survival.tied_model("registered_lm_head")
    expected = f"the compiled gradient of {tied.names[0]} differs from eager"
    with pytest.raises(
        survival_operations.CompiledGradientDiffers, match=f"^{re.escape(expected)}$"
    ):
        survival_operations.compiled(tied)
    tolerated = survival_operations.compiled(tied, tolerance=survival_operations.INDUCTOR_TOLERANCE)
    assert tolerated.ends[0] is tolerated.ends[1]


def test_gradients_agree_up_to_the_tolerance_itself():
    """A relative difference of exactly the tolerance agrees (exact in binary: 1 against 4 at 0.25);
    a little more does not."""
    agree = survival_operations.gradients_agree
    expected = torch.tensor([4.0, 0.0])
    assert agree(torch.tensor([4.0, 1.0]), expected, 0.25)
    assert not agree(torch.tensor([4.0, 1.25]), expected, 0.25)


class LogitsOutput:
    """A language model's output object: not a tensor, its `logits` one."""

    def __init__(self, logits):
        self.logits = logits


@pytest.mark.parametrize(
    "output",
    [
        pytest.param(torch.tensor([1.0, 2.0]), id="tensor"),
        pytest.param(LogitsOutput(torch.tensor([1.0, 2.0])), id="logits"),
        pytest.param({"text": "no tensor", "logits": torch.tensor([1.0, 2.0])}, id="dict"),
        pytest.param(("no tensor", torch.tensor([1.0, 2.0]), torch.tensor(5.0)), id="tuple"),
    ],
)
def test_the_scalar_a_backward_runs_from_is_the_outputs_first_tensor_summed(output):
    assert survival_operations.output_scalar(output).item() == 3.0


def test_the_pipeline_row_raises_an_error_both_orders_give_and_says_when_they_differ(monkeypatch):
    """Both orders failing alike: that error. Failing otherwise, or one failing: the row says the
    outcome depends on the order, and records what each gave."""
    tied = survival.tied_model("tied_autoencoder")

    def row_with(outcomes: dict) -> Exception | survival_operations.Result:
        def split_backward_once(tied, order):
            if isinstance(outcomes[order], Exception):
                raise outcomes[order]
            return tied.model()

        monkeypatch.setattr(survival_operations, "split_backward_once", split_backward_once)
        try:
            return survival_operations.pipeline_split_backward(tied)
        except Exception as error:
            return error

    alike = row_with({"forward": ValueError("x"), "backward": ValueError("x")})
    assert (type(alike), str(alike)) == (ValueError, "x")
    for outcomes in [
        {"forward": ValueError("x"), "backward": ValueError("y")},
        {"forward": ValueError("x"), "backward": TypeError("x")},
        {"forward": ValueError("x"), "backward": "eager's gradient"},
    ]:
        differs = row_with(outcomes)
        assert type(differs) is survival_operations.SplitDependsOnSetOrder
        assert str(differs) == (
            "the outcome depends on the order of a set of autograd nodes, which follows their addresses"
        )
        assert differs.row_facts == {"set_orders": outcomes}
    both_agree = row_with({"forward": "eager's gradient", "backward": "eager's gradient"})
    assert isinstance(both_agree, survival_operations.Result)


def test_a_split_backward_unlike_eagers_is_named_in_the_error(monkeypatch):
    """The split backward's gradient compared with eager's: a schedule that doubles the loss is
    caught, and the error names the tie's first name, whose gradient was compared."""

    def doubled(model, x):
        (2 * survival_operations.output_scalar(model(x))).backward()

    monkeypatch.setattr(survival_operations, "schedule_backward", doubled)
    tied = survival.tied_model("tied_sequential")  # two names
    expected = f"the split-backward gradient of {tied.names[0]} differs from eager"
    with pytest.raises(survival_operations.SplitGradientDiffers, match=f"^{re.escape(expected)}$"):
        survival_operations.split_backward_once(tied, "backward")


def test_the_safetensors_rows_write_nowhere_but_their_own_folder(tmp_path, monkeypatch):
    pytest.importorskip("safetensors")
    monkeypatch.chdir(tmp_path)
    tied = survival.tied_model("registered_lm_head")
    with pytest.raises(RuntimeError, match="Some tensors share memory"):  # before it writes
        survival_operations.safetensors_file(tied)
    survival_operations.safetensors_model(tied)
    # A tie made in forward has one name in the state_dict: save_file writes it.
    survival_operations.safetensors_file(survival.tied_model("tied_autoencoder"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("operation", ["deepcopy", "deepcopy_then_to_float64"])
def test_a_deepcopy_row_measures_a_copy_that_shares_nothing_with_the_model(operation):
    """copy.copy would keep the model's own Parameters, and so its tie: the row would say 'tied'
    of an operation that copied nothing."""
    built, table_model = [], survival.tied_model("registered_lm_head")

    def recorded(model):
        built.append(table_model.rebuild(model))
        return built[-1]

    tied = dataclasses.replace(table_model, rebuild=recorded)
    ends = getattr(survival_operations, operation)(tied).ends
    (model,) = built
    assert ends[0] is ends[1]
    assert not any(end is p for end in ends for p in model.parameters())


@pytest.mark.parametrize(
    ("operation", "flat"),
    [("distributed_checkpoint_optimizer", False), ("distributed_checkpoint_flat_optimizer", True)],
)
def test_the_checkpoint_rows_save_and_restore_the_state_in_the_form_they_name(
    operation, flat, monkeypatch
):
    """The flat row (torchtitan's default) saves the optimizer's state flattened, one key per
    name and entry; the other nested. Each restores with the options it saved with, the model's
    state as loaded."""
    pytest.importorskip("torch.distributed.checkpoint")
    import torch.distributed.checkpoint as dcp
    import torch.distributed.checkpoint.state_dict as dcp_state_dict

    saved, restored = [], []
    save, set_state_dict = dcp.save, dcp_state_dict.set_state_dict

    def saving(state, **options):
        saved.append(state)
        return save(state, **options)

    def restoring(model, optimizer, **options):
        restored.append(options)
        return set_state_dict(model, optimizer, **options)

    monkeypatch.setattr(dcp, "save", saving)
    monkeypatch.setattr(dcp_state_dict, "set_state_dict", restoring)
    tied = survival.tied_model("registered_lm_head")
    getattr(survival_operations, operation)(tied)
    ((state,), (options,)) = saved, restored
    moment = f"state.{tied.names[0]}.exp_avg" if flat else "state"
    assert moment in state["optim"] and ("param_groups" in state["optim"]) is not flat
    assert options["options"].flatten_optimizer_state_dict is flat
    assert set(options["model_state_dict"]) == set(tied.model().state_dict())


@pytest.mark.parametrize(
    ("operation", "device"),
    [
        ("fully_shard_root", "cpu"),
        ("fully_shard_separately", "cpu"),
        ("meta_fully_shard_root_then_to_empty", "meta"),
        ("meta_fully_shard_separately_then_to_empty", "meta"),
    ],
)
def test_the_sharding_rows_shard_what_they_name_where_they_name_it(operation, device, monkeypatch):
    """What each fully_shard call is given: a holder alone (a group of one is the module itself),
    then the root, on meta for the large-model start, on the CPU otherwise."""
    pytest.importorskip("torch.distributed.fsdp")
    tied = survival.tied_model("tied_sequential")  # one Linear at 2 and 4 holds the tie
    fully_shard, calls = survival_operations.fully_shard_function(), []

    def recording(module, **options):
        calls.append((type(module).__name__, next(module.parameters()).device.type))
        return fully_shard(module, **options)

    monkeypatch.setattr(survival_operations, "fully_shard_function", lambda: recording)
    with survival.process_group_of_one():
        getattr(survival_operations, operation)(tied)
    holders = [("Linear", device)] if "separately" in operation else []
    assert calls == [*holders, ("Sequential", device)]


class TwoLinearsTiedInABlock(torch.nn.Module):
    """Two Linears of one weight, a level down: quantize_dynamic packs each its own copy."""

    def __init__(self):
        super().__init__()
        self.block = torch.nn.Module()
        self.block.first = torch.nn.Linear(3, 3, bias=False)
        self.block.second = torch.nn.Linear(3, 3, bias=False)
        self.block.second.weight = self.block.first.weight

    def forward(self, x):
        return self.block.second(self.block.first(x))


def test_the_quantized_rows_ends_are_what_each_holder_unpacks():
    """Each quantized holder unpacks a tensor of its own (the tie is split), each found by the
    holder's full path; the values are the weight's, to int8's precision."""
    from reference.own_model import own_tied_model

    own = own_tied_model(f"{__name__}:TwoLinearsTiedInABlock")
    assert own.names == ("block.first.weight", "block.second.weight")
    ends = survival_operations.quantized_dynamic(own).ends
    weight = own.tensor(own.model(), own.names[0])
    assert ends[0] is not ends[1]
    assert all(torch.allclose(end, weight, atol=0.01) for end in ends)


def head_tied_on_meta():
    with torch.device("meta"):
        return HeadTiedByRegistration()


def test_to_empty_from_cpu_gives_a_users_model_built_elsewhere_cpu_memory():
    """A user's factory may build anywhere (here on meta): the row moves the storage to the CPU,
    as its name says, not to wherever the model was."""
    from reference.own_model import own_tied_model

    own = own_tied_model(f"{__name__}:head_tied_on_meta")
    ends = survival_operations.to_empty_from_cpu(own).ends
    assert [end.device.type for end in ends] == ["cpu", "cpu"]


def test_the_apply_row_runs_the_initialiser_it_names():
    """apply(nn.init.normal_) at std 0.02 reaches the tie: its values are drawn again (the built
    model's std is not 0.02)."""
    tied = survival.tied_model("registered_lm_head")
    before = tied.tensor(tied.model(), tied.names[0]).std().item()
    after = survival_operations.apply_init(tied).ends[0].std().item()
    assert abs(after - 0.02) < 0.004 and abs(before - 0.02) > 0.1, (before, after)


def test_a_promised_dtype_is_part_of_the_promise():
    """`.to(torch.float64)` promises the values in float64: a tie left in float32 with the same
    values has not kept it (torch.equal alone would say it had: it ignores the dtype)."""
    op = survival.operation(".to(torch.float64)")
    tied = survival.tied_model("registered_lm_head")
    left_in_float32 = module_result(tied.model(), tied)
    assert left_in_float32.ends[0].dtype == torch.float32
    assert survival.outcome_of(left_in_float32, op, tied)["promised_values"] is False


class ReadByKeyword(torch.nn.Module):
    """A user's model that hands its weight to F.linear by keyword, twice: a tie made in forward."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.eye(3))

    def forward(self, x):
        linear = torch.nn.functional.linear
        return linear(linear(x, weight=self.weight), weight=self.weight)


def test_a_parameter_read_by_keyword_is_a_read():
    from reference.own_model import find_tie

    names, how = find_tie(ReadByKeyword(), torch.ones(2, 3), "test:ReadByKeyword")
    assert names == ("weight", "weight") and how == "in forward: weight read 2 times"


def test_the_table_gives_each_operation_on_every_model_then_its_step_on_every_model():
    """`rows`' order, on two cheap operations (one that trains) and two models."""
    operations = [op for op in survival.OPERATIONS if op.name in ("state_dict()", "parameters()")]
    found = survival.rows(operations, survival.MODELS[:2])
    assert [(r["operation"], r["model"]) for r in found] == [
        ("state_dict()", "tied_embeddings"),
        ("state_dict()", "tied_sequential"),
        ("parameters()", "tied_embeddings"),
        ("parameters()", "tied_sequential"),
        ("parameters() + SGD step", "tied_embeddings"),
        ("parameters() + SGD step", "tied_sequential"),
    ]


@pytest.mark.parametrize("refusal", [OSError, AttributeError, TypeError])
def test_flushing_c_stdio_where_c_refuses_is_no_error(refusal, monkeypatch):
    """Where C's stdio cannot be reached through ctypes (CDLL(None) raises TypeError on Windows; a
    libc without fflush, AttributeError; OSError where loading fails), the table still runs."""
    import ctypes

    def refuse(*arguments):
        raise refusal("no C library here")

    monkeypatch.setattr(ctypes, "CDLL", refuse)
    survival.flush_c_stdio()


# --- where a row's outcomes come from, and the facts only some rows record -----------------------


def test_a_built_in_models_row_comes_from_the_ranks_once_only_or_a_fresh_run(monkeypatch):
    """An operation on several ranks: the ranks' kept outcomes (started once for all five models);
    a costly `once` operation: kept per model; any other, or a user's model, a fresh run."""
    asked = []

    def kept_on_ranks(name):
        asked.append(("ranks", name))
        return {m.name: ({"outcome": "tied"}, None) for m in survival.MODELS}

    def kept(name, model):
        asked.append(("kept", name, model))
        return {"outcome": "tied"}, None

    def fresh(op, tied):
        asked.append(("fresh", op.name, tied.name))
        return {"outcome": "tied"}, None

    monkeypatch.setattr(survival, "kept_outcomes_on_ranks", kept_on_ranks)
    monkeypatch.setattr(survival, "kept_outcomes", kept)
    monkeypatch.setattr(survival, "outcomes", fresh)
    # Nothing missing for any operation (asked of the operation itself: of no operation, a package).
    monkeypatch.setattr(
        survival, "missing_packages", lambda op: [] if op in survival.OPERATIONS else ["a package"]
    )
    ranked = next(op for op in survival.OPERATIONS if op.ranks == 2)
    once = next(op for op in survival.OPERATIONS if op.once and op.ranks == 1)
    plain = next(op for op in survival.OPERATIONS if not op.once and op.ranks == 1)
    model = survival.MODELS[0]
    users = dataclasses.replace(model, name="users_model")
    for op, tied in [(ranked, model), (once, model), (plain, model), (once, users)]:
        survival.rows_of(op, tied)
    assert asked == [
        ("ranks", ranked.name),
        ("kept", once.name, model.name),
        ("fresh", plain.name, model.name),
        ("fresh", once.name, "users_model"),
    ]


def test_an_operation_missing_two_packages_names_both_and_a_listing_gets_no_step(monkeypatch):
    monkeypatch.setattr(survival, "missing_packages", lambda op: ["accelerate", "safetensors"])
    listing = next(op for op in survival.OPERATIONS if not op.trains)
    found, stepped = survival.outcomes(listing, survival.MODELS[0])
    assert found == {"outcome": "not installed: pip install accelerate safetensors"}
    assert stepped is None


def test_a_compile_records_the_backend_that_ran_and_other_rows_none():
    tied = survival.MODELS[1]
    model = tied.model()
    ends = (tied.tensor(model, tied.names[0]), tied.tensor(model, tied.names[1]))
    op = next(op for op in survival.OPERATIONS if not op.trains)
    compiled = survival.outcome_of(survival_operations.Result(ends, None, backend="inductor"), op, tied)  # fmt: skip
    plain = survival.outcome_of(survival_operations.Result(ends, None), op, tied)
    assert compiled["backend"] == "inductor" and "backend" not in plain


def test_a_meta_tensor_and_a_cpu_tensor_share_nothing_even_empty():
    """Both empty, their data pointers are both 0: only the storage objects tell them apart."""
    on_meta, on_cpu = torch.empty(0, device="meta"), torch.empty(0)
    assert on_meta.untyped_storage().data_ptr() == on_cpu.untyped_storage().data_ptr() == 0
    assert survival.same_storage(on_meta, on_cpu) is False
    assert survival.same_values(torch.zeros(3, device="meta"), torch.zeros(3)) is None


class Sharded:
    """Stands for a DTensor: its full tensor (gathered from every rank) and its local shard."""

    def full_tensor(self):
        return "full"

    def to_local(self):
        return "local"


@pytest.mark.parametrize(
    ("initialized", "world_size", "tensor", "expected"),
    [
        (True, 2, Sharded(), "full"),
        (True, 1, Sharded(), "local"),
        (False, 2, Sharded(), "local"),
        (True, 2, "plain", "plain"),
    ],
    ids=["two-ranks", "group-of-one", "no-group", "plain-tensor"],
)
def test_a_sharded_tensors_values_are_gathered_only_over_several_ranks(
    initialized, world_size, tensor, expected, monkeypatch
):
    import torch.distributed as dist

    monkeypatch.setattr(dist, "is_initialized", lambda: initialized)
    monkeypatch.setattr(dist, "get_world_size", lambda: world_size)
    assert survival.whole(tensor) == expected


def test_an_operation_on_ranks_starts_them_only_from_outside_and_a_failed_step_is_its_row(
    monkeypatch,
):
    import torch.distributed as dist

    started = []

    def on_ranks(op, models):
        started.append((op.name, tuple(m.name for m in models)))
        return {m.name: ({"outcome": "on ranks"}, None) for m in models}

    def failing_step(result):
        raise RuntimeError("the step failed")

    monkeypatch.setattr(survival, "on_ranks", on_ranks)
    monkeypatch.setattr(survival, "missing_packages", lambda op: [])
    monkeypatch.setattr(survival, "outcome_of_one_step", failing_step)
    ranked = next(op for op in survival.OPERATIONS if op.ranks == 2)
    tied = survival.MODELS[1]
    assert survival.outcomes(ranked, tied) == ({"outcome": "on ranks"}, None)
    assert started == [(ranked.name, (tied.name,))]
    # One rank, or inside the ranks (their group is there): run in this process.
    here = dataclasses.replace(
        ranked,
        run=lambda t: survival_operations.module_result(t.model(), t),
        needs_process_group=False,
    )
    for ranks, group in [(1, False), (2, True)]:
        monkeypatch.setattr(dist, "is_initialized", lambda group=group: group)
        found, stepped = survival.outcomes(dataclasses.replace(here, ranks=ranks), tied)
        assert found["outcome"] == "tied"
        assert stepped == survival.raised(RuntimeError("the step failed"))
    assert len(started) == 1


@pytest.mark.parametrize("name", [m.name for m in survival.MODELS])
def test_building_a_table_model_draws_nothing_from_the_global_rng(name):
    """Every draw belongs inside seeded() or to a generator(): a holder built only to have its
    weight replaced is built on meta, where nothing is drawn."""
    from reference_testing.locked import drawing_from_the_global_rng

    _, drew = drawing_from_the_global_rng(survival.tied_model(name).model)
    assert not drew


def test_a_whole_module_loaded_back_is_read_as_a_module_of_the_table(monkeypatch):
    """Where torch.load unpickles a module (its default before 2.6, weights_only=False after), the
    row reads the tie from the module it got back: here on this release, the load told to."""
    load = survival_operations.saved_and_loaded
    monkeypatch.setattr(
        survival_operations, "saved_and_loaded", lambda obj: load(obj, weights_only=False)
    )
    tied = survival.tied_model("registered_lm_head")
    ends = survival_operations.torch_save_module(tied).ends
    assert ends[0] is ends[1] and isinstance(ends[0], torch.nn.Parameter)


def test_functional_call_then_module_hands_in_the_first_name_only(monkeypatch):
    """The call hands one name of the tie a plain tensor (tie_weights=True carries it to the
    other); the row then reads the module: the first name is the one handed in."""
    handed = []
    call = torch.func.functional_call

    def recording(model, tensors, args, **options):
        handed.append(list(tensors))
        return call(model, tensors, args, **options)

    monkeypatch.setattr(torch.func, "functional_call", recording)
    tied = survival.tied_model("registered_lm_head")
    survival_operations.functional_call_then_module(tied)
    assert handed == [[tied.names[0]]]
