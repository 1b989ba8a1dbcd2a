"""The command line, as a user meets it: what each command shows, and one line for each mistake.

Commands run in-process through `main([...])` (a subprocess would pay for `import torch` each
time); one subprocess checks what only a fresh interpreter can: `--help` without torch.
"""

import contextlib
import dataclasses
import errno
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import torch

from reference import cli, documents, layout, plots, registry, survival_command
from reference.cli import (
    CLOSED_PIPE,
    INTERRUPTED,
    PROG,
    Failure,
    find_example,
    main,
    show_example,
)
from reference.layout import display_width, render_table
from reference.probes import left_behind, summary, ties_in_forward, values
from reference.seeding import available_devices
from reference.summary_text import (
    PACKAGE_PARENT,
    number,
    render_summary,
    ties_cell,
    where_to_read,
)

WIDTH = 100
# The checkout's files (README, pyproject, docs), found from here: tox installs the package
# into site-packages, where `reference.__file__` has no README beside it.
REPOSITORY = Path(__file__).resolve().parents[1]
SHORT_TRACE = "train_shared_weight_net"


@pytest.fixture(autouse=True)
def hundred_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def run(capsys, *argv):
    """Exit status, stdout, stderr of one command."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# Test ids are ASCII (a tool passing ids back to pytest must find them): the Chinese words of the
# cases by what they mean.
IN_ENGLISH = {
    "自定义层": "custom-layers",
    "实例化网络": "instantiating",
    "参数共享": "parameter-sharing",
    "共享": "sharing",
    "初始化": "initialization",
    "带参数的层": "layers-with-parameters",
    "不带参数的层": "layers-without",
    "延后初始化": "lazy-init",
    "§": "par",
}


def ascii_id(value) -> str:
    text = " ".join(value) if isinstance(value, list) else str(value)
    for words, english in IN_ENGLISH.items():
        text = text.replace(words, english)
    assert text.isascii(), text
    return text


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
        # The GPU by the name a learner uses; what this machine has.
        (
            ["run", "mlp", "--device", "gpu"],
            "device 'gpu' is not a torch device: torch calls an NVIDIA GPU 'cuda' (or cuda:N, the "
            f"N-th); available: {', '.join(available_devices())}",
        ),
        # An unknown option: the help of the command it was given to, and the option it may mean.
        (
            ["run", "mlp", "--devcie", "cpu"],
            f"unrecognized arguments: --devcie cpu; did you mean --device? (see {PROG} run --help)",
        ),
        (
            ["trace", SHORT_TRACE, "--plt", "l.png"],
            f"did you mean --plot? (see {PROG} trace --help)",
        ),
        (["survival", "--bogus"], f"unrecognized arguments: --bogus (see {PROG} survival --help)"),
        (["list", "extra"], f"unrecognized arguments: extra (see {PROG} list --help)"),
        (["--bogus"], f"unrecognized arguments: --bogus (see {PROG} --help)"),
        # A book section's title or number, in either edition, or a document's words: the examples
        # they name, and where each was found.
        (
            ["run", "自定义层"],
            "unknown example '自定义层'. Did you mean: centered_layer, my_linear (section 5.4 "
            "自定义层 (6.5 Custom Layers))? (torch-builders-reference list lists all)",
        ),
        (["run", "6.5"], "Did you mean: centered_layer, my_linear (section 5.4 自定义层"),
        (
            ["run", "实例化网络"],
            "Did you mean: lazy_mlp (section 5.3 延后初始化, 5.3.1 实例化网络 (6.4 Lazy "
            "Initialization))?",
        ),
        (
            ["run", "参数共享"],
            "Did you mean: parameter_list_chain, parameter_dict_chain, functional_linear, "
            "weight_norm (the document's words their claims quote); param_access_mlp, "
            "nested_blocks, tied_sequential, tied_autoencoder and 2 more (the title of document "
            "001); conv_shared_transpose, he_init_conv, linear_net_transpose, linear_net_mm and 3 "
            "more (the title of document 002)?",
        ),
        (["trace", "共享"], "Did you mean: shared_weight_net, tied_sequential, "),
        (["run", "load"], "Did you mean: mlp_clone (what it shows)?"),
    ],
    ids=lambda value: ascii_id(value) if isinstance(value, list) else "",
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


def test_run_names_the_books_chapter_and_section_as_the_chinese_edition_does(capsys):
    _, out, _ = run(capsys, "run", "my_linear")
    assert "  document  d2l-zh-ch5  动手学深度学习 5 深度学习计算 (6 Builders' Guide)\n" in out
    assert "  section   5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)\n" in out


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


# --- open: the class or function that builds the model --------------------------------------------

ENTRIES = {**registry.EXAMPLES, **survival_command.tied_models_as_examples()}
BUILDS = [(name, None) for name in ENTRIES] + [
    (name, label) for name, example in ENTRIES.items() for label, _ in example.variants
]


@pytest.mark.parametrize(("name", "variant"), BUILDS, ids=[f"{n}-{v}" for n, v in BUILDS])
def test_open_names_the_class_or_function_at_its_line_never_a_lambda(name, variant):
    """Each line of `open` is 'file:line  name', and the file's line there defines that name (a
    class or a def, under its decorators); a lambda or a partial in the registry entry is
    followed to what it calls."""
    lines = where_to_read(ENTRIES[name], variant)
    assert lines and not any("lambda" in line for line in lines), lines
    for line in lines:
        place, shown = line.split()
        path, number = place.rsplit(":", 1)
        source = (PACKAGE_PARENT / path).read_text(encoding="utf-8").splitlines()[int(number) - 1 :]
        defined = next(s.strip() for s in source if not s.lstrip().startswith("@"))
        assert re.match(rf"(class|def) {shown.split('(')[0]}\b", defined), (line, defined)


@pytest.mark.parametrize(
    ("name", "variant", "first"),
    [
        ("my_linear", None, "MyLinear"),  # build=lambda: MyLinear(5, 3)
        ("init_functions", "init_normal", "init_normal"),  # lambda: applied(init_normal)
        ("init_functions", "init_constant", "init_constant"),
        ("init_functions", "my_init", "my_init"),
        ("nest_mlp", "second_definition", "NestMLP(out_features=20)"),  # a functools.partial
    ],
)
def test_open_follows_a_lambda_or_a_partial(capsys, name, variant, first):
    status, out, _ = run(capsys, "run", name, *(["--variant", variant] if variant else []))
    opened = next(line for line in out.splitlines() if line.startswith("  open "))
    assert status == 0 and opened.endswith(f"  {first}"), opened


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
    assert "d2l  动手学深度学习 5 深度学习计算 (6 Builders' Guide)" in out
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
    # The book's examples under its sections as the Chinese edition numbers them, the English
    # edition's in brackets; a subsection before what the example shows.
    book = out[out.index(f"{documents.BOOK}  动手学深度学习 5 深度学习计算 (6 Builders' Guide)") :]
    headings = [line.strip() for line in book.splitlines() if line.startswith("  5.")]
    assert headings[:5] == [
        "5.1 层和块 (6.1 Layers and Modules)",
        "5.2 参数管理 (6.2 Parameter Management, 6.3 Parameter Initialization)",
        "5.3 延后初始化 (6.4 Lazy Initialization)",
        "5.4 自定义层 (6.5 Custom Layers)",
        "5.5 读写文件 (6.6 File I/O)",
    ]
    assert headings[5].startswith("5.6 GPU (6.7 GPUs): no example of its own; `")
    assert "\n    lazy_mlp          5.3.1 实例化网络: LazyLinear(256), ReLU" in book
    assert "5.1.3 在前向传播函数中执行代码 (older edition): FancyMLP" in " ".join(book.split())
    assert "§6" not in out and "d2l-ch6" not in out
    assert "[variants: init_normal, init_constant, my_init]" in " ".join(out.split())
    assert "registered_lm_head" in out


def test_list_json_splits_the_source(capsys):
    _, out, _ = run(capsys, "list", "--json")
    entries = {e["name"]: e for e in json.loads(out)}
    assert entries["lazy_mlp"] == {
        "name": "lazy_mlp",
        "kind": "example",
        "document": "d2l-zh-ch5",
        "title": "动手学深度学习 5 深度学习计算 (6 Builders' Guide)",
        "section": "5.3 延后初始化, 5.3.1 实例化网络 (6.4 Lazy Initialization)",
        "shows": "LazyLinear(256), ReLU, LazyLinear(10); sizes inferred at the first forward",
        "variants": [],
        "trains": False,
    }
    assert entries["registered_lm_head"]["kind"] == "survival table model"
    assert set(entries) == set(registry.names()) | {
        "registered_lm_head",
        "parametrized_autoencoder",
    }


def test_a_table_heading_stands_over_its_column_at_any_width():
    """The heading of a wrapped column wraps with it ("claims: verdicts" was wider than its column
    at 80, and the columns right of it no longer lined up): every word of a heading lies within the
    dashes under it."""
    header = ["example", "doc", "claims: verdicts", "ties"]
    rows = [
        ["shared_weight_net", "000", "holds; false; holds only when [2]", "a = b (weight, bias)"]
    ]
    for width in (30, 40, 60, 100):
        lines = render_table(header, rows, wrap=(2, 3), width=width).splitlines()
        rule = next(k for k, line in enumerate(lines) if set(line) <= {"-", " "})
        columns = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rule])]
        words = [(m.start(), m.end()) for line in lines[:rule] for m in re.finditer(r"\S+", line)]
        assert all(any(a <= s and e <= b for a, b in columns) for s, e in words), lines[: rule + 1]
        assert sorted(w for line in lines[:rule] for w in line.split()) == sorted(
            " ".join(header).split()
        )


# --- the book as its Chinese edition numbers it ----------------------------------------------------


def test_every_book_example_labels_its_section_as_the_chinese_edition_does():
    """'5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)': the section and subsection as zh.d2l.ai
    numbers and names them, the English edition's section in brackets; an example of another
    document has none."""
    for name, example in registry.EXAMPLES.items():
        if example.document == documents.BOOK:
            assert documents.label_problem(example.section) == "", name
        else:
            assert example.section == "", name


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ("§6.5 Custom Layers", "is not '5.N"),
        (
            "5.4 自定义层, 5.4.2 带参数的层 (6.4 Lazy Initialization)",
            "should read '5.4 自定义层, 5.4.2",
        ),
        (
            "5.4 自定义层, 5.4.9 带参数的层 (6.5 Custom Layers)",
            "no subsection 5.4.9 in 5.4 自定义层",
        ),
        ("5.4 自定义层, 5.4.2 不带参数的层 (6.5 Custom Layers)", "should read"),
        ("5.9 自定义层 (6.5 Custom Layers)", "no section 5.9"),
    ],
    ids=["english-only", "wrong-english", "no-such-subsection", "wrong-title", "no-such-section"],
)
def test_a_label_unlike_the_book_is_caught(label, problem):
    assert problem in documents.label_problem(label)


def test_the_pages_and_the_command_line_number_the_book_alike():
    """reference/pages.py keeps its own table of the sections (with the page of each): both say the
    same numbers, titles and files, and the same English sections."""
    from reference import pages

    assert [(s.number, s.title, s.file) for s in pages.SECTIONS] == [
        (s.number, s.title, s.file) for s in documents.SECTIONS
    ]
    assert [[(e.number, e.title) for e in s.english] for s in pages.SECTIONS] == [
        [(n, documents.ENGLISH[n]) for n in s.english] for s in documents.SECTIONS
    ]


def d2l_zh_source() -> Path | None:
    """A clone of d2l-ai/d2l-zh (bare or not) beside the project, where one is at hand."""
    for folder in (REPOSITORY, *REPOSITORY.parents):
        for candidate in (folder / ".mirror" / "d2l-ai+d2l-zh" / "repo", folder / "d2l-zh"):
            if (candidate / "HEAD").is_file() or (candidate / ".git").exists():
                return candidate
    return None


D2L_ZH = d2l_zh_source()


@pytest.mark.skipif(D2L_ZH is None, reason="no clone of d2l-ai/d2l-zh beside the project")
def test_the_sections_and_subsections_are_the_books_headings():
    """The chapter's toc (index.md) gives the sections' files in order; each file's `#` heading is
    the section's title and its `##` headings are the subsections, in order (zh.d2l.ai numbers
    them so), the markup of the book's headings ([** **], (** **)) left out."""

    def show(name: str) -> str:
        return subprocess.run(
            ["git", "-C", str(D2L_ZH), "show", f"HEAD:chapter_deep-learning-computation/{name}"],
            capture_output=True, encoding="utf-8", check=True, timeout=30,
        ).stdout  # fmt: skip

    toc = show("index.md").split("```toc", 1)[1].split("```", 1)[0].splitlines()
    files = [line.strip() for line in toc if line.strip() and not line.startswith(":")]
    assert [s.file for s in documents.SECTIONS] == files
    for section in documents.SECTIONS:
        headings, in_code = [], False
        for line in show(f"{section.file}.md").splitlines():
            in_code ^= line.startswith("```")  # a comment in the code is no heading
            if not in_code and re.match(r"#+ ", line):
                headings.append(line)
        plain = [re.sub(r"[\[\]()*]", "", h.split(" ", 1)[1]).strip() for h in headings]
        levels = [h.split(" ", 1)[0] for h in headings]
        assert plain[levels.index("#")] == section.title
        assert [p for p, level in zip(plain, levels, strict=True) if level == "##"] == [
            s.title for s in section.subsections
        ], section.number


