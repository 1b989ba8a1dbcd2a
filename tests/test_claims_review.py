"""The review record (docs/claims-review.md): generated from the registry, it lists every claim and
no other, and every claim carries what a reviewer reads it by: the document's words, where they
stand, the reading judged and the date it was last reviewed. Where the source documents are on this
machine, every quote is found in its document character for character."""

import datetime
import importlib.util
import subprocess
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


@pytest.mark.xfail(
    strict=True,
    reason="claims-b and claims-c fill the fields of documents 003, 004 and the book on their "
    "branches; remove this marker once all three are merged",
)
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


@pytest.mark.skipif(SEEDS is None, reason="the source documents (shared/seeds) are not here")
def test_every_quote_of_the_five_documents_is_in_its_document():
    missing, checked, _ = claims_review.quotes_not_found(SEEDS, None)
    assert checked > 0
    assert missing == []


def test_the_check_command_says_whether_the_file_is_current(tmp_path, monkeypatch):
    assert claims_review.main(["--check"]) == 0
    stale = tmp_path / "claims-review.md"
    stale.write_text(committed().replace("holds", "hold", 1), encoding="utf-8")
    monkeypatch.setattr(claims_review, "RECORD", stale)
    monkeypatch.setattr(claims_review, "REPOSITORY", tmp_path)
    assert claims_review.main(["--check"]) == 1


def test_a_missing_folder_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, str(TOOL), "--quotes", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert result.returncode == 2 and "no such folder" in result.stderr
