"""The survival table predicts real language models: tiny GPT-2, Llama and T5 built from configs
(`reference/real_models.py`, nothing downloaded) run through every operation, row by row against
the `registered_lm_head` column. Every disagreement is declared here with its reason.

Runs in `tox -e hf` (the `hf` extra, REFERENCE_REAL_MODELS=1): the whole table three times, which
the default suite does not pay.
"""

import os

import pytest

if os.environ.get("REFERENCE_REAL_MODELS") != "1":
    pytest.skip("the hf env runs these: tox -e hf", allow_module_level=True)
pytest.importorskip("transformers")

from reference import survival
from reference.own_model import own_tied_model

MODELS = ["gpt2", "llama", "t5"]

# (model, operation) -> why its row differs from registered_lm_head's; every other row agrees.
DISAGREEMENTS = {
    # T5 ties four names (shared, both stacks' embed_tokens, lm_head): a listing once per name
    # steps the table four times, where a two-name tie is stepped twice.
    ("t5", "named_parameters(remove_duplicate=False) + SGD step"): "four names: moved 4/4",
    (
        "t5",
        "load_state_dict(assign=True) + SGD step",
    ): "four names, each its own Parameter: moved 4/4",
    # FSDP2 wants every holder of a shared parameter in one group; the row groups the two holders
    # of the first two names, and T5's other two (decoder.embed_tokens, lm_head) stay outside.
    ("t5", "fully_shard([both holders]), then root"): "two of four holders in one group",
    ("t5", "fully_shard([both holders]), then root + SGD step"): "two of four holders in one group",
    # The same four names after an assign-load, each its own Parameter over the table.
    ("t5", "load(assign=True) → load_state_dict() + SGD step"): "four names: moved 4/4",
    ("t5", "load(assign=True) → torch.compile + SGD step"): "four names: moved 4/4",
    # The two names the table follows are Embeddings (shared, encoder.embed_tokens), which
    # quantize_dynamic leaves alone; lm_head, the Linear it replaces, is T5's fourth name.
    ("t5", "quantize_dynamic(nn.Linear, qint8)"): "the first two names are Embeddings",
}


def facts(row):
    return row["outcome"], row["error"]


@pytest.fixture(scope="module")
def predicted():
    rows = survival.rows(survival.OPERATIONS, (survival.tied_model("registered_lm_head"),))
    return {row["operation"]: facts(row) for row in rows}


@pytest.mark.timeout(300)  # the whole table on one model: dozens of operations, two compiles
@pytest.mark.parametrize("name", MODELS)
def test_the_table_predicts_a_real_tied_language_model(name, predicted):
    tied = own_tied_model(f"reference.real_models:{name}")
    rows = survival.rows(survival.OPERATIONS, (tied,))
    assert len(rows) == len(predicted)
    differ = {row["operation"] for row in rows if facts(row) != predicted[row["operation"]]}
    declared = {operation for model, operation in DISAGREEMENTS if model == name}
    assert differ == declared