# --- finding an example by what a learner knows of it --------------------------------------------


@pytest.mark.parametrize(
    "query", ["参数共享", "自定义层", "初始化", "5.1", "6.3", "linear", "003"], ids=ascii_id
)
def test_each_example_found_holds_the_words_where_the_suggestion_says(query):
    """Every example `search` names holds the words (ignoring case) in the place it is said to: its
    section, what it shows, its claims' quotes, its document's title or file name."""
    found = registry.search(query, ENTRIES)
    assert found
    text = query.casefold()
    for group in found:
        for name in group.names:
            example = ENTRIES[name]
            where = {
                "a close name": name in registry.close_names(query, ENTRIES),
                "section": example.section != ""
                and any(
                    text in words.casefold()
                    for words in (example.section, documents.section_of(example.section).label)
                ),
                "what": text in example.shows.casefold(),
                "the document's words": any(text in c.quote.casefold() for c in example.claims),
                "the title": text in documents.DOCUMENTS[example.document].title.casefold(),
                "the file name": text in example.document.casefold(),
            }
            assert next(v for k, v in where.items() if group.where.startswith(k)), (name, group)


def test_every_source_names_a_known_document():
    for name in registry.names():
        example = registry.get(name)
        source = documents.described(example.document, example.section, example.shows)
        assert source.document.name in documents.DOCUMENTS, name
        assert source.shows and not source.shows.startswith("chapter"), name


