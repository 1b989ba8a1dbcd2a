"""The tying survival table: every row locked by a snapshot, the rows that depend on the torch release
checked against the release that changed them, the JSON shape of `python -m reference survival`.
"""

import contextlib
import io
import json

import pytest
import torch

from reference import survival
from reference.cli import main
from reference.registry import get
from reference.releases import torch_release
from reference.tying import alias_groups

RELEASE = torch_release()

CELLS = [(op, tied) for op in survival.OPERATIONS for tied in survival.MODELS]


def cell_id(op, tied):
    return f"{op.run.__name__}-{tied.name}"


def depends_on_release(op, tied):
    return op.change is not None and tied.name in op.change.models


def skip_unless_installed(op):
    for package in op.needs:
        pytest.importorskip(package, reason=f"{op.name} needs {package}")


@pytest.mark.parametrize(("op", "tied"), CELLS, ids=[cell_id(*c) for c in CELLS])
def test_row(op, tied, snapshot_json):
    """The operation's row, and its optimizer step's where it has one, as the snapshot holds them.
    A row that depends on the release is locked from the release that changed it on; before it,
    test_release_dependent_row checks it.
    """
    skip_unless_installed(op)
    found = survival.rows_of(op, tied)
    if depends_on_release(op, tied) and op.change.since > RELEASE:
        pytest.skip(f"locked from torch {op.change.since} on; {op.change.citation}")
    assert found == snapshot_json


CHANGED = [c for c in CELLS if depends_on_release(*c)]


@pytest.mark.parametrize(("op", "tied"), CHANGED, ids=[cell_id(*c) for c in CHANGED])
def test_release_dependent_row(op, tied):
    found, _ = survival.outcomes(op, tied)
    if op.change.since <= RELEASE:
        assert found.error is not None and found.error.startswith(f"{op.change.error}:"), found
    else:
        assert found.error is None, f"before {op.change.since}: {op.change.before}"


def test_every_release_dependent_operation_cites_its_source():
    for op in survival.OPERATIONS:
        if op.change:
            assert op.change.citation and op.change.before and op.change.models, op.name
            assert set(op.change.models) <= {m.name for m in survival.MODELS}, op.name


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
    once = survival.Result((weight, weight), [weight])
    twice = survival.Result((weight, view), [weight, view])
    apart = survival.Result((weight, copy), [weight, copy])
    assert survival.moves_of_one_step(once) == survival.Outcome(True, True, None)
    assert survival.moves_of_one_step(twice) == survival.Outcome(False, True, None)
    assert weight.tolist() == [-2.0] * 3  # zeroed, then moved by 1 twice
    assert survival.moves_of_one_step(apart) == survival.Outcome(False, False, None)


def test_error_text_is_stable():
    error = RuntimeError(
        "\n  Some tensors share memory: [{'b', 'a'}].\n  more text at 0x7f3ded5c00e0\n"
    )
    assert survival.error_text(error) == "RuntimeError: Some tensors share memory"
    assert survival.error_text(ValueError("object at 0x7f00ab. Next")) == (
        "ValueError: object at 0x…"
    )
    assert survival.error_text(KeyError()) == "KeyError"


def test_the_future_flags_are_restored():
    future = torch.__future__
    before = (
        future.get_overwrite_module_params_on_conversion(),
        future.get_swap_module_params_on_conversion(),
    )
    for op in (survival.operation(".to(float64), overwrite flag"), survival.operation(".to(float64), swap flag")):  # fmt: skip
        survival.outcomes(op, survival.tied_model("registered_lm_head"))
    after = (
        future.get_overwrite_module_params_on_conversion(),
        future.get_swap_module_params_on_conversion(),
    )
    assert after == before


def test_no_process_group_is_left_behind():
    import torch.distributed as dist

    survival.outcomes(survival.operation("fully_shard(root)"), survival.tied_model("tied_sequential"))  # fmt: skip
    assert not dist.is_initialized()


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
    assert u["state_dict_bytes_saved"] - t["state_dict_bytes_saved"] >= shared_bytes


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def printed_table():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["survival", "--json"]) == 0
    return json.loads(out.getvalue())


ROW_SHAPE = {
    "operation": str,
    "model": str,
    "tied_after": (bool, type(None)),
    "storage_shared": (bool, type(None)),
    "error": (str, type(None)),
}


def test_json_has_the_documented_shape(printed_table):
    assert list(printed_table) == ["torch", "rows"]
    assert printed_table["torch"] == torch.__version__
    for row in printed_table["rows"]:
        assert list(row) == list(ROW_SHAPE), row
        assert all(isinstance(row[k], t) for k, t in ROW_SHAPE.items()), row
        # An error leaves nothing to look at; no error, both are answered.
        assert (row["error"] is None) == (row["tied_after"] is not None), row
        assert (row["tied_after"] is None) == (row["storage_shared"] is None), row
        if row["tied_after"] and not row["operation"].endswith(survival.STEP):
            assert row["storage_shared"], row  # one object shares its own storage


def test_json_has_one_row_per_operation_model_and_step(printed_table):
    pairs = [(r["operation"], r["model"]) for r in printed_table["rows"]]
    expected = [
        (op.name + suffix, tied.name)
        for op in survival.OPERATIONS
        for suffix in ("", survival.STEP)[: 2 if op.trains else 1]
        for tied in survival.MODELS
    ]
    assert pairs == expected


def test_the_text_form_shows_every_row_and_the_release_notes(printed_table):
    text = survival.render(printed_table)
    for tied in survival.MODELS:
        assert tied.name in text
    lines = text.splitlines()
    for op in survival.OPERATIONS:
        assert any(line.startswith(op.name + "  ") or line == op.name for line in lines), op.name
        if op.change:
            assert op.change.citation in text
    assert "Memory (bytes)" in text
