"""The learners' pages (docs/learn/, `python -m reference pages`): the committed pages are what the
code gives now, every link and image they name resolves, every entry of `list` is on exactly one
page, and the index links every page.

The Markdown is generated in-process once for the module (every example run on the CPU, every
claim's check and counter-case: a few seconds); the images are not drawn again here but compared by
what they were drawn from (a digest of the trace and the plotting code, which the page and the PNG
both carry), and one is drawn twice to see that drawing is reproducible to the byte.
"""

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
import torch

from reference import cli, pages

REPOSITORY = Path(__file__).resolve().parents[1]
COMMITTED = REPOSITORY / pages.DEFAULT_OUT
REGENERATE = "python -m reference pages"


@pytest.fixture(scope="module")
def entries():
    return pages.collect()


@pytest.fixture(scope="module")
def rendered(entries):
    return pages.render(entries, COMMITTED, REPOSITORY)


MADE_ON = re.compile(r"on torch (\S+), on the CPU \((\S+) kernels\)")


def committed_environment() -> tuple[str, str]:
    """The torch release and the CPU kernels the committed pages were made on, as their index says."""
    index = (COMMITTED / pages.INDEX).read_text(encoding="utf-8")
    found = MADE_ON.search(index)
    assert found, f"{COMMITTED / pages.INDEX} does not say what it was generated on"
    return found[1], found[2]


def committed_torch() -> str:
    return committed_environment()[0]


def same_kernels() -> bool:
    return committed_environment()[1] == torch.backends.cpu.get_cpu_capability()


# A printed number, an image's digest, and the kernels named: what another CPU's kernels may move.
MOVED_BY_KERNELS = re.compile(r"sha256:[0-9a-f]+|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?|\(\S+ kernels\)")


def without_numbers(text: str) -> str:
    return MOVED_BY_KERNELS.sub("#", text)


def test_the_committed_pages_are_what_the_code_gives_now(rendered):
    """Fails on any difference and names the files. The numbers are computed: they are compared on
    the release the pages were made on (tox's torch213 cell), not on another one."""
    if committed_torch() != torch.__version__:
        pytest.skip(
            f"the pages were made on torch {committed_torch()}; this is {torch.__version__}"
        )
    # On other CPU kernels the last digits move (the snapshots judge the numbers there, with their
    # measured tolerances): every word and every number's place is still compared.
    seen = (lambda text: text) if same_kernels() else without_numbers
    differ = [
        name
        for name, text in rendered.items()
        if not (COMMITTED / name).is_file()
        or seen((COMMITTED / name).read_text(encoding="utf-8")) != seen(text)
    ]
    assert differ == [], f"differ from the code's pages: {', '.join(differ)}; run {REGENERATE}"


def test_the_folder_holds_only_the_pages_and_their_images(entries, rendered):
    made = set(rendered) | set(pages.images(entries))
    present = {p.relative_to(COMMITTED).as_posix() for p in COMMITTED.rglob("*") if p.is_file()}
    assert sorted(present - made) == [], f"files no page names (remove them): {present - made}"
    assert sorted(made - present) == [], f"missing (run {REGENERATE}): {made - present}"


# --- links ----------------------------------------------------------------------------------------

LINK = re.compile(r"!?\[(?:[^\[\]\\]|\\.)*\]\(([^()\s]+)\)")


