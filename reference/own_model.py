"""Your own tied model in the survival table: `python -m reference survival --model pkg.mod:factory`.

The factory is any importable callable that returns an `nn.Module` with at least one tie, or a
`(module, example_input)` pair. The tie is found by identity: two names of one Parameter (a
registration, `lm_head.weight = embed_tokens.weight`), or else one Parameter that a forward pass
reads twice (a tie made in forward, `F.linear(x, embed_tokens.weight)`). Without an input, one is
made for the first layer: token ids for an Embedding (or a `config.vocab_size`), features for a
Linear.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .errors import UsageError, install_hint
from .seeding import generator, seeded
from .survival_models import Tie, tie_of
from .tying import alias_groups, untie_registrations


def load_factory(spec: str) -> Callable[[], Any]:
    """`package.module:factory` -> the callable, or a UsageError that names what is wrong."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise UsageError(f"--model {spec!r}: expected package.module:factory")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UsageError(f"--model {spec!r}: cannot import {module_name!r} ({error})") from None
    try:
        factory = operator.attrgetter(attribute)(module)
    except AttributeError:
        raise UsageError(f"--model {spec!r}: {module_name} has no {attribute!r}") from None
    if not callable(factory):
        raise UsageError(f"--model {spec!r}: {attribute!r} is not callable")
    return factory


def build(factory: Callable[[], Any], spec: str) -> tuple[nn.Module, Any]:
    """The factory's module and input, built seeded on the CPU; a failure is one line."""
    try:
        with seeded():
            made = factory()
    except ModuleNotFoundError as error:
        hint = install_hint(error.name or "")
        if not hint:
            raise UsageError(f"--model {spec!r}: the factory failed: {error}") from None
        raise UsageError(f"--model {spec!r} needs {error.name}, not installed: {hint}") from None
    except Exception as error:
        raise UsageError(
            f"--model {spec!r}: the factory failed: {type(error).__name__}: {error}"
        ) from None
    module, example_input = made if isinstance(made, tuple) and len(made) == 2 else (made, None)
    if not isinstance(module, nn.Module):
        raise UsageError(
            f"--model {spec!r}: the factory returned {type(module).__name__}, not an nn.Module"
        )
    return module, example_input if example_input is not None else made_input(module, spec)


def made_input(model: nn.Module, spec: str) -> torch.Tensor:
    """Token ids where the model starts with an Embedding (or says its vocabulary), else features
    for its first Linear; drawn from the seeded generator."""
    config = getattr(model, "config", None)
    vocabulary = getattr(config, "vocab_size", None)
    first = next((m for m in model.modules() if isinstance(m, nn.Embedding | nn.Linear)), None)
    if vocabulary is None and isinstance(first, nn.Embedding):
        vocabulary = first.num_embeddings
    if vocabulary is not None:
        return torch.randint(0, vocabulary, (2, 8), generator=generator())
    if isinstance(first, nn.Linear):
        return torch.rand(2, first.in_features, generator=generator())
    raise UsageError(f"--model {spec!r}: cannot make an input for it; return (model, input)")


class ParameterReads(TorchFunctionMode):
    """Counts, for each Parameter, the torch functions one forward pass hands it to."""

    def __init__(self, parameters: dict[int, str]):
        super().__init__()
        self.parameters = parameters
        self.reads: dict[str, int] = {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        for value in (*args, *(kwargs or {}).values()):
            if isinstance(value, nn.Parameter) and id(value) in self.parameters:
                name = self.parameters[id(value)]
                self.reads[name] = self.reads.get(name, 0) + 1
        return func(*args, **(kwargs or {}))


def find_tie(model: nn.Module, example_input: Any, spec: str) -> tuple[tuple[str, str], str]:
    """The tie's two names and how it is made: a registration first, else a read twice in forward."""
    groups = alias_groups(model)
    if groups:
        return (groups[0][0], groups[0][1]), f"registration: {groups[0][1]} = {groups[0][0]}"
    parameters = {id(p): name for name, p in model.named_parameters()}
    with ParameterReads(parameters) as reads:
        model(example_input)
    twice = [name for name, count in reads.reads.items() if count > 1]
    if not twice:
        raise UsageError(
            f"--model {spec!r}: no tie found (no Parameter under two names, none read twice in "
            "forward)"
        )
    return (twice[0], twice[0]), f"in forward: {twice[0]} read {reads.reads[twice[0]]} times"


@dataclass(frozen=True)
class OwnTiedModel:
    """A tied model of the user's, with the interface of `survival_models.TiedModel`."""

    name: str
    names: tuple[str, str]
    holders: tuple[str, str]
    how: str
    factory: Callable[[], Any] = field(repr=False)
    example_input: Any = field(repr=False)

    def model(self) -> nn.Module:
        with seeded():
            made = self.factory()
        return made[0] if isinstance(made, tuple) else made

    def model_on_meta(self) -> nn.Module:
        return self.model_within(torch.device("meta"))

    def model_within(self, context: AbstractContextManager) -> nn.Module:
        with seeded(), context:
            made = self.factory()
        return made[0] if isinstance(made, tuple) else made

    def input(self) -> Any:
        return self.example_input

    def untied(self, model: nn.Module) -> nn.Module:
        return untie_registrations(model)[0]

    def tensor(self, model: nn.Module, name: str) -> torch.Tensor:
        return operator.attrgetter(name)(model)

    def tie(self) -> Tie:
        model = self.model()
        return tie_of(model, self.tensor(model, self.names[0]))


def holder_of(name: str) -> str:
    """The module a Parameter's name is held by, as the table's holder rows shard it: the name's
    prefix, or for a parametrized weight (`decoder.parametrizations.weight.original`) the module
    parametrized (`decoder`); '' for the root's own Parameter."""
    if name.startswith("parametrizations."):
        return ""
    parametrized, marker, _ = name.partition(".parametrizations.")
    return parametrized if marker else name.rpartition(".")[0]


def own_tied_model(spec: str) -> OwnTiedModel:
    factory = load_factory(spec)
    model, example_input = build(factory, spec)
    names, how = find_tie(model, example_input, spec)
    holders = (holder_of(names[0]), holder_of(names[1]))
    return OwnTiedModel(spec, names, holders, how, factory, example_input)
