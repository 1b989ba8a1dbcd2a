"""Probes: pure functions from an example (its model and input) to plain JSON-able data.

`summary()` is what `python -m reference run NAME --json` prints and what the snapshot suite locks.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .example import Claim, Counter, Example
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


# What a claim about the GPU says where no CUDA device runs it.
NOT_DECIDED = "not decided here"
# The keys of a claim's result that depend on the device it ran on (a claim about the GPU only):
# the structure snapshot, which every device shares, keeps them apart (reference_testing.locked).
DEVICE_DEPENDENT = ("verdict", "proven", "decided_by", "check_on_this_device")


@dataclass(frozen=True)
class Said:
    """What a claim's check returned, at its default or at a counter-case, and whether running it
    moved the caller's global (CPU) RNG: every draw belongs inside `seeded()` or to a
    `generator()`, and the guard that says so (reference_testing.locked, the counter sweep) reads
    this, so that it sees a check that draws whoever ran it first."""

    value: bool
    moved_the_global_rng: bool


# (claim, device, counter) by identity -> (claim, counter, Said). A check is deterministic (seeded,
# or drawing from its own generator) and some cost a training or a sweep; the summary of each build
# and variant, the pages and the command line ask for the same ones many times in one process (the
# suite's command-line tests asked for every default check about five times). The claim and the
# counter are kept in the entry, so that their ids are not reused while it stands.
_SAID: dict[tuple[int, str, int], tuple[Claim, Counter | None, Said]] = {}


def check_says(claim: Claim, device: torch.device | str, counter: Counter | None = None) -> Said:
    """What `claim`'s check says on `device` (`claim.proven`), or at `counter`
    (`claim.proven_at`): run once per claim, device and counter in this process."""
    device = torch.device(device)
    key = (id(claim), str(device), id(counter))
    if key not in _SAID:
        before = torch.random.get_rng_state()
        value = claim.proven(device) if counter is None else claim.proven_at(counter, device)
        moved = not torch.equal(before, torch.random.get_rng_state())
        _SAID[key] = (claim, counter, Said(value, moved))
    return _SAID[key][2]


# (training function, device) by identity -> (function, trace). A training is seeded and costs a
# few hundred optimizer steps; the trace command, the pages and the snapshot of each trained example
# read the same trace.
_TRACES: dict[tuple[int, str], tuple[Callable[..., dict], dict[str, Any]]] = {}


def training_trace(example: Example, device: torch.device | str = "cpu") -> dict[str, Any]:
    """`example.train(device)`, trained once per training function and device in this process;
    each caller gets its own copy."""
    if example.train is None:
        raise ValueError(f"{example.name} has no training trace")
    device = torch.device(device)
    key = (id(example.train), str(device))
    if key not in _TRACES:
        _TRACES[key] = (example.train, example.train(device))
    return copy.deepcopy(_TRACES[key][1])


def claim_results(example: Example, device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    """Each claim's verdict and whether its check proves it (`proven`).

    A claim that is the project's finding, not the document's statement, says so (`finding`).
    A claim about the GPU (`about_cuda`) also carries its verdict on CUDA (`verdict_on_cuda`); run
    elsewhere, it is not decided: `verdict` says so, `proven` is None (neither proven nor
    disproven), `decided_by` says what would decide it, and `check_on_this_device` what its check
    said on this device (it runs all the same)."""
    device = torch.device(device)
    results = []
    for c in example.claims:
        said = check_says(c, device).value
        decided = c.decided_on(device)
        result = {
            "claim": c.name,
            "text": c.text,
            "verdict": c.verdict_text if decided else NOT_DECIDED,
            "proven": said if decided else None,
        }
        if c.finding:  # the project's own statement, not the document's
            result["finding"] = True
        # The document's own words and the reading judged, where the claim records them.
        result |= {
            field: getattr(c, field)
            for field in ("quote", "place", "reading", "literal")
            if getattr(c, field)
        }
        if c.about_cuda:
            result |= {"about": "cuda", "verdict_on_cuda": c.verdict_text}
            if not decided:
                result["decided_by"] = decided_by(example.name)
                result["check_on_this_device"] = said
        results.append(result)
    return results


def decided_by(name: str) -> str:
    return f"a CUDA device: python -m reference run {name} --device cuda"


def summary(
    example: Example, device: torch.device | str = "cpu", variant: str | None = None
) -> dict[str, Any]:
    model, _, output = example.run(device, variant)
    return {
        "name": example.name,
        "variant": variant,
        "source": example.source,
        "repr": device_neutral_repr(model),
        "state_dict_keys": list(model.state_dict().keys()),
        "parameters": named_shapes(model),
        "parameter_count": parameter_count(model),
        "alias_groups": alias_groups(model),
        # A tie made in forward leaves one name, which alias_groups cannot see. The example's
        # untie knows the document's build; a variant's forward ties are not declared.
        "ties_in_forward": ties_in_forward(example, model) if variant is None else {},
        "output": output_facts(output),
        "claims_are_about": "the document's build",
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
    """The shared-gradient proof's facts, with the statistics of the shared gradient and of the
    per-use sum (each taken apart) and their deviation locked too."""
    model, x = example.model(device), example.input(device)
    facts = shared_gradients(model, x, example.forward, example.untie)
    return [
        {
            **fact,
            "gradient": tensor_stats(fact["gradient"]),
            "sum_of_uses": tensor_stats(fact["sum_of_uses"]),
        }
        for fact in facts
    ]


# --- what the command line shows beside the summary -----------------------------------------------


def ties_in_forward(example: Example, model: nn.Module) -> dict[str, int]:
    """Parameters that `forward` reads more than once under one name, and how many times.

    A tie made in forward (`F.linear(x, embed_tokens.weight)`) leaves one name, so `alias_groups`
    cannot see it; the example's `untie` knows it, as one clone per use.
    """
    if example.untie is None:
        return {}
    _, clones_of = example.untie(model)
    return {name: len(clones) for name, clones in clones_of.items() if len(clones) > 1}


def leading_values(tensor: torch.Tensor, count: int = 6) -> list[float | int | bool]:
    """The first `count` values, in storage order, as plain numbers (on the CPU)."""
    return tensor.detach().flatten()[:count].cpu().tolist()


def value_facts(tensor: torch.Tensor) -> dict[str, Any]:
    return {**output_facts(tensor), "numel": tensor.numel(), "leading": leading_values(tensor)}


def inputs_of(x: Any) -> list[torch.Tensor]:
    """The input's tensors: one, or each element of a tuple."""
    return [x] if isinstance(x, torch.Tensor) else [t for t in x if isinstance(t, torch.Tensor)]


