"""Probes: pure functions from an example (its model and input) to plain JSON-able data.

`summary()` is what `python -m reference run NAME --json` prints and what the snapshot suite locks.
"""

from __future__ import annotations

import re
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


# ParameterList and ParameterDict print a CUDA tensor's device, and ParameterDict its legacy type name
# (`torch.cuda.FloatTensor`): torch/nn/modules/container.py, `extra_repr`.
DEVICE_ANNOTATION = re.compile(r" \((?:cuda|privateuseone)(?::\d+)?\)(?=\])")
DEVICE_TYPE_NAME = re.compile(r"\btorch\.cuda\.(\w+Tensor)\b")


def device_neutral_repr(model: nn.Module) -> str:
    """`repr(model)` with the device annotations that containers add for CUDA tensors removed, so
    one snapshot holds for every device (a CUDA test proves the rest of the text is the same)."""
    return DEVICE_TYPE_NAME.sub(r"torch.\1", DEVICE_ANNOTATION.sub("", repr(model)))


def output_facts(output: torch.Tensor) -> dict[str, Any]:
    return {"shape": shape(output), "dtype": dtype_name(output)}


def named_shapes(model: nn.Module) -> list[list[Any]]:
    return [[name, shape(p)] for name, p in model.named_parameters()]


def claim_results(example: Example, device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    return [
        {"claim": c.name, "text": c.text, "verdict": c.verdict, "proven": c.proven(device)}
        for c in example.claims
    ]


def summary(
    example: Example, device: torch.device | str = "cpu", variant: str | None = None
) -> dict[str, Any]:
    model, _, output = example.run(device, variant)
    return {
        "name": example.name,
        "source": example.source,
        "repr": device_neutral_repr(model),
        "state_dict_keys": list(model.state_dict().keys()),
        "parameters": named_shapes(model),
        "parameter_count": parameter_count(model),
        "alias_groups": alias_groups(model),
        "output": output_facts(output),
        "claims": claim_results(example, device),
        "corrections": list(example.corrections),
    }


def tensor_stats(tensor: torch.Tensor) -> dict[str, Any]:
    """Shape, dtype, largest magnitude, mean, std and the first few values of a tensor (on the CPU).

    `max_abs` is the tensor's scale: the snapshots judge the other numbers against it, as a whole
    tensor is judged, since a mean of values that cancel can be far smaller than its rounding.
    """
    values = tensor.detach().to("cpu", torch.float64).flatten()
    return {
        "shape": shape(tensor),
        "dtype": dtype_name(tensor),
        "max_abs": values.abs().max().item() if values.numel() else 0.0,
        "mean": values.mean().item(),
        "std": values.std().item() if values.numel() > 1 else 0.0,
        "leading": values[:LEADING_VALUES].tolist(),
    }


def initial_parameters(example: Example, variant: str | None = None) -> dict[str, dict[str, Any]]:
    """Summary statistics of every initial parameter, by name (state_dict order, one per object)."""
    model = example.model("cpu", variant)
    return {name: tensor_stats(p) for name, p in model.named_parameters()}


def gradient_facts(example: Example, device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    """The shared-gradient proof's facts, with the shared gradient's statistics locked too."""
    model, x = example.model(device), example.input(device)
    facts = shared_gradients(model, x, example.forward, example.untie)
    return [{**fact, "gradient": tensor_stats(fact["gradient"])} for fact in facts]
