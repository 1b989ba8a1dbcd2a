"""Helpers shared by the two training examples: recording rows and checking reproducibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .seeding import SEED

Train = Callable[..., dict[str, Any]]


def rows(tensor: torch.Tensor, count: int = 2) -> list:
    """The first `count` rows of a tensor as plain lists (on the CPU)."""
    return tensor.detach()[:count].cpu().tolist()


def reproducible_only_when_seeded(train: Train, device: torch.device) -> bool:
    """The same seed gives the same trace to the bit; another seed gives another trace."""
    first, again, other = (
        train(device, seed=SEED),
        train(device, seed=SEED),
        train(device, seed=SEED + 1),
    )
    return first == again and first != other