# --- trace and plots ------------------------------------------------------------------------------


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
    assert status == 2 and "--plot needs matplotlib: pip install -e '.[plot]' in the project" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "folder.png"]  # the trial writes left nothing


def test_every_heat_map_mistake_names_heatmap_and_writes_nothing(capsys, tmp_path, monkeypatch):
    """The heat map's path is checked as a plot's is, but the user typed --heatmap: the one line
    names that, never --plot."""
    matrix = str(Path(__file__).resolve().parent.parent / "docs" / "survival")
    for path, fragment in plot_target_cases(tmp_path):
        status, out, err = run(capsys, "survival", "--matrix", matrix, "--heatmap", path)
        assert (status, out) == (2, ""), path
        fragment = fragment.replace("--plot", "--heatmap")
        assert fragment in err and err.count("\n") == 1, (path, err)
        assert "--heatmap" in err and "--plot" not in err, err
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    status, _, err = run(capsys, "survival", "--matrix", matrix, "--heatmap", str(tmp_path / "h.png"))  # fmt: skip
    assert status == 2 and "--heatmap needs matplotlib: pip install -e '.[plot]' in the" in err
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
    assert "final_weights:\n  shared_linear.weight   0.2295 -0.1978 " in out


@pytest.mark.parametrize("columns", [80, 100])
def test_the_trace_shows_its_epochs_as_a_table(capsys, monkeypatch, columns):
    """An epoch a row: its mean loss, and each matrix it records a row to a line, every number under
    the one above it; the tables split where the terminal is too narrow for all of them."""
    monkeypatch.setenv("COLUMNS", str(columns))
    trace = registry.get(SHORT_TRACE).train("cpu")
    _, out, _ = run(capsys, "trace", SHORT_TRACE)
    lines = out.splitlines()
    keys = ["shared_weight_rows", "shared_grad_rows"]
    headings = [k for k, line in enumerate(lines) if line.startswith("epoch  ")]
    together = columns == 100  # 82 columns for both matrices: apart at 80
    assert [lines[k].split() for k in headings] == (
        [["epoch", "mean", "loss", *keys]]
        if together
        else [["epoch", "mean", "loss", keys[0]], ["epoch", keys[1]]]
    )
    for key in keys:
        heading = next(k for k in headings if key in lines[k])
        at = lines[heading].index(key)
        end = at + len(lines[heading + 1][at:].split(" ")[0])  # the dashes under the heading
        for epoch, entry in enumerate(trace["epochs"], start=1):
            first = heading + 2 + 2 * (epoch - 1)  # the rule, then two lines an epoch
            assert lines[first].startswith(f"{epoch:>5}  ")
            if heading == headings[0]:
                assert lines[first].split()[1] == f"{trace['epoch_loss'][epoch - 1]:.6g}"
            for k, row in enumerate(entry[key]):
                cells = lines[first + k][at:end]
                assert cells.split() == [number(x) for x in row], (key, epoch, k)
                # right-aligned: each number ends where the one above it ends
                ends = [m.end() for m in re.finditer(r"\S+", cells)]
                assert ends == [m.end() for m in re.finditer(r"\S+", lines[first][at:end])]
    assert (
        "shared_grad_identical_every_step: true\nshared_layer_updated_once_every_step: true" in out
    )
    assert "{" not in out  # no inline dict left


