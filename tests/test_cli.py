"""The command line, as a user meets it: what each command shows, and one line for each mistake.

Commands run in-process through `main([...])` (a subprocess would pay for `import torch` each
time); one subprocess checks what only a fresh interpreter can: `--help` without torch.
"""

import contextlib
import dataclasses
import errno
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from reference import cli, documents, plots, registry
from reference.cli import (
    CLOSED_PIPE,
    INTERRUPTED,
    PROG,
    Failure,
    find_example,
    main,
    show_example,
)
from reference.layout import display_width
from reference.probes import left_behind, summary, ties_in_forward
from reference.summary_text import ties_cell

WIDTH = 100


@pytest.fixture(autouse=True)
def hundred_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def run(capsys, *argv):
    """Exit status, stdout, stderr of one command."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def widest(text):
    return max(display_width(line) for line in text.splitlines())


# --- mistakes: exit 2, one line, no traceback -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["lsit"], "unknown command 'lsit'; did you mean 'list'?"),
        (["run"], "the following arguments are required: name"),
        (
            ["run", "mlp", "--device", "cpu:3"],
            "device 'cpu:3' is not available here; available: cpu",
        ),
        (["run", "tide_embeddings"], "Did you mean: tied_embeddings"),
        (
            ["run", "tied_embeddings", "--variant", "untide"],
            "no variant 'untide'; did you mean untied?",
        ),
        (["run", "mlp", "--variant", "x"], "'mlp' has no variants"),
        (["trace", "mlp"], "'mlp' has no training trace; these do: train_shared_weight_net"),
    ],
)
def test_a_mistake_is_one_line_with_exit_status_2(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"{PROG}: error: "), err
    assert fragment in err


# --- run ------------------------------------------------------------------------------------------


def test_run_shows_values_the_file_to_open_and_the_release(capsys):
    status, out, _ = run(capsys, "run", "parallel_concat")
    _, x, output = registry.get("parallel_concat").run()
    assert status == 0
    assert f"input    shape (1, 20), float32: [{x.flatten()[0]:.4f}, " in out
    assert f"output   shape (2, 16), float32: [{output.flatten()[0]:.4f}, " in out
    assert (
        "  open      reference/construction_exercises.py:" in out and "  parallel_concat\n" in out
    )
    assert f"  torch     {torch.__version__}, on cpu" in out
    assert "  document  003_509c77070272da3f.txt  深度学习计算 · model-construction" in out
    assert "  variants  features (--variant LABEL)" in out
    assert widest(out) <= WIDTH


def test_run_a_variant(capsys):
    status, out, _ = run(capsys, "run", "tied_embeddings", "--variant", "untied")
    assert status == 0
    assert out.startswith("tied_embeddings --variant untied: ")
    assert "reference/sharing_blog.py:" in out and "untied_language_model" in out
    assert "embed_out (11, 6)" in out and "×2 (forward)" not in out
    # The claims are the document's: the variant's output says so instead of implying they hold
    # for the untied build.
    assert "claims are about the document's build" in " ".join(out.split())
    assert "claims (about the document's build, not this variant;" in out
    _, document, _ = run(capsys, "run", "tied_embeddings")
    assert "claims (the document's," in document and "variant untied" not in document


def test_run_json_is_the_snapshot_summary(capsys):
    status, out, _ = run(capsys, "run", "repeat_blocks", "--variant", "add_module", "--json")
    assert status == 0
    assert json.loads(out) == summary(registry.get("repeat_blocks"), "cpu", "add_module")


def test_run_json_carries_what_the_text_shows(capsys):
    """The forward tie, the variant, and whose claims they are: alias_groups alone is empty here."""
    _, out, _ = run(capsys, "run", "tied_embeddings", "--json")
    document = json.loads(out)
    assert document["alias_groups"] == [] and document["ties_in_forward"] == {
        "embed_tokens.weight": 2
    }
    assert (document["variant"], document["claims_are_about"]) == (None, "the document's build")
    _, out, _ = run(capsys, "run", "tied_embeddings", "--variant", "untied", "--json")
    untied = json.loads(out)
    assert (untied["variant"], untied["ties_in_forward"]) == ("untied", {})
    assert untied["claims_are_about"] == "the document's build"


@pytest.mark.parametrize("name", ["weight_norm", "conv_shared_transpose"])
def test_run_shows_each_claims_words_place_and_reading(capsys, name):
    """Each claim's quote, its place, the reading judged and the literal one, where recorded, as
    `--json` carries them (compared without the wrapping's spaces and breaks)."""
    _, out, _ = run(capsys, "run", name)
    unwrapped = "".join(out.split())
    claims = registry.get(name).claims
    assert any(c.literal for c in claims)  # the literal reading is printed too
    for claim in claims:
        for words in (claim.quote, claim.place, claim.reading, claim.literal):
            assert "".join(words.split()) in unwrapped, (claim.name, words)


def test_run_says_when_nothing_is_registered(capsys):
    _, out, _ = run(capsys, "run", "list_sequential")
    assert "state_dict keys: none: nothing is registered\n" in out
    assert "parameters:      none registered\n" in out


@pytest.mark.parametrize(
    ("name", "tie", "builder"),
    [
        ("registered_lm_head", "embed_tokens.weight = lm_head.weight", "registered_lm_head"),
        (
            "parametrized_autoencoder",
            "encoder.weight = decoder.parametrizations.weight.original",
            "parametrized_autoencoder",
        ),
    ],
)
def test_the_survival_models_run_like_examples(capsys, name, tie, builder):
    status, out, _ = run(capsys, "run", name)
    assert status == 0
    assert f"ties:            {tie}\n" in out
    assert "reference/survival_models.py:" in out and f"  {builder}\n" in out


def test_a_tie_made_in_forward_is_shown(capsys):
    _, out, _ = run(capsys, "run", "tied_embeddings")
    assert "ties:            embed_tokens.weight ×2 (forward)\n" in out


# --- what a device cannot hold, proven on the CPU with the meta device ----------------------------


def test_left_behind_finds_blocks_a_plain_list_keeps():
    example = registry.get("list_sequential")
    assert left_behind(example.model("cpu"), "cpu") == {}
    assert left_behind(example.model("meta"), "meta") == {
        f"_module[{i}].{p}": "cpu" for i in (0, 2) for p in ("weight", "bias")
    }
    assert left_behind(registry.get("module_sequential").model("meta"), "meta") == {}


def test_a_device_mismatch_reports_the_blocks_that_stayed(capsys):
    """The CUDA case of `run list_sequential --device cuda`: its forward raises the same RuntimeError
    on any device its blocks did not follow to; meta stands in for CUDA here."""
    status = show_example(find_example("list_sequential", PROG), torch.device("meta"), None, False)
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("list_sequential on meta: forward raised RuntimeError (")
    assert "stayed on cpu: _module[0].weight, _module[0].bias, _module[2].weight" in " ".join(
        out.split()
    )


def test_any_other_failure_on_a_device_is_one_line():
    with pytest.raises(Failure, match=r"^mlp on meta: NotImplementedError: "):
        show_example(find_example("mlp", PROG), torch.device("meta"), None, False)


# --- the table and the list -----------------------------------------------------------------------

TABLE_SAMPLE = ["shared_weight_net", "linear_net_mm", "tied_embeddings", "shared_rnn", "mlp"]


def test_the_table_fits_100_columns_and_explains_itself(capsys, monkeypatch):
    monkeypatch.setattr(registry, "names", lambda: TABLE_SAMPLE)
    status, out, _ = run(capsys)
    assert status == 0 and widest(out) <= WIDTH
    assert "(proven)" not in out and "unique/total" not in out
    assert "136 (172 by name)" in out and "(N by name): counted once per name" in out
    assert "[1] shared_weight_net: holds only when the seed leaves the ReLUs alive" in out
    assert "[2] linear_net_mm: holds only when WᵀW = WWᵀ (W is normal)" in out
    assert "d2l  深度学习计算 (Deep Learning Computation)" in out
    assert "5 examples; every verdict above was proven" in out


def test_the_tie_column_names_ties_by_registration_and_in_forward():
    groups = [["2.weight", "4.weight"], ["2.bias", "4.bias"], ["a.w", "b.w", "c.w"]]
    assert ties_cell(groups, {}) == "2 = 4 (weight, bias); a.w = b.w = c.w"
    shared_rnn = registry.get("shared_rnn")
    assert ties_cell([], ties_in_forward(shared_rnn, shared_rnn.model())) == (
        "cell ×5 (forward: weight_ih, weight_hh, bias_ih, bias_hh)"
    )
    embeddings = registry.get("tied_embeddings")
    assert ties_cell([], ties_in_forward(embeddings, embeddings.model())) == (
        "embed_tokens.weight ×2 (forward)"
    )


def test_list_groups_by_document_with_titles_sections_and_variants(capsys):
    status, out, _ = run(capsys, "list")
    assert status == 0 and widest(out) <= WIDTH
    assert "004_437a7907a92ead85.txt  torch.nn.modules.utils模块中的权重参数共享技术详解\n" in out
    assert "deferred-init (Lazy Initialization): LazyLinear(256)" in out
    assert "§6" not in out
    assert "[variants: init_normal, init_constant, my_init]" in " ".join(out.split())
    assert "registered_lm_head" in out


def test_list_json_splits_the_source(capsys):
    _, out, _ = run(capsys, "list", "--json")
    entries = {e["name"]: e for e in json.loads(out)}
    assert entries["lazy_mlp"] == {
        "name": "lazy_mlp",
        "kind": "example",
        "document": "d2l-ch6",
        "title": "深度学习计算 (Deep Learning Computation)",
        "section": "deferred-init (Lazy Initialization)",
        "shows": "LazyLinear(256), ReLU, LazyLinear(10); sizes inferred at the first forward",
        "variants": [],
        "trains": False,
    }
    assert entries["registered_lm_head"]["kind"] == "survival table model"
    assert set(entries) == set(registry.names()) | {
        "registered_lm_head",
        "parametrized_autoencoder",
    }


def test_every_source_names_a_known_document():
    for name in registry.names():
        example = registry.get(name)
        source = documents.described(example.document, example.section, example.shows)
        assert source.document.name in documents.DOCUMENTS, name
        assert source.shows and not source.shows.startswith("chapter"), name


# --- trace and plots ------------------------------------------------------------------------------

SHORT_TRACE = "train_shared_weight_net"


@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")],
    ids=["png", "pdf", "svg"],  # ASCII ids: a tool passing ids back to pytest must find them
)
def test_trace_json_stays_json_and_the_plot_takes_its_format_from_the_name(
    capsys, tmp_path, suffix, magic
):
    path = tmp_path / f"loss{suffix}"
    pyplot_was_loaded = "matplotlib.pyplot" in sys.modules
    status, out, err = run(capsys, "trace", SHORT_TRACE, "--json", "--plot", str(path))
    assert status == 0
    # A figure of its own: pyplot's global state (backend, open figures) is the caller's.
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_was_loaded
    assert json.loads(out)["epoch_loss"]  # nothing but the JSON on stdout
    assert err == f"loss curve written to {path}\n"
    assert path.read_bytes().startswith(magic)


