"""Which names are one parameter, how to untie them, and the proof that a shared gradient is a sum."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

Untie = Callable[[nn.Module], tuple[nn.Module, dict[str, list[str]]]]


def alias_groups(model: nn.Module) -> list[list[str]]:
    """State_dict keys that are one Parameter object, in state_dict order; groups of two or more."""
    groups: dict[int, list[str]] = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        if isinstance(tensor, nn.Parameter):
            groups.setdefault(id(tensor), []).append(name)
    return [names for names in groups.values() if len(names) > 1]


def identical_tensors(a: torch.Tensor, b: torch.Tensor) -> bool:
    """The same data: equal values and the same dtype, shape and device. What a proof that a tensor
    survived (a round trip, a copy, a load) means. `torch.equal` alone ignores the dtype
    (`torch.equal(torch.arange(4), torch.arange(4).half())` is True) and raises across devices; it
    is False for two shapes. Not identity (`a is b`: one object), nor the memory layout (strides).
    """
    return a.device == b.device and a.dtype == b.dtype and torch.equal(a, b)


def parameter_count(model: nn.Module) -> dict[str, int]:
    """Elements counted once per Parameter object (`unique`) and once per name (`total`)."""
    unique = sum(p.numel() for p in model.parameters())
    total = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    return {"unique": unique, "total": total}


def untie_registrations(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
    """A copy in which every name of a shared parameter owns a clone of it (same values, same
    `requires_grad`).

    Covers sharing by registration: one module under several names (nested sharing too), or one
    Parameter assigned to several modules. Returns the copy and, for each alias group, its first
    name -> all its names.
    """
    untied = copy.deepcopy(model)
    _untie_below(untied, seen_modules=set(), seen_parameters=set())
    return untied, {names[0]: names for names in alias_groups(model)}


def _untie_below(module: nn.Module, seen_modules: set[int], seen_parameters: set[int]) -> None:
    """Walk the registrations themselves (`named_children()` skips a module it has already
    yielded): a module met again is replaced by a deep copy, whose own sharing is then undone in
    the same walk; a Parameter met again, by a clone."""
    for name, child in list(module._modules.items()):
        if child is None:
            continue
        if id(child) in seen_modules:
            child = copy.deepcopy(child)
            setattr(module, name, child)
        seen_modules.add(id(child))
        _untie_below(child, seen_modules, seen_parameters)
    for name, param in list(module._parameters.items()):
        if param is None:
            continue
        if id(param) in seen_parameters:
            clone = nn.Parameter(param.detach().clone(), requires_grad=param.requires_grad)
            setattr(module, name, clone)
        seen_parameters.add(id(param))


def backward_of(
    model: nn.Module, x: Any, forward: Callable[[nn.Module, Any], torch.Tensor]
) -> None:
    """One backward pass of a fixed scalar of the output (its sum), gradients zeroed first."""
    model.zero_grad(set_to_none=True)
    forward(model, x).sum().backward()


def shared_gradients(
    model: nn.Module,
    x: Any,
    forward: Callable[[nn.Module, Any], torch.Tensor],
    untie: Untie | None = None,
) -> list[dict[str, Any]]:
    """For every shared parameter: is its gradient the sum of the gradients its uses get in an
    untied copy (each use its own clone, same values)?

    (Whether all its names see one `.grad` object is not asked: the names are found as names of
    one Parameter (`_names_of`, by `is`), and `.grad` is an attribute of that one object, so no
    model can make them differ; a fact that cannot be False proves nothing.)
    """
    untied, clones_of = (untie or untie_registrations)(model)
    backward_of(model, x, forward)
    backward_of(untied, x, forward)
    facts = []
    for name, clone_names in clones_of.items():
        tied = model.get_parameter(name)
        names = _names_of(model, tied)
        clone_grads = [untied.get_parameter(n).grad for n in clone_names]
        summed = sum(
            (g if g is not None else torch.zeros_like(tied) for g in clone_grads),
            torch.zeros_like(tied),
        )
        deviation = deviation_from_sum(tied.grad, summed)
        facts.append(
            {
                "names": names,
                "uses": len([g for g in clone_grads if g is not None]),
                # A sum over dead uses (0 = 0 + 0) proves nothing. (A use can add zero by design:
                # an RNN's weight_hh at the first step multiplies the zero initial state.)
                "contributing_uses": len([g for g in clone_grads if g is not None and g.any()]),
                "equals_sum_of_uses": within_sum_tolerance(deviation),
                # The numbers behind that boolean, locked beside it: a comparison that compares
                # the wrong tensors, or with a looser tolerance, moves them.
                "gradient": tied.grad,
                "sum_of_uses": summed,
                "deviation_from_sum": deviation,
            }
        )
    return facts


# The tied gradient accumulates its uses in another order than the untied sum: they differ by
# rounding only, a few float32 ulps of the gradient's scale. Losing a use moves it by the size of
# that use's gradient, orders of magnitude more (tests/test_checking_code.py measures both sides).
SUM_RTOL = 1e-5


def deviation_from_sum(gradient: torch.Tensor, summed: torch.Tensor) -> dict[str, float]:
    """The largest difference between the tied gradient and the per-use sum, alone and relative to
    the scale of the two (`max_abs`: the snapshots judge the other numbers against it), and the
    tolerance the proof allows, in units of that scale. The two must be alike (shape, dtype,
    device): a twin whose sum broadcasts, or is promoted, against the gradient mirrors another model.
    """
    if like(gradient) != like(summed):
        raise ValueError(
            f"the tied gradient {like(gradient)} and the sum of its uses {like(summed)} differ: "
            "the untied twin does not mirror the model"
        )
    scale = max(gradient.abs().max().item(), summed.abs().max().item())
    largest = (gradient - summed).abs().max().item()
    return {
        "max_abs": scale,
        "largest_difference": largest,
        "relative": largest / scale if scale else 0.0,
        "tolerance": SUM_RTOL,
    }


def like(tensor: torch.Tensor) -> tuple[tuple[int, ...], torch.dtype, torch.device]:
    """What two tensors compared value by value must share: shape, dtype and device."""
    return tuple(tensor.shape), tensor.dtype, tensor.device


def within_sum_tolerance(deviation: dict[str, float]) -> bool:
    return deviation["largest_difference"] <= deviation["tolerance"] * deviation["max_abs"]


def equals_sum(gradient: torch.Tensor, summed: torch.Tensor) -> bool:
    """`gradient` equals `summed` up to rounding, judged against the whole tensor's scale."""
    return within_sum_tolerance(deviation_from_sum(gradient, summed))


def shared_parameter_names(model: nn.Module, untie: Untie | None = None) -> list[str]:
    """The first name of every shared parameter: registered under several names or, with the
    example's `untie`, reused inside `forward`."""
    return list((untie or untie_registrations)(model)[1])


def _names_of(model: nn.Module, param: nn.Parameter) -> list[str]:
    return [n for n, p in model.named_parameters(remove_duplicate=False) if p is param]


def counting_one_use(untie: Untie | None = None) -> Untie:
    """A wrong untied twin: each shared parameter's sum counts its first use only. The
    gradient-sum proof must fail on it (a claim's counter-case): a proof that passes it compares
    nothing."""

    def untie_wrongly(model: nn.Module) -> tuple[nn.Module, dict[str, list[str]]]:
        untied, clones_of = (untie or untie_registrations)(model)
        return untied, {name: clones[:1] for name, clones in clones_of.items()}

    return untie_wrongly