def test_the_legends_are_clear_of_every_line():
    """Each legend lies in the figure and crosses no line of any panel (the gradient panel's, inside
    its axes, covered two of its ten lines)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    traces = [
        registry.get(SHORT_TRACE).train("cpu"),
        {"step_loss": [5.0, 1.0, 0.5, 0.01], "epoch_loss": [3.0, 0.255]},
        {"step_loss": [0.07, 0.071, 0.072, 0.073], "epoch_loss": [0.0705, 0.0725]},  # near the top
        # A loss that swings over the whole panel: no corner inside it is free.
        {"step_loss": [1.0, 0.1] * 50, "epoch_loss": [0.55] * 10},
    ]
    for trace in traces:
        figure = plots.loss_figure("t", trace)
        FigureCanvasAgg(figure).draw()
        lines = [line for axes in figure.axes for line in axes.get_lines()]
        for axes in figure.axes:
            box = axes.get_legend().get_window_extent()
            assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1
            assert figure.bbox.y0 <= box.y0 and box.y1 <= figure.bbox.y1
            for line in lines:
                path = line.get_transform().transform_path(line.get_path())
                assert not path.intersects_bbox(box, filled=False), (line.get_label(), box)


# --- hints: what to do next, in the one line ------------------------------------------------------


def test_a_model_that_needs_transformers_says_what_to_install(capsys, monkeypatch):
    """Without transformers, a Hugging Face model names the project's extra that installs it, and
    the requirement behind it, as pyproject.toml declares them."""
    monkeypatch.setitem(sys.modules, "transformers", None)  # as if not installed
    status, out, err = run(capsys, "survival", "--model", "reference.real_models:gpt2")
    assert (status, out, err.count("\n")) == (2, "", 1)
    extras = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    requirement = extras["project"]["optional-dependencies"]["hf"][0]
    assert requirement.startswith("transformers")
    assert (
        "--model 'reference.real_models:gpt2' needs transformers, not installed: "
        f"pip install -e '.[hf]' in the project's folder (or: pip install '{requirement}')"
    ) in err


def test_the_hint_names_the_smallest_extra_that_installs_the_module():
    """matplotlib is in the test extra and in the plot extra: the plot extra installs it alone."""
    from reference.errors import install_hint

    assert install_hint("matplotlib.figure").startswith("pip install -e '.[plot]' ")
    assert install_hint("no_such_module_anywhere") == ""


def test_a_factory_missing_a_module_no_extra_declares_says_so(capsys, monkeypatch, tmp_path):
    (tmp_path / "needs_nothing_known.py").write_text(
        "def model():\n    import no_such_module_anywhere\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    status, _, err = run(capsys, "survival", "--model", "needs_nothing_known:model")
    assert status == 2 and "the factory failed: No module named 'no_such_module_anywhere'" in err
    assert "pip install" not in err


def bad_results(folder: Path) -> dict[Path, str]:
    cases = {
        "not-json.json": ("{", "Expecting property name"),
        "a-list.json": ("[1]", "a JSON list, not an object"),
        "no-rows.json": ('{"torch": "2.0"}', "no 'rows', 'legend', 'models', 'notes'"),
        "bad-row.json": (
            '{"torch": "2.0", "rows": [{"model": "m"}], "legend": {}, "models": {}, "notes": {}}',
            "row 1 is not an object with strings 'model', 'operation', 'outcome'",
        ),
    }
    found = {}
    for name, (text, problem) in cases.items():
        (folder / name).write_text(text, encoding="utf-8")
        found[folder / name] = problem
    (folder / "undecodable.json").write_bytes(b"\xff\xfe")
    found[folder / "undecodable.json"] = "can't decode byte 0xff"
    return found


def test_a_bad_matrix_file_is_named_with_what_is_wrong(capsys, tmp_path):
    for path, problem in bad_results(tmp_path).items():
        status, out, err = run(capsys, "survival", "--matrix", "docs/survival", str(path))
        assert (status, out, err.count("\n")) == (2, "", 1), err
        assert f"{path} is not a `survival --json` result: " in err and problem in err


def test_a_bad_file_in_a_matrix_folder_is_named(capsys, tmp_path):
    good = sorted((REPOSITORY / "docs" / "survival").glob("*.json"))[0]
    (tmp_path / good.name).write_bytes(good.read_bytes())
    (tmp_path / "zz-broken.json").write_text("[]", encoding="utf-8")
    status, _, err = run(capsys, "survival", "--matrix", str(tmp_path))
    assert status == 2 and f"{tmp_path / 'zz-broken.json'} is not a `survival --json`" in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: cuda is a device")
def test_cuda_where_torch_sees_none_says_so(capsys):
    status, _, err = run(capsys, "run", "mlp", "--device", "cuda")
    assert status == 2
    assert "device 'cuda' is not available here: torch sees no CUDA device; available: cpu" in err


def test_the_text_table_says_what_to_install_where_the_json_does(capsys, monkeypatch):
    """The text names the package to install in every row whose JSON outcome does."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda module, *a: None if module.startswith("safetensors") else find_spec(module, *a),
    )
    argv = ["survival", "--model", "registered_lm_head", "--operation", "safetensors"]
    _, out, _ = run(capsys, *argv, "--json")
    outcomes = {r["outcome"] for r in json.loads(out)["rows"]}
    assert outcomes == {"not installed: pip install safetensors"}
    _, text, _ = run(capsys, *argv)
    for line in text.splitlines():
        if line.startswith("safetensors"):
            assert line.endswith("not installed: pip install safetensors"), line


