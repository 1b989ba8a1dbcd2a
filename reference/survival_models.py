"""The survival table's tied models: the registry examples they are built from, the two names of
each tie, the modules holding them, and how each is tied; and `Tie`, the kind of a tie read from the
model itself, which the table's reasons attach to (whatever the model is called)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrize import ParametrizationList

from .registry import get
from .seeding import seeded
from .tying import untie_registrations

# --- the kind of a tie ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tie:
    """How a tie is made, read from the model: the table's reasons speak of kinds of tie (two names,
    two holders, one module under two names, a read twice in forward, held by the root), so that a
    model of the user's is explained as the built-in model of its kind is.

    - `names`: how many names reach the Parameter (`named_parameters(remove_duplicate=False)`); one
      for a tie made in forward, which reads one name twice;
    - `holders`: how many distinct modules hold it as a Parameter of their own;
    - `module_twice`: a module holding it is registered under two names (one module, two paths);
    - `held_by_root`: the root module itself holds it;
    - `parametrized`: `torch.nn.utils.parametrize` holds it (a ParametrizationList's `original`).
    """

    names: int
    holders: int
    module_twice: bool
    held_by_root: bool
    parametrized: bool

    def words(self) -> str:
        """The kind in words, as the notes print it."""
        if self.names == 1:
            where = "the root's own Parameter" if self.held_by_root else "one name"
            return f"in forward: {where}, read twice"
        found = [f"{self.names} names"]
        found.append("one module under two names" if self.module_twice else "")
        found.append(f"{self.holders} holding modules" if self.holders > 1 else "")
        found.append("through parametrize" if self.parametrized else "")
        return ", ".join(part for part in found if part)

    def as_json(self) -> dict:
        return {
            "names": self.names,
            "holders": self.holders,
            "module_twice": self.module_twice,
            "held_by_root": self.held_by_root,
            "parametrized": self.parametrized,
        }

    @classmethod
    def from_json(cls, facts: dict) -> Tie:
        """The kind back from a table's `ties` entry (which also says how the tie is made)."""
        return cls(**{f.name: facts[f.name] for f in fields(cls)})


def tie_of(model: nn.Module, parameter: torch.Tensor) -> Tie:
    """The kind of the tie on `parameter`, read from where `model` holds it."""
    names = sum(p is parameter for _, p in model.named_parameters(remove_duplicate=False))
    paths: dict[int, list[str]] = {}
    owners: dict[int, nn.Module] = {}
    for path, module in model.named_modules(remove_duplicate=False):
        if any(p is parameter for p in module._parameters.values()):
            paths.setdefault(id(module), []).append(path)
            owners[id(module)] = module
    return Tie(
        names=names,
        holders=len(owners),
        module_twice=any(len(found) > 1 for found in paths.values()),
        held_by_root=any(module is model for module in owners.values()),
        parametrized=any(isinstance(m, ParametrizationList) for m in owners.values()),
    )


# --- the tied models ------------------------------------------------------------------------------


class RegisteredLanguageModel(nn.Module):
    """tied_embeddings' language-model head tied the usual way: an `lm_head` Linear whose weight
    *is* the embedding table (`lm_head.weight = embed_tokens.weight`), so the tie has two names.
    """

    def __init__(self, embed_tokens: nn.Embedding, hidden: nn.Linear):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.hidden = hidden
        vocabulary, dim = embed_tokens.weight.shape
        # Built on the meta device (nothing drawn); its weight is replaced by the table at once.
        self.lm_head = nn.Linear(dim, vocabulary, bias=False, device="meta")
        self.lm_head.weight = self.embed_tokens.weight

    def forward(self, tokens):
        return self.lm_head(torch.tanh(self.hidden(self.embed_tokens(tokens))))


def registered_lm_head(tied_embeddings: nn.Module) -> RegisteredLanguageModel:
    return RegisteredLanguageModel(tied_embeddings.embed_tokens, tied_embeddings.hidden)


class Transposed(nn.Module):
    """A parametrization: the weight it gives is the tensor it is registered on, transposed."""

    def forward(self, weight):
        return weight.t()


class ParametrizedAutoencoder(nn.Module):
    """tied_autoencoder with the tie made by `parametrize`: the decoder is a Linear whose weight is
    `Transposed()` of the encoder's Parameter, registered as the decoder's original.
    """

    def __init__(self, encoder: nn.Linear, decoder_bias: nn.Parameter):
        super().__init__()
        self.encoder = encoder
        hidden, in_features = encoder.weight.shape
        self.decoder = nn.Linear(hidden, in_features, device="meta")  # its tensors are replaced
        self.decoder.bias = decoder_bias
        del self.decoder.weight
        self.decoder.weight = encoder.weight
        # unsafe: the parametrized weight (in, hidden) has another shape than its original.
        parametrize.register_parametrization(self.decoder, "weight", Transposed(), unsafe=True)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def parametrized_autoencoder(tied_autoencoder: nn.Module) -> ParametrizedAutoencoder:
    return ParametrizedAutoencoder(tied_autoencoder.encoder, tied_autoencoder.decoder_bias)


def as_built(model: nn.Module) -> nn.Module:
    return model


@dataclass(frozen=True)
class TiedModel:
    """A model of the table: the registry example it is built from, the two names of its tie (one
    name twice for a tie made in forward), the modules holding them, and how it is tied.
    """

    name: str
    example: str
    names: tuple[str, str]
    holders: tuple[str, str]
    how: str
    rebuild: Callable[[nn.Module], nn.Module] = as_built

    def model(self) -> nn.Module:
        return self.rebuild(get(self.example).model())

    def model_on_meta(self) -> nn.Module:
        """The same model initialised on the meta device: shapes and ties, no storage."""
        return self.model_within(torch.device("meta"))

    def model_within(self, context: AbstractContextManager) -> nn.Module:
        """The same model built inside `context` (the meta device, accelerate's init_empty_weights),
        from the same seed."""
        with seeded(), context:
            return self.rebuild(get(self.example).build())

    def input(self):
        return get(self.example).input()

    def untied(self, model: nn.Module) -> nn.Module:
        """A copy with one tensor per use, same values: the example's own `untie` for a tie made
        in forward, one clone per registration otherwise.
        """
        untie = get(self.example).untie if self.rebuild is as_built else None
        return (untie or untie_registrations)(model)[0]

    def tensor(self, model: nn.Module, name: str) -> torch.Tensor:
        return operator.attrgetter(name)(model)

    def tie(self) -> Tie:
        model = self.model()
        return tie_of(model, self.tensor(model, self.names[0]))


MODELS = (
    TiedModel(
        name="tied_embeddings",
        example="tied_embeddings",
        names=("embed_tokens.weight", "embed_tokens.weight"),
        holders=("embed_tokens", "embed_tokens"),
        how="in forward: F.linear(x, embed_tokens.weight)",
    ),
    TiedModel(
        name="tied_sequential",
        example="tied_sequential",
        names=("2.weight", "4.weight"),  # and 2.bias / 4.bias, tied the same way
        holders=("2", "4"),
        how="one Linear registered twice in a Sequential",
    ),
    TiedModel(
        name="tied_autoencoder",
        example="tied_autoencoder",
        names=("encoder.weight", "encoder.weight"),
        holders=("encoder", "encoder"),
        how="in forward: F.linear(h, encoder.weight.t())",
    ),
    TiedModel(
        name="registered_lm_head",
        example="tied_embeddings",
        names=("embed_tokens.weight", "lm_head.weight"),
        holders=("embed_tokens", "lm_head"),
        how="registration: lm_head.weight = embed_tokens.weight",
        rebuild=registered_lm_head,
    ),
    TiedModel(
        name="parametrized_autoencoder",
        example="tied_autoencoder",
        names=("encoder.weight", "decoder.parametrizations.weight.original"),
        holders=("encoder", "decoder"),
        how="parametrize: decoder.weight = Transposed()(encoder.weight)",
        rebuild=parametrized_autoencoder,
    ),
)


def tied_model(name: str) -> TiedModel:
    return next(m for m in MODELS if m.name == name)