def values(
    example: Example, device: torch.device | str = "cpu", variant: str | None = None
) -> dict[str, Any]:
    """Input and output of one forward pass: shapes, dtypes and leading values."""
    _, x, output = example.run(device, variant)
    return {"inputs": [value_facts(t) for t in inputs_of(x)], "output": value_facts(output)}


# nn.Module's own attributes: what is left in a module's __dict__ are the attributes a model added.
_MODULE_ATTRIBUTES = frozenset(vars(nn.Module()))


def left_behind(model: nn.Module, device: torch.device | str) -> dict[str, str]:
    """Tensors a model holds outside its registrations (in a plain list, tuple or dict attribute)
    that are not on `device`, by path: `.to(device)` moves only what is registered.
    """
    target = torch.device(device).type
    found = {}
    for prefix, module in model.named_modules():
        for attribute, value in vars(module).items():
            if attribute in _MODULE_ATTRIBUTES or not isinstance(value, list | tuple | dict):
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                path = f"{prefix + '.' if prefix else ''}{attribute}[{key!r}]"
                tensors = (
                    item.named_parameters()
                    if isinstance(item, nn.Module)
                    else [("", item)]
                    if isinstance(item, torch.Tensor)
                    else []
                )
                for name, tensor in tensors:
                    if tensor.device.type != target:
                        found[f"{path}.{name}" if name else path] = str(tensor.device)
    return found


class _CallsReceiving(TorchFunctionMode):
    def __init__(self, tensor: torch.Tensor):
        super().__init__()
        self.tensor, self.count = tensor, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        # One question, whether the tensor itself is among this call's arguments (by identity:
        # `in` on the tensors would compare their values), not one condition per argument slot.
        self.count += id(self.tensor) in {id(a) for a in (*args, *kwargs.values())}
        return func(*args, **kwargs)


def calls_receiving(tensor: torch.Tensor, model: nn.Module, x: Any) -> int:
    """How many torch calls in one forward of `model` take `tensor` itself as an argument: its uses."""
    with _CallsReceiving(tensor) as counter:
        model(x)
    return counter.count