# --- the entry points -----------------------------------------------------------------------------


def test_the_readmes_sample_is_what_the_command_prints(capsys, monkeypatch):
    """The README's first screen shows lines of `python -m reference` at 100 columns: each stretch
    between its "…" lines is a stretch of what the command prints now."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    marker = "<!-- python -m reference, at 100 columns"
    block = readme.split(marker, 1)[1].split("```text\n", 1)[1].split("\n```", 1)[0]
    monkeypatch.setenv("COLUMNS", "100")
    status, out, _ = run(capsys)
    stretches = block.split("\n…\n")
    assert status == 0 and len(stretches) == 3
    assert out.startswith(stretches[0]) and out.endswith(stretches[-1] + "\n")
    assert all(stretch in out for stretch in stretches)


def test_version_names_the_project_torch_and_python(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    python = ".".join(map(str, sys.version_info[:3]))
    project = metadata.version("torch-builders-reference")
    assert done.value.code == 0
    assert capsys.readouterr().out == (
        f"torch-builders-reference {project} (torch {torch.__version__}, Python {python})\n"
    )


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
        timeout=25,  # below pytest-timeout's 30 s, so a hang is named here
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
        # A suite started in the background (`nohup`, `&` in a script) passes SIGINT on ignored,
        # and Python then installs no handler: the signal would be lost and the child would wait
        # for 20 s. A terminal never starts the command so; Python's own handler, as it starts.
        "if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:\n"
        "    signal.signal(signal.SIGINT, signal.default_int_handler)\n"
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
        ["trace", "train_shared_regression"],
        ["survival", "--matrix", "docs/survival"],
    )
    for columns in (80, 100)
]


@pytest.mark.parametrize(
    ("argv", "columns"), COMMANDS, ids=[f"{' '.join(a) or 'all'}-{c}" for a, c in COMMANDS]
)
def test_every_command_fits_the_terminal(capsys, monkeypatch, argv, columns):
    """80 columns in a narrow terminal, 100 in a wide one (and where COLUMNS says so), counted as a
    terminal counts them (a Chinese character takes two)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    status, out, _ = run(capsys, *argv)
    assert status == 0
    too_wide = [line for line in out.splitlines() if display_width(line) > columns]
    assert too_wide == []


