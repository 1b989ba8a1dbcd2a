"""The review record (docs/claims-review.md): generated from the registry, it lists every claim and
no other, and every claim carries what a reviewer reads it by: the document's words, where they
stand, the reading judged and the date it was last reviewed. Where the source documents are on this
machine, every quote is found in its document character for character; where the book's source is,
every quote of the book in the words its reader sees."""

import datetime
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
TOOL = REPOSITORY / "tools" / "claims_review.py"
spec = importlib.util.spec_from_file_location("claims_review", TOOL)
claims_review = sys.modules["claims_review"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(claims_review)

CLAIMS = claims_review.every_claim()
IDS = [claims_review.claim_id(e, c) for e, c in CLAIMS]


def committed() -> str:
    return claims_review.RECORD.read_text(encoding="utf-8")


def test_the_committed_record_is_what_the_registry_gives():
    assert committed() == claims_review.render(), f"run {claims_review.COMMAND}"


def test_the_record_lists_every_claim_once_and_no_other():
    """Read from the committed file itself: each listed claim exists in the registry, each claim of
    the registry is listed, none twice (the record groups them by document, not registry order)."""
    listed = claims_review.listed_claims(committed())
    assert len(set(listed)) == len(listed)
    assert sorted(listed) == sorted(IDS)


def test_every_claim_carries_its_quote_place_reading_and_review_date():
    missing = {
        claims_review.claim_id(e, c): claims_review.missing_fields(c)
        for e, c in CLAIMS
        if claims_review.missing_fields(c)
    }
    assert missing == {}


def test_a_review_date_is_a_date():
    dates = [claim.reviewed for _, claim in CLAIMS if claim.reviewed]
    assert dates and all(datetime.date.fromisoformat(d) for d in dates)  # raises on anything else


def find_upwards(relative: str) -> Path | None:
    """`relative` under the repository or a folder above it (the documents live beside the
    project on the machines it is developed on, not in it)."""
    for folder in (REPOSITORY, *REPOSITORY.parents):
        if (folder / relative).is_dir():
            return folder / relative
    return None


SEEDS = find_upwards("shared/seeds")
# The d2l-zh book's source, a bare git mirror beside the project (read at HEAD with git).
BOOK = find_upwards(".mirror/d2l-ai+d2l-zh/repo")


@pytest.mark.skipif(SEEDS is None, reason="the source documents (shared/seeds) are not here")
def test_every_quote_of_the_five_documents_is_in_its_document():
    missing, checked, _ = claims_review.quotes_not_found(SEEDS, None)
    assert checked > 0
    assert missing == []


@pytest.mark.skipif(
    BOOK is None or shutil.which("git") is None,
    reason="the d2l-zh source (.mirror/d2l-ai+d2l-zh/repo, a git mirror) or git is not here",
)
def test_every_quote_of_the_book_is_in_the_book():
    missing, checked, left_out = claims_review.quotes_not_found(None, BOOK)
    book_claims = [c for e, c in CLAIMS if e.document == claims_review.documents.BOOK]
    assert checked == len(book_claims) > 0 and left_out == len(CLAIMS) - checked
    assert missing == []


# How the book's Markdown source writes what its reader sees (custom-layer.md, read-write.md).
BOOK_SOURCE = """首先，我们(**构造一个没有任何参数的自定义层**)。
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

检查均值是否为0。
由于我们处理的是浮点数，因为存储精度的原因，
我们仍然可能会看到一个非常小的非零数。
Layers and blocks
are composed.
我们可以[**存储一个张量列表，然后把它们读回内存。**]
我们还可以(**使用自定义层构建模型**)。
"""


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("我们构造一个没有任何参数的自定义层", id="parenthesised-emphasis-dropped"),
        pytest.param("super().__init__(**kwargs)", id="kwargs-kept"),
        pytest.param("我们还可以使用自定义层构建模型。", id="emphasis-after-kwargs-dropped"),
        pytest.param(
            "检查均值是否为0。由于我们处理的是浮点数，因为存储精度的原因，我们仍然可能会看到",
            id="chinese-lines-joined",
        ),
        pytest.param("Layers and blocks are composed.", id="english-lines-joined-by-a-space"),
        pytest.param(
            "我们可以存储一个张量列表，然后把它们读回内存。", id="bracketed-emphasis-dropped"
        ),
        pytest.param("构造一个没有任何参数的自定义层 … 存储一个张量列表", id="two-passages"),
    ],
)
def test_a_book_quote_is_found_in_the_words_a_reader_sees(quote):
    assert claims_review.quote_found(quote, BOOK_SOURCE, book=True)