def never_train(*args, **kwargs):
    raise AssertionError("trained before the plot target was checked")


def plot_target_cases(tmp_path):
    """Mistakes every OS can make; /proc (a file system that refuses writes whatever the
    permission bits say) only where there is one."""
    not_a_file = tmp_path / "folder.png"
    not_a_file.mkdir()
    cases = [
        ("", "--plot needs a file name"),
        (str(tmp_path / "loss.jpg"), "cannot tell the plot format from"),
        (
            str(tmp_path / "missing" / "p.png"),
            f"cannot write the plot to {str(tmp_path / 'missing' / 'p.png')!r}",
        ),
        (str(not_a_file), "it exists and is not a regular file"),
    ]
    if sys.platform.startswith("linux"):
        cases.append(("/proc/p.png", "cannot write the plot to '/proc/p.png'"))
    return cases


def test_every_plot_mistake_is_found_before_training(capsys, tmp_path, monkeypatch):
    example = registry.get(SHORT_TRACE)
    monkeypatch.setitem(
        registry.EXAMPLES, SHORT_TRACE, dataclasses.replace(example, train=never_train)
    )
    for path, fragment in plot_target_cases(tmp_path):
        status, out, err = run(capsys, "trace", SHORT_TRACE, "--plot", path)
        assert (status, out) == (2, ""), path
        assert fragment in err and err.count("\n") == 1, (path, err)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    status, _, err = run(capsys, "trace", SHORT_TRACE, "--plot", str(tmp_path / "p.png"))
    assert status == 2 and "--plot needs matplotlib: pip install" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "folder.png"]  # the trial writes left nothing