@pytest.mark.parametrize(("name", "variant"), BUILDS, ids=[f"{n}-{v}" for n, v in BUILDS])
def test_every_run_fits_the_terminal(monkeypatch, name, variant):
    """`run NAME [--variant LABEL]` for every example, variant and survival model, laid out at 80
    and at 100 columns from one summary (what `show_example` prints: the summary is the cost)."""
    example, device = ENTRIES[name], torch.device("cpu")
    data = summary(example, device, variant)
    extra = {"values": values(example, device, variant), "in_forward": data["ties_in_forward"]}
    for columns in (80, 100):
        monkeypatch.setenv("COLUMNS", str(columns))
        text = render_summary(data, example, variant, device, extra)
        assert [line for line in text.splitlines() if display_width(line) > columns] == []


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


def test_the_width_is_columns_else_the_terminal_else_80(monkeypatch):
    monkeypatch.setattr(layout, "terminal_columns", lambda: 90)
    assert layout.terminal_width() == 100 - 0 * 90  # COLUMNS=100, set by the fixture, wins
    monkeypatch.delenv("COLUMNS")
    assert layout.terminal_width() == 90
    for columns, width in [(None, 80), (200, 100), (40, 60), (0, 80)]:
        monkeypatch.setattr(layout, "terminal_columns", lambda columns=columns: columns)
        assert layout.terminal_width() == width, columns
    monkeypatch.setenv("COLUMNS", "72")
    assert layout.terminal_width() == 72
    monkeypatch.setenv("COLUMNS", "wide")  # not a number: as if unset
    assert layout.terminal_width() == 80


