"""The survival table's slow rows, measured: the operations that take seconds a model (two ranks
started, inductor's compile) against the committed column of this release, and pytorch/pytorch#193061's
pattern compiled by inductor for the CPU.

Runs in `tox -e survival-slow` (REFERENCE_SLOW_SURVIVAL=1) and in the release sweep
(`tools/survival_releases.py --pytest`); the default suite checks the stored rows instead
(tests/test_survival.py).
"""

import dataclasses
import json
import os
from pathlib import Path

import pytest
import torch

if os.environ.get("REFERENCE_SLOW_SURVIVAL") != "1":
    pytest.skip("the survival-slow env runs these: tox -e survival-slow", allow_module_level=True)

from reference import survival, survival_operations
from reference.seeding import seeded

ROOT = Path(__file__).resolve().parents[1]
SLOW = [op for op in survival.OPERATIONS if op.slow]


def committed_rows() -> dict[tuple[str, str], dict]:
    path = ROOT / "docs" / "survival" / f"{torch.__version__.split('+')[0]}.json"
    if not path.exists():
        pytest.skip(f"no committed column for torch {torch.__version__}")
    table = json.loads(path.read_text(encoding="utf-8"))
    return {(r["operation"], r["model"]): r for r in table["rows"]}


@pytest.mark.timeout(600)  # inductor's first compile of five models, cold: 2 min on 2.5.1 here
@pytest.mark.parametrize("op", SLOW, ids=lambda op: op.run.__name__)
def test_a_slow_row_is_what_the_committed_column_holds(op):
    """Measured again here (the ranks started once for the five models), the rows equal the
    column `tools/survival_releases.py` stored for this release."""
    committed = committed_rows()
    rows = survival.rows((op,))
    assert rows == [committed[r["operation"], r["model"]] for r in rows]


class ChainedModulatedNorms(torch.nn.Module):
    """pytorch/pytorch#193061's pattern, small: one (1, 4, D) table chunked into shift and scale
    for two LayerNorms in a chain (a DiT block's scale_shift_table): four slices of one Parameter,
    read in one graph."""

    def __init__(self, dim: int = 64):
        super().__init__()
        self.table = torch.nn.Parameter(torch.randn(1, 4, dim) / dim**0.5)

    def forward(self, x):
        shift1, scale1, shift2, scale2 = self.table.chunk(4, dim=1)
        norm = torch.nn.functional.layer_norm
        h = norm(x, x.shape[-1:]) * (1 + scale1) + shift1
        return (norm(h, h.shape[-1:]) * (1 + scale2) + shift2).square().sum()


def relative_difference(found: torch.Tensor, expected: torch.Tensor) -> float:
    return ((found - expected).norm() / expected.norm()).item()


# The row's tolerance (survival_operations.INDUCTOR_TOLERANCE). Measured here on 2.5.1, 2.13.0 and
# 2.15.0: inductor's CPU gradient of the pattern differs from eager's by a relative 4.3e-7 (float32
# sums taken in another order; 0.0022 at most in one entry); losing one of the four slices'
# gradients changes it by 0.18, the report's "garbage" by more.
TOLERANCE = survival_operations.INDUCTOR_TOLERANCE


@pytest.mark.timeout(300)
def test_the_pattern_of_193061_compiles_right_for_the_cpu():
    """The report's bug is Triton's (GPU) mix-order reduction: the CPU backend has none, so the
    table's CPU row cannot show it. Here the pattern itself, compiled for the CPU: eager's
    gradient, where dropping one slice's gradient would be seen."""
    if not survival_operations.inductor_runs():
        pytest.skip("inductor cannot build C++ here")
    with seeded():
        eager, x = ChainedModulatedNorms(), torch.randn(1, 1024, 64)
    compiled = ChainedModulatedNorms()
    compiled.load_state_dict(eager.state_dict())
    torch._dynamo.reset()
    torch.compile(compiled, backend="inductor")(x).backward()
    eager(x).backward()
    assert relative_difference(compiled.table.grad, eager.table.grad) < TOLERANCE
    # The smallest real change: one slice's gradient lost.
    dropped = eager.table.grad.clone()
    dropped[:, 1] = 0
    assert relative_difference(dropped, eager.table.grad) > TOLERANCE


class DropoutAfter(torch.nn.Module):
    """A tied model whose output goes through dropout, as a language model's does in train mode
    (nn.Dropout's way: off in eval mode)."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return torch.nn.functional.dropout(self.inner(x), p=0.5, training=self.training)


@pytest.mark.timeout(300)
def test_the_inductor_row_does_not_take_dropout_for_a_broken_tie():
    """Inductor draws dropout's masks its own way: the row compiles and compares in eval mode, so
    that a real language model (GPT-2 and T5 have dropout) is not read as a broken tie."""
    base = survival.tied_model("tied_embeddings")
    tied = dataclasses.replace(
        base,
        names=tuple(f"inner.{n}" for n in base.names),
        holders=tuple(f"inner.{h}" for h in base.holders),
        rebuild=DropoutAfter,
    )
    found = survival_operations.compiled_by_inductor(tied)  # no CompiledGradientDiffers
    assert found.backend == ("inductor" if survival_operations.inductor_runs() else "aot_eager")
