"""d2l, 深度学习计算 · read-write: English edition §6.6 File I/O.

Save a state_dict and load it into a clone of §6.1's `MLP`, written the way the book writes it; the
exercises on reusing layers and on saving the architecture too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pickle
import warnings

import torch
from torch import nn
from torch.nn import functional as F

from .documents import BOOK
from .example import HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .memory import saved_to_memory
from .model_construction import MLP, MLP_EXAMPLE
from .releases import torch_release
from .seeding import seeded


def mlp_clone() -> MLP:
    net = MLP()
    params = saved_to_memory(net.state_dict())
    clone = MLP()
    clone.load_state_dict(torch.load(params, weights_only=True))
    clone.eval()
    return clone


def mlp_clone_never_loaded() -> MLP:
    """`mlp_clone` without its `load_state_dict`: the clone keeps its own initial parameters."""
    MLP()  # the net whose parameters were saved
    clone = MLP()
    clone.eval()
    return clone


def randn_twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.randn(size=(2, 20), generator=g)


def clone_gives_identical_outputs(device: torch.device, build=None) -> bool:
    original = MLP_EXAMPLE.model(device)  # the same seed: the net whose parameters were saved
    clone, x = MLP_CLONE.model(device, build=build), MLP_CLONE.input(device)
    with seeded(1):
        unloaded = MLP().to(device)
    return torch.equal(clone(x), original(x)) and not torch.equal(unloaded(x), original(x))


def saved_in_half_precision(obj) -> io.BytesIO:
    """A checkpoint shrunk to float16 before it is saved (half the size, and lossy): a tensor, a list
    or a dict of tensors."""
    if isinstance(obj, torch.Tensor):
        return saved_to_memory(obj.half())
    if isinstance(obj, list):
        return saved_to_memory([t.half() for t in obj])
    return saved_to_memory({key: t.half() for key, t in obj.items()})


def saved_with_a_bare_tensor_in_half_precision(obj) -> io.BytesIO:
    """Only a bare tensor shrunk to float16 before it is saved; lists and dicts saved exactly."""
    return saved_to_memory(obj.half() if isinstance(obj, torch.Tensor) else obj)


# Values float16 cannot hold exactly (a counter-case's tensor).
TENTHS = torch.tensor([0.1, 0.2, 0.3, 0.4])


def tensors_lists_and_dicts_round_trip(device: torch.device, x=None, save=saved_to_memory) -> bool:
    x = torch.arange(4, device=device) if x is None else x.to(device)
    y = torch.zeros(4, device=device)
    same = torch.load(save(x), weights_only=True)
    x2, y2 = torch.load(save([x, y]), weights_only=True)
    mydict2 = torch.load(save({"x": x, "y": y}), weights_only=True)
    return (
        torch.equal(same, x)
        and torch.equal(x2, x)
        and torch.equal(y2, y)
        and list(mydict2) == ["x", "y"]
        and torch.equal(mydict2["x"], x)
        and torch.equal(mydict2["y"], y)
    )


class MLPWithNewHead(nn.Module):
    """A different architecture that wants the first two layers (hidden, ReLU) of a saved MLP."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 2)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


def load_first_layers(net: nn.Module, state: dict, prefix: str = "hidden."):
    """Load only the entries under `prefix`; `strict=False` lets the rest keep their own values."""
    first_layers = {key: value for key, value in state.items() if key.startswith(prefix)}
    return net.load_state_dict(first_layers, strict=False)