class Stream:
    """A standard stream on the file descriptor the test chooses; the rest is the real stream's (a
    tool around pytest may write to sys.__stdout__ meanwhile: mutmut's progress line does)."""

    def __init__(self, fd, real):
        self.fd, self.real = fd, real

    def fileno(self):
        return self.fd

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize(
    ("terminals", "tty", "columns"),
    [
        ({1: 120, 2: 70}, None, 120),  # stdout is a terminal: its width
        ({2: 70, 0: 90}, None, 70),  # `| less`: the terminal stderr is
        ({0: 90}, None, 90),  # `2>&1 | less`: stdin's
        ({}, 77, 77),  # everything redirected: the controlling terminal
        ({1: 0, 2: 66}, None, 66),  # a terminal that says 0 columns says nothing
        ({}, None, None),  # no terminal at all (CI, cron)
    ],
)
def test_piped_output_follows_the_terminal_it_ends_in(monkeypatch, terminals, tty, columns):
    def size(fd):
        if fd in terminals:
            return os.terminal_size((terminals[fd], 24))
        if fd == TTY and tty is not None:
            return os.terminal_size((tty, 24))
        raise OSError(errno.ENOTTY, "not a terminal")

    def open_tty(path, flags):
        if path != "/dev/tty" or tty is None:
            raise OSError(errno.ENXIO, "no controlling terminal")
        return TTY

    closed = []
    monkeypatch.setattr(layout.os, "get_terminal_size", size)
    monkeypatch.setattr(layout.os, "open", open_tty)
    real_close = os.close
    monkeypatch.setattr(
        layout.os, "close", lambda fd: closed.append(fd) if fd == TTY else real_close(fd)
    )
    for name, fd in (("__stdout__", 1), ("__stderr__", 2), ("__stdin__", 0)):
        monkeypatch.setattr(sys, name, Stream(fd, getattr(sys, name)))
    assert layout.terminal_columns() == columns
    assert closed == ([TTY] if tty is not None and not terminals else [])


TTY = 10_000  # a file descriptor no test opens


def test_output_where_no_terminal_is_known_is_laid_out_for_80_columns(capsys, monkeypatch):
    monkeypatch.delenv("COLUMNS")
    monkeypatch.setattr(layout, "terminal_columns", lambda: None)
    _, out, _ = run(capsys, "list")
    assert 76 <= widest(out) <= 80  # laid out for 80, not the 100 it was


def test_a_long_word_breaks_only_after_a_dot_or_between_chinese_characters():
    from reference.layout import breakable, narrowest_width

    dotted = "'state.decoder.parametrizations.weight.original.step';"
    assert breakable(dotted, 40) == ["'state.decoder.parametrizations.weight.", "original.step';"]
    assert "".join(breakable(dotted, 10)) == dotted
    assert breakable("parametrizations_without_a_dot", 10) == ["parametrizations_without_a_dot"]
    assert breakable("深度学习计算", 6) == ["深度学", "习计算"]
    assert narrowest_width(dotted) == len("parametrizations.")