def test_a_loss_that_falls_by_decades_is_plotted_on_a_log_scale():
    falling = {"step_loss": [5.0, 0.5, 1e-3, 1e-5], "epoch_loss": [2.0, 1e-4]}
    flat = {"step_loss": [0.0380, 0.0379, 0.0378], "epoch_loss": [0.0380, 0.0379, 0.0378]}
    for trace, scale in [(falling, "log"), (flat, "linear")]:
        figure = plots.loss_figure("t", trace)
        axes = figure.axes[0]
        assert axes.get_yscale() == scale
        assert all(float(t).is_integer() for t in axes.get_xticks())


def test_trace_text_is_rounded_and_fits(capsys):
    status, out, _ = run(capsys, "trace", SHORT_TRACE)
    assert status == 0 and widest(out) <= WIDTH
    assert "final_weights: {shared_linear.weight: [[0.2295, -0.1978" in out


# --- the entry points -----------------------------------------------------------------------------


def test_the_console_script_uses_its_own_name(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: torch-builders-reference ")
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert 'torch-builders-reference = "reference.cli:main"' in pyproject


def test_help_does_not_import_torch():
    """`python -m reference --help` answers without importing torch (seconds on a cold cache)."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['reference', '--help']\n"
        "try:\n"
        "    runpy.run_module('reference', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert done.code == 0\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        encoding="utf-8",
        check=True,
        timeout=60,
    )
    assert done.stdout.startswith("usage: python -m reference ")
    assert done.stdout.rstrip().endswith("False")


def test_output_is_utf8_whatever_the_console_encoding(monkeypatch):
    """A cp1252 console (Windows) cannot encode the documents' Chinese or ≠: the command writes
    UTF-8 instead of ending in a UnicodeEncodeError."""
    import io

    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", console)
    assert main(["run", "parallel_module"]) == 0
    console.flush()
    assert "拼接" in raw.getvalue().decode("utf-8")


def test_a_closed_pipe_ends_quietly_with_the_documented_status(monkeypatch, capsys):
    """`python -m reference list | head -1`: no traceback, status 141 (as a shell reports SIGPIPE)."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader went away, as head does after its line
    pipe = open(write_end, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        assert main(["list"]) == CLOSED_PIPE
    finally:
        with contextlib.suppress(OSError):
            pipe.close()
    assert capsys.readouterr().err == ""


class ReaderGone(io.RawIOBase):
    """A pipe whose reader went away: every write fails with `error` (until it is None)."""

    def __init__(self, error: OSError | None):
        self.error = error

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.error is not None:
            raise self.error
        return len(data)


EINVAL = OSError(errno.EINVAL, "Invalid argument")
EPIPE = BrokenPipeError(errno.EPIPE, "Broken pipe")
NO_SPACE = OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    ("windows", "error", "quiet"),
    [(True, EINVAL, True), (False, EPIPE, True), (False, EINVAL, False), (True, NO_SPACE, False)],
    ids=["windows-einval", "posix-epipe", "posix-einval", "windows-enospc"],
)
def test_a_closed_pipe_ends_quietly_on_every_system(monkeypatch, capsys, windows, error, quiet):
    """Windows' C runtime reports a write to a pipe whose reader went away as EINVAL
    (python/cpython#79935): there it ends quietly as EPIPE does everywhere. EINVAL elsewhere, and
    any other error, keeps its traceback."""
    raw = ReaderGone(error)
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8"))
    monkeypatch.setattr(cli, "ON_WINDOWS", windows)
    try:
        if quiet:
            assert main(["list"]) == CLOSED_PIPE
            assert capsys.readouterr().err == ""
        else:
            with pytest.raises(OSError) as raised:
                main(["list"])
            assert raised.value is error
    finally:
        raw.error = None  # the wrapper's last flush, when it is collected, succeeds


def test_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys):
    def interrupted(args):
        print("a first line")
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "list_examples", interrupted)
    assert main(["list"]) == INTERRUPTED == 130
    assert capsys.readouterr().err == "torch-builders-reference: interrupted\n"


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(pid, SIGINT) terminates on Windows")
def test_a_real_sigint_ends_the_process_with_one_line_and_status_130():
    """The signal itself, in a process of its own: Python's handler raises KeyboardInterrupt
    where the command is, and the process exits 130 with one line."""
    script = (
        "import os, signal, sys\n"
        "from reference import cli\n"
        "cli.list_examples = lambda args: (os.kill(os.getpid(), signal.SIGINT), signal.pause())\n"
        "sys.exit(cli.main(['list'], prog='python -m reference'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, encoding="utf-8", timeout=20
    )  # below pytest's 30 s: a hang fails here, and subprocess kills the child
    assert (done.returncode, done.stderr, done.stdout) == (
        130,
        "python -m reference: interrupted\n",
        "",
    )