@pytest.mark.parametrize(
    "quote",
    [
        pytest.param("检查均值是否为0。 由于", id="a-space-the-reader-does-not-see"),
        pytest.param("Layersand blocks", id="a-space-lost-between-english-words"),
        pytest.param(
            "存储一个张量列表 … 构造一个没有任何参数的自定义层", id="passages-out-of-order"
        ),
        pytest.param("构造一个没有任何参数的自定义层 … 存储一个张量字典", id="a-passage-not-in-it"),
        pytest.param("参数的自定义层)。", id="a-marker-kept"),
        pytest.param("(**kwargs)检查均值", id="paragraphs-stay-apart"),
    ],
)
def test_a_quote_the_book_does_not_hold_is_still_not_found(quote):
    assert not claims_review.quote_found(quote, BOOK_SOURCE, book=True)


def test_a_source_document_is_matched_character_for_character():
    """The five documents are plain text: no rendering, two spaces stay two."""
    printout = "w_hat: tensor([[-1.0646,  1.8100]])\n检查均值是否为0。\n由于"
    assert claims_review.quote_found("tensor([[-1.0646,  1.8100]])", printout)
    assert not claims_review.quote_found("tensor([[-1.0646, 1.8100]])", printout)
    assert not claims_review.quote_found("检查均值是否为0。由于", printout)


def test_the_check_command_says_whether_the_file_is_current(tmp_path, monkeypatch):
    assert claims_review.main(["--check"]) == 0
    stale = tmp_path / "claims-review.md"
    stale.write_text(committed().replace("holds", "hold", 1), encoding="utf-8")
    monkeypatch.setattr(claims_review, "RECORD", stale)
    monkeypatch.setattr(claims_review, "REPOSITORY", tmp_path)
    assert claims_review.main(["--check"]) == 1


def test_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        claims_review.main(["--quotes", str(tmp_path / "nowhere")])
    assert exit_.value.code == 2 and "no such folder" in capsys.readouterr().err


# --- whose statement a claim is -------------------------------------------------------------------

# How a reading says the statement is the project's, not the document's: "the project's finding",
# "the reference's own answer to the exercise's question", "judged is the reference's answer", ...
SAYS_FINDING = re.compile(
    r"\b(?:the project's|the reference's)(?: own)? (?:finding|answer|reading|account)\b"
)


def test_a_claim_is_marked_as_the_projects_finding_exactly_where_its_reading_says_so():
    marked = {claims_review.claim_id(e, c) for e, c in CLAIMS if c.finding}
    said = {claims_review.claim_id(e, c) for e, c in CLAIMS if SAYS_FINDING.search(c.reading)}
    assert marked == said
    assert len(marked) >= 25  # the 25 the review of issue 32 counted, and the findings added since


def test_run_and_json_tell_the_documents_statements_from_the_projects_findings(capsys):
    """tied_embeddings: one statement of the post, one finding of the project's."""
    from reference import cli, registry
    from reference.probes import claim_results
    from reference.summary_text import FINDING_LABEL

    example = registry.get("tied_embeddings")
    results = {r["claim"]: r for r in claim_results(example)}
    assert results["gradient_is_sum_of_uses"].get("finding") is True
    assert "finding" not in results["output_projection_is_the_table"]
    assert cli.main(["run", "tied_embeddings"]) == 0
    out = capsys.readouterr().out
    assert f"gradient_is_sum_of_uses {FINDING_LABEL}:" in out
    assert "output_projection_is_the_table:" in out and FINDING_LABEL in out.split("claims (")[1]
    assert out.count(FINDING_LABEL) == 2  # the heading's and the finding's


def test_run_says_where_it_shows_a_quotes_spacing_collapsed(capsys):
    """The printout's two spaces ('[[ 0.1729,  0.3095') are shown as one: said beside that quote,
    not beside a quote whose spacing is shown as it is."""
    from reference import cli

    assert cli.main(["run", "train_shared_weight_net"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "the document (its spacing shown as single spaces): 「Shared Layer Weight" in out
    assert "the document: 「optimizer = torch.optim.SGD(model.parameters(), lr=0.01)」" in out
