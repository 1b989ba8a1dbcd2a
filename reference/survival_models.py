"""The survival table's tied models: the registry examples they are built from, the two names of
each tie, the modules holding them, and how each is tied."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils import parametrize

from .registry import get
from .seeding import seeded
from .tying import untie_registrations

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
        with seeded(), torch.device("meta"):
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