# --- every command fits the terminal --------------------------------------------------------------

COMMANDS = [
    (argv, columns)
    for argv in (
        [],
        ["list"],
        ["trace", "train_shared_weight_net"],
        ["survival", "--matrix", "docs/survival"],
    )
    for columns in (80, 100)
]
# Each example's `run` at the narrower width (the wider one lays out the same text, less wrapped).
COMMANDS += [(["run", name], 80) for name in registry.names()]


@pytest.mark.parametrize(
    ("argv", "columns"), COMMANDS, ids=[f"{' '.join(a) or 'all'}-{c}" for a, c in COMMANDS]
)
def test_every_command_fits_the_terminal(capsys, monkeypatch, argv, columns):
    """80 columns in a narrow terminal, 100 where the output is not a terminal, counted as a
    terminal counts them (a Chinese character takes two)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    status, out, _ = run(capsys, *argv)
    assert status == 0
    too_wide = [line for line in out.splitlines() if display_width(line) > columns]
    assert too_wide == []


def test_the_loss_plot_is_honest_and_shows_the_sharing():
    """A 2% fall drawn from zero, not across the whole axis; the step line above the epoch means;
    the shared layer's gradient beside the loss where the trace records it."""
    small_fall = registry.get("train_shared_weight_net").train("cpu")
    figure = plots.loss_figure("w", small_fall)
    loss, sharing = figure.axes
    assert loss.get_yscale() == "linear" and loss.get_ylim()[0] == 0
    assert "one update a step: yes" in sharing.get_title()
    assert len(sharing.get_lines()) == 1 + 2 * 5  # the zero line and ten gradient entries
    decades = {"step_loss": [5.0, 1.0, 0.5, 0.01], "epoch_loss": [3.0, 0.255]}
    (axes,) = plots.loss_figure("r", decades).axes
    assert axes.get_yscale() == "log"
    epoch_line, step_line = axes.get_lines()
    assert step_line.get_zorder() > epoch_line.get_zorder()
    assert list(step_line.get_xdata()) == [1, 2, 3, 4]  # steps count from 1


def test_a_long_word_breaks_only_after_a_dot_or_between_chinese_characters():
    from reference.layout import breakable, narrowest_width

    dotted = "'state.decoder.parametrizations.weight.original.step';"
    assert breakable(dotted, 40) == ["'state.decoder.parametrizations.weight.", "original.step';"]
    assert "".join(breakable(dotted, 10)) == dotted
    assert breakable("parametrizations_without_a_dot", 10) == ["parametrizations_without_a_dot"]
    assert breakable("深度学习计算", 6) == ["深度学", "习计算"]
    assert narrowest_width(dotted) == len("parametrizations.")