def links(text: str) -> list[str]:
    """Every link and image target of a page, outside code blocks and code spans."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.M | re.S)
    text = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text, flags=re.S)
    return LINK.findall(text)


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: a repeated one gets -1, -2, … (outside code)."""
    text = re.sub(r"^(`{3,})[^\n]*\n.*?^\1\s*$", "", text, flags=re.M | re.S)
    found: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.M):
        base = pages.slug(heading)
        count = found.get(base, 0)
        found[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def test_links_are_found_where_github_reads_them():
    text = "[a](x.md) `[b](y.md)` ![c](images/z.png)\n```\n[d](w.md)\n```\n[e\\]](v.md#f)"
    assert links(text) == ["x.md", "images/z.png", "v.md#f"]
    assert anchors("## a_b.c\n## a_b.c\n```\n## x\n```\n### `code` word") == {
        "a_bc",
        "a_bc-1",
        "code-word",
    }


def test_every_link_and_image_resolves(rendered):
    broken = []
    for name, text in rendered.items():
        for target in links(text):
            if target.startswith(("https://", "http://")):
                continue
            path_part, _, anchor = target.partition("#")
            path = (COMMITTED / path_part).resolve() if path_part else COMMITTED / name
            if not path.is_file():
                broken.append(f"{name}: {target} (no such file)")
            elif anchor and path.suffix == ".md":
                page = rendered.get(path.name) if path.parent == COMMITTED else None
                text_there = page if page is not None else path.read_text(encoding="utf-8")
                if anchor not in anchors(text_there):
                    broken.append(f"{name}: {target} (no such heading)")
            elif anchor:
                line = int(anchor.removeprefix("L"))
                source = path.read_text(encoding="utf-8").splitlines()
                if not (0 < line <= len(source) and re.match(r"\s*(def|class) ", source[line - 1])):  # fmt: skip
                    broken.append(f"{name}: {target} (line {line} starts no def or class)")
    assert broken == []


def test_the_external_links_are_the_ones_checked(rendered):
    """A link to another site is one of the addresses declared, and checked, in reference/pages.py:
    the book's editions and source, and the public copies of the documents."""
    declared = [c.url for s in pages.DOCUMENT_SOURCES.values() for c in s.copies]
    prefixes = (pages.ZH_EDITION, pages.EN_EDITION, pages.ZH_SOURCE, *declared)
    outside = [(n, t) for n, text in rendered.items() for t in links(text) if t.startswith("http")]
    assert outside and [(n, t) for n, t in outside if not t.startswith(prefixes)] == []


# --- coverage: every entry, every page -----------------------------------------------------------


def listed() -> list[str]:
    """What `python -m reference list --json` shows."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["list", "--json"]) == 0
    return [entry["name"] for entry in json.loads(out.getvalue())]


def test_every_entry_of_list_is_on_exactly_one_page(rendered):
    names = listed()
    assert len(names) == 35
    places = {
        name: [page for page, text in rendered.items() if re.search(f"^## {name}$", text, re.M)]
        for name in names
    }
    assert {n: p for n, p in places.items() if len(p) != 1} == {}


def test_each_entry_is_on_the_page_the_rule_gives(entries):
    """The survival table's models on their page, a book example on its section's, any other example
    on its document's (tied_autoencoder and shared_rnn, from 001's closing text, stay with 001)."""
    for entry in entries:
        example = entry.example
        if entry.kind != "example":
            assert entry.page == pages.SURVIVAL_PAGE, example.name
        elif example.section:
            assert entry.page == pages.section_of(example.section).page, example.name
        else:
            assert entry.page == pages.DOCUMENT_SOURCES[example.document].page, example.name
    on_001 = {e.example.name for e in entries if e.page == "001-parameter-access.md"}
    assert {"tied_autoencoder", "shared_rnn"} <= on_001


def test_the_index_links_every_page(rendered):
    targets = {t.partition("#")[0] for t in links(rendered[pages.INDEX])}
    assert sorted(set(rendered) - {pages.INDEX} - targets) == []


def test_each_page_links_back_to_the_index(rendered):
    assert [n for n, t in rendered.items() if n != pages.INDEX and pages.back_link() not in t] == []


def test_every_claim_is_on_its_page_with_its_verdict_check_and_counter_cases(entries, rendered):
    for entry in entries:
        text = rendered[entry.page]
        for claim, result in zip(entry.example.claims, entry.summary["claims"], strict=True):
            heading = f"#### {pages.claim_heading(entry.example.name, claim.name)}\n"
            assert heading in text
            part = text.split(heading, 1)[1].split("\n#", 1)[0]
            assert f"`{pages.check_function(claim.check).__qualname__}`" in part
            assert pages.verdict_kind(result) in part
            for counter in claim.counters:
                assert pages.plain(counter.where) in part, (claim.name, counter.where)


def test_the_code_shown_is_the_class_or_function_itself_never_a_lambda(entries):
    shown = {e.example.name: [c.name for c in e.code] for e in entries}
    variants = {(e.example.name, v.label): [c.name for c in v.code] for e in entries for v in e.variants}  # fmt: skip
    every = [*shown.values(), *variants.values()]
    assert [names for names in every if "<lambda>" in names] == []
    assert [name for name, names in shown.items() if not names] == []
    assert shown["my_linear"] == ["MyLinear"]  # built by `lambda: MyLinear(5, 3)`
    assert variants[("init_functions", "init_normal")] == ["applied", "init_normal"]
    assert shown["nested_blocks"] == ["rgnet", "block2", "block1"]  # what the builder calls


# --- the book's sections -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "number", "note"),
    [
        ("§6.5 Custom Layers", "5.4", ""),
        ("5.4 自定义层 (6.5 Custom Layers)", "5.4", ""),
        ("§6.1 Layers and Modules (older edition)", "5.1", "older edition"),
        ("5.1 层和块 (6.1 Layers and Modules) (older edition)", "5.1", "older edition"),
        ("§6.3 Parameter Initialization", "5.2", ""),
        ("§6.7 GPUs", "5.6", ""),
    ],
    ids=["english", "both", "note", "both-and-note", "split-section", "gpu"],
)
def test_a_section_is_found_by_its_title_in_either_edition(label, number, note):
    assert pages.section_of(label).number == number
    assert pages.edition_note(label) == note


@pytest.mark.parametrize(
    "label", ["§6.9 Something Else", "层和块 and 自定义层"], ids=["none", "two"]
)
def test_a_label_naming_no_section_or_two_is_refused_in_one_line(label):
    with pytest.raises(pages.PagesError, match="not one"):
        pages.section_of(label)


def test_headings_get_githubs_anchors():
    assert pages.slug("000 · 实现并行模块 · 构建包含共享参数层的多层感知机") == "000--实现并行模块--构建包含共享参数层的多层感知机"  # fmt: skip
    assert pages.slug("parallel_module.concatenation") == "parallel_moduleconcatenation"
    assert pages.slug("5.2 参数管理 (6.2 Parameter Management)") == "52-参数管理-62-parameter-management"  # fmt: skip


# --- images ---------------------------------------------------------------------------------------


def test_each_image_was_drawn_from_the_data_its_page_shows(entries):
    for name, (_, trace) in pages.images(entries).items():
        path = COMMITTED / name
        assert path.is_file(), f"{name} is missing: run {REGENERATE}"
        text = pages.png_text(path)
        marker = pages.image_marker(trace)
        if not same_kernels():  # the trace's last bits differ: the digest's form, its code the same
            marker, text["Description"] = (
                without_numbers(marker),
                without_numbers(text["Description"]),
            )
        assert text.get("Description") == marker, f"{name}: run {REGENERATE}"
        assert "Software" not in text  # no version of matplotlib: the bytes do not change with it


def test_drawing_an_image_twice_gives_the_same_bytes(entries, tmp_path):
    pytest.importorskip("matplotlib")
    _, (example, trace) = sorted(pages.images(entries).items())[-1]
    pages.draw(example, trace, tmp_path / "a.png")
    pages.draw(example, trace, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    text = pages.png_text(tmp_path / "a.png")
    assert text.get("Description") == pages.image_marker(trace) and "Software" not in text


def test_an_image_of_other_data_is_found(entries, tmp_path):
    """A trace that changed in one digit changes the marker the PNG must carry."""
    _, (_, trace) = sorted(pages.images(entries).items())[0]
    changed = {**trace, "epoch_loss": [trace["epoch_loss"][0] * (1 + 1e-12), *trace["epoch_loss"][1:]]}  # fmt: skip
    assert pages.image_marker(changed) != pages.image_marker(trace)


# --- the command ----------------------------------------------------------------------------------


def test_the_command_writes_every_page_into_out(entries, rendered, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(pages, "collect", lambda: entries)
    monkeypatch.setattr(pages, "draw", lambda name, trace, path: path.write_bytes(b"png"))
    out = tmp_path / "learn"
    (out / "old.md").parent.mkdir()
    (out / "old.md").write_text("a page of before", encoding="utf-8")
    assert cli.main(["pages", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {len(rendered)} pages and {len(pages.images(entries))} images" in said
    assert "left alone: old.md" in said
    again = pages.render(entries, out)
    assert {n: (out / n).read_text(encoding="utf-8") for n in again} == again


def test_an_out_that_is_a_file_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert cli.main(["pages", "--out", str(tmp_path / "file")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "exists and is not a folder" in err


def test_an_out_that_cannot_be_made_is_refused_in_one_line_before_anything_runs(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(pages, "collect", lambda: pytest.fail("the examples ran"))
    (tmp_path / "file").write_text("", encoding="utf-8")
    assert cli.main(["pages", "--out", str(tmp_path / "file" / "learn")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "cannot write the pages to" in err, err


def test_without_matplotlib_the_command_says_what_to_install_before_anything_runs(
    tmp_path, capsys, monkeypatch
):
    """The hint is the project's own (`errors.install_hint`: the extra that declares matplotlib),
    as `trace --plot` and `survival --heatmap` give it."""
    from reference.errors import install_hint

    monkeypatch.setattr(pages, "collect", lambda: pytest.fail("the examples ran"))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert cli.main(["pages", "--out", str(tmp_path / "learn")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.endswith(f"need matplotlib: {install_hint('matplotlib')}")
    assert install_hint("matplotlib").startswith("pip install -e '.[plot]'")