class MLPWithNewHeadAndBiasFreeHidden(MLPWithNewHead):
    """Another design whose hidden layer has no bias: the saved hidden bias has nowhere to go."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256, bias=False)


def its_state_dict(net: nn.Module) -> dict:
    """What the book saves of a network: its state_dict."""
    return net.state_dict()


def state_dict_with_a_hidden_step_count(net: nn.Module) -> dict:
    """The state_dict plus an entry under `hidden.` (a step count) the new design has no place for."""
    return {**net.state_dict(), "hidden.steps": torch.tensor(0)}


def state_dict_with_training_arguments(net: nn.Module) -> dict:
    """A checkpoint that keeps the training arguments beside the state_dict, as scripts often do."""
    return {**net.state_dict(), "args": argparse.Namespace(lr=0.1, num_epochs=10)}


def reuse_first_two_layers(
    device: torch.device, design=MLPWithNewHead, checkpoint=its_state_dict
) -> bool:
    """Exercise: using the first two layers of a saved network in a network of another design.
    `checkpoint`: what is saved of the network."""
    original, x = MLP_EXAMPLE.model(device), MLP_EXAMPLE.input(device)
    try:
        state = torch.load(saved_to_memory(checkpoint(original)), weights_only=True)
    except pickle.UnpicklingError:  # the safe load takes only tensors and plain containers
        return False
    with seeded(1):
        new = design().to(device)
    head_before = new.out.weight.detach().clone()
    result = load_first_layers(new, state)
    return (
        result.unexpected_keys == []
        and result.missing_keys == [k for k in new.state_dict() if not k.startswith("hidden.")]
        and torch.equal(F.relu(new.hidden(x)), F.relu(original.hidden(x)))
        and torch.equal(new.out.weight.detach(), head_before)
    )


# PyTorch 2.6 flipped `torch.load`'s default to `weights_only=True`, which refuses to unpickle
# anything but tensors and plain containers, so a whole pickled module no longer loads by default
# (pytorch/pytorch#137602; PyTorch 2.6 release notes, https://pytorch.org/blog/pytorch2-6/).
# 2.4 and 2.5 still load it, with a FutureWarning announcing the change (pytorch/pytorch#129239).
WEIGHTS_ONLY_DEFAULT_FROM = (2, 6)


def default_load_refuses_modules() -> bool:
    return torch_release() >= WEIGHTS_ONLY_DEFAULT_FROM


def allowing(classes) -> contextlib.AbstractContextManager:
    """`torch.serialization.safe_globals(classes)`: the classes weights_only=True may unpickle too."""
    return torch.serialization.safe_globals(list(classes)) if classes else contextlib.nullcontext()


def loads_with_the_default(buffer: io.BytesIO, allowed=()) -> bool:
    buffer.seek(0)
    try:
        with warnings.catch_warnings(), allowing(allowed):
            warnings.simplefilter("ignore", FutureWarning)  # 2.4 and 2.5 announce the flip
            torch.load(buffer)
    except pickle.UnpicklingError:
        return False
    return True


def whole_model_round_trip(
    device: torch.device, allowed=(), refuses_by_default: bool | None = None
) -> bool:
    """`torch.save(net)` pickles the module. What the default load does depends on the release;
    `weights_only=False` loads it (and runs pickle: only for files you trust). `allowed`: classes
    declared safe for the default load (`torch.serialization.safe_globals`). `refuses_by_default`:
    what the default load is expected to do (default: what the installed release does)."""
    if refuses_by_default is None:
        refuses_by_default = default_load_refuses_modules()
    net, x = MLP_EXAMPLE.model(device), MLP_EXAMPLE.input(device)
    buffer = saved_to_memory(net)
    default_loads = loads_with_the_default(buffer, allowed)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    return (
        default_loads != refuses_by_default
        and type(loaded) is MLP
        and torch.equal(loaded(x), net(x))
    )


# === The registry entries =========================================================================

MLP_CLONE = Example(
    name="mlp_clone",
    document=BOOK,
    section="§6.6 File I/O",
    shows="save MLP's state_dict, load it into a new MLP (weights_only=True)",
    build=mlp_clone,
    make_input=randn_twenty_features,
    claims=(
        Claim(
            "clone_identical",
            "the clone, loaded from the saved parameters, computes Y_clone == Y",
            HOLDS,
            clone_gives_identical_outputs,
            counters=(
                counter("the clone never loads the saved parameters", build=mlp_clone_never_loaded),
            ),
        ),
        Claim(
            "tensors_round_trip",
            "torch.save / torch.load round-trip a tensor, a list of tensors and a dict of tensors",
            HOLDS,
            tensors_lists_and_dicts_round_trip,
            counters=(
                counter(
                    "a float tensor (0.1…0.4) saved in half precision",
                    x=TENTHS,
                    save=saved_in_half_precision,
                ),
                counter(
                    "only the bare tensor (0.1…0.4) saved in half precision",
                    x=TENTHS,
                    save=saved_with_a_bare_tensor_in_half_precision,
                ),
            ),
        ),
        Claim(
            "reuse_first_two_layers",
            "exercise: the first two layers of a saved network can be used in a network of another "
            "design by loading only their entries (strict=False)",
            HOLDS,
            reuse_first_two_layers,
            counters=(
                counter(
                    "a design whose hidden layer has no bias",
                    design=MLPWithNewHeadAndBiasFreeHidden,
                ),
                counter(
                    "a saved entry under hidden. (a step count) the new design has no place for",
                    checkpoint=state_dict_with_a_hidden_step_count,
                ),
                counter(
                    "the checkpoint keeps the training arguments: the safe load refuses it",
                    checkpoint=state_dict_with_training_arguments,
                ),
            ),
        ),
        Claim(
            "save_whole_model",
            "exercise: torch.save(net) saves architecture and parameters together, and "
            "torch.load(file) gives the network back",
            HOLDS_ONLY_WHEN,
            whole_model_round_trip,
            counters=(
                counter(
                    "the other default expected: the release before (or after) 2.6",
                    refuses_by_default=not default_load_refuses_modules(),
                ),
                # Where the default refuses (2.6 on), declaring the classes safe makes it read
                # the module; before, the default reads it anyway and nothing changes.
                *(
                    (
                        counter(
                            "MLP and nn.Linear declared safe globals: the default load reads it",
                            allowed=(MLP, nn.Linear),
                        ),
                    )
                    if default_load_refuses_modules()
                    else ()
                ),
            ),
            condition=(
                "torch.load is given weights_only=False (for files you trust) and the class can be "
                "imported where it is loaded (pickle stores it by name, not its code): since "
                "PyTorch 2.6 the default weights_only=True refuses a pickled module"
            ),
        ),
    ),
)

EXAMPLES = (MLP_CLONE,)
