"""Inputs more than one document draws, each from the generator it is given (on the CPU)."""

import torch


def four_features(g: torch.Generator) -> torch.Tensor:
    """Two samples of four features in [0, 1): `torch.rand(size=(2, 4))`, as d2l draws X."""
    return torch.rand(size=(2, 4), generator=g)
