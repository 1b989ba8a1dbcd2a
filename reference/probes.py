"""Probes: pure functions from an example (its model and input) to plain JSON-able data.

`summary()` is what `python -m reference run NAME --json` prints and what the snapshot suite locks.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .example import Example
from .tying import alias_groups, parameter_count, shared_gradients

LEADING_VALUES = 4


def shape(tensor: torch.Tensor) -> list[int]:
    return list(tensor.shape)


def dtype_name(tensor: torch.Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def output_facts(output: torch.Tensor) -> dict[str, Any]:
    return {"shape": shape(output), "dtype": dtype_name(output)}


def named_shapes(model: nn.Module) -> list[list[Any]]:
    return [[name, shape(p)] for name, p in model.named_parameters()]


def claim_results(example: Example, device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    """Each claim's verdict and whether its check proves it; a claim about the GPU also says where
    it was proven ("proven on cpu; cuda not checked here" when run elsewhere)."""
    results = []
    for c in example.claims:
        result = {"claim": c.name, "text": c.text, "verdict": c.verdict, "proven": c.proven(device)}
        if c.about_cuda:
            result["where"] = where_proven(torch.device(device).type, result["proven"])
        results.append(result)
    return results


def where_proven(device_type: str, proven: bool) -> str:
    done = f"{'proven' if proven else 'NOT PROVEN'} on {device_type}"
    return done if device_type == "cuda" else f"{done}; cuda not checked here"


def summary(
    example: Example, device: torch.device | str = "cpu", variant: str | None = None
) -> dict[str, Any]:
    model, _, output = example.run(device, variant)
    return {
        "name": example.name,
        "source": example.source,
        "repr": repr(model),
        "state_dict_keys": list(model.state_dict().keys()),
        "parameters": named_shapes(model),
        "parameter_count": parameter_count(model),
        "alias_groups": alias_groups(model),
        "output": output_facts(output),
        "claims": claim_results(example, device),
        "corrections": list(example.corrections),
    }


def tensor_stats(tensor: torch.Tensor) -> dict[str, Any]:
    """Shape, dtype, mean, std and the first few values of a tensor (its values, on the CPU)."""
    values = tensor.detach().to("cpu", torch.float64).flatten()
    return {
        "shape": shape(tensor),
        "dtype": dtype_name(tensor),
        "mean": values.mean().item(),
        "std": values.std().item() if values.numel() > 1 else 0.0,
        "leading": values[:LEADING_VALUES].tolist(),
    }


def initial_parameters(example: Example, variant: str | None = None) -> dict[str, dict[str, Any]]:
    """Summary statistics of every initial parameter, by name (state_dict order, one per object)."""
    model = example.model("cpu", variant)
    return {name: tensor_stats(p) for name, p in model.named_parameters()}


def gradient_facts(example: Example, device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    model, x = example.model(device), example.input(device)
    return shared_gradients(model, x, example.forward, example.untie)
