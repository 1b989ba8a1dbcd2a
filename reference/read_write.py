"""d2l, 深度学习计算 · read-write: English edition §6.6 File I/O.

Save a state_dict and load it into a clone of §6.1's `MLP`, written the way the book writes it; the
exercises on reusing layers and on saving the architecture too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pickle
import sys
import types
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .documents import BOOK
from .example import HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .memory import saved_to_memory
from .model_construction import MLP, MLP_EXAMPLE
from .releases import torch_release
from .seeding import SEED, seeded
from .tying import identical_tensors


def mlp_clone_from(params: io.BytesIO) -> MLP:
    """The book's three lines: a new MLP, the saved parameters loaded into it, evaluation mode."""
    clone = MLP()
    clone.load_state_dict(torch.load(params, weights_only=True))
    clone.eval()
    return clone


def mlp_clone() -> MLP:
    net = MLP()
    return mlp_clone_from(saved_to_memory(net.state_dict()))


def randn_twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.randn(size=(2, 20), generator=g)


# The nets whose parameters the clone check saves: the example's, and one drawn at another seed. A
# clone that never loads keeps its own initial values: drawn at one net's seed it computes that
# net's output, but not the other's.
SAVED_NET_SEEDS = (SEED, SEED + 1)
# The clone itself is built at a seed of its own, so that its own draw matches neither net.
CLONE_SEED = SEED + 2


def clone_gives_identical_outputs(device: torch.device, clone_from=mlp_clone_from) -> bool:
    """`clone_from(params)` makes the clone from the saved parameters: it must compute what the
    saved net computes (values, dtype, shape, device), for either saved net."""
    x = MLP_CLONE.input(device)

    def clone_computes_the_saved_nets_output(seed: int) -> bool:
        net = MLP_EXAMPLE.model(device, seed=seed)
        params = saved_to_memory(net.state_dict())
        with seeded(CLONE_SEED):
            clone = clone_from(params).to(device)
        return identical_tensors(clone(x), net(x))

    first, other = SAVED_NET_SEEDS
    return clone_computes_the_saved_nets_output(first) and clone_computes_the_saved_nets_output(
        other
    )


def clone_never_loaded(params: io.BytesIO) -> MLP:
    """`mlp_clone_from` without its `load_state_dict`: the clone keeps its own initial values."""
    clone = MLP()
    clone.eval()
    return clone


def clone_never_loaded_drawn_at_the_examples_seed(params: io.BytesIO) -> MLP:
    """A clone that never loads, drawn at the seed of the example's net: equal to that net."""
    with seeded(SAVED_NET_SEEDS[0]):
        return clone_never_loaded(params)


def clone_never_loaded_drawn_at_the_other_seed(params: io.BytesIO) -> MLP:
    """A clone that never loads, drawn at the other saved net's seed: equal to that net."""
    with seeded(SAVED_NET_SEEDS[1]):
        return clone_never_loaded(params)


# --- savers and loaders for the round trips: the book's, and counter-cases' ----------------------


def each_tensor(obj, change, item=None):
    """`obj` (a tensor, a list or a dict of tensors) with `change` applied to its tensors: all of
    them, or only `item` ("tensor": a bare tensor; 0 or 1: that item of a list; a key of a dict)."""
    if isinstance(obj, torch.Tensor):
        return change(obj) if item in (None, "tensor") else obj
    if isinstance(obj, list):
        return [change(t) if item in (None, i) else t for i, t in enumerate(obj)]
    return {key: change(t) if item in (None, key) else t for key, t in obj.items()}


def saved_in_half_precision(obj) -> io.BytesIO:
    """A checkpoint shrunk to float16 before it is saved: half the size; small integers survive, but
    the dtype does not."""
    return saved_to_memory(each_tensor(obj, torch.Tensor.half))


def saved_through_half_precision(obj) -> io.BytesIO:
    """Rounded to float16 and back before it is saved: the dtype survives, 0.1 does not."""
    return saved_to_memory(each_tensor(obj, lambda t: t.half().to(t.dtype)))


def one_saved_in_half_precision(item):
    """A saver that shrinks one tensor to float16 (`item`, as in `each_tensor`) and saves the rest
    exactly."""

    def save(obj) -> io.BytesIO:
        return saved_to_memory(each_tensor(obj, torch.Tensor.half, item))

    return save


def saved_with_the_keys_reversed(obj) -> io.BytesIO:
    """A dict saved with its keys in reverse order; tensors and lists saved exactly."""
    return saved_to_memory(dict(reversed(obj.items())) if isinstance(obj, dict) else obj)


def loaded_safely(buffer: io.BytesIO):
    """`torch.load` that unpickles tensors and plain containers only (the default from torch 2.6)."""
    return torch.load(buffer, weights_only=True)


def loaded_onto_the_meta_device(buffer: io.BytesIO):
    """A load that maps every tensor to another device (`map_location`), here the meta device."""
    return torch.load(buffer, weights_only=True, map_location="meta")


# Values float16 cannot hold exactly (a counter-case's tensor).
TENTHS = torch.tensor([0.1, 0.2, 0.3, 0.4])


def tensors_lists_and_dicts_round_trip(
    device: torch.device, x=None, save=saved_to_memory, load=loaded_safely
) -> bool:
    """The book's x = arange(4), y = zeros(4): saved and loaded alone, as a list and as a dict, each
    comes back identical (dtype, device, shape, values), the dict's keys in their order."""
    x = torch.arange(4, device=device) if x is None else x.to(device)
    y = torch.zeros(4, device=device)
    same = load(save(x))
    x2, y2 = load(save([x, y]))
    mydict2 = load(save({"x": x, "y": y}))
    return (
        identical_tensors(same, x)
        and identical_tensors(x2, x)
        and identical_tensors(y2, y)
        and list(mydict2) == ["x", "y"]
        and identical_tensors(mydict2["x"], x)
        and identical_tensors(mydict2["y"], y)
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


class HiddenWithAGain(nn.Linear):
    """A hidden layer with a learned per-unit gain (ones to start with), a parameter the saved
    network does not have."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__(in_features, out_features)
        self.gain = nn.Parameter(torch.ones(out_features))

    def forward(self, X):
        return self.gain * super().forward(X)


class MLPWithNewHeadAndAGainedHidden(MLPWithNewHead):
    """Another design whose hidden layer has a gain of its own (a counter-case): the file holds no
    value for it, so the layer is not the saved one, though it starts out computing the same."""

    def __init__(self):
        super().__init__()
        self.hidden = HiddenWithAGain(20, 256)


class MLPWithNewHeadInFloat64(MLPWithNewHead):
    """The new design built in float64 (a counter-case): the loaded values are cast, and its
    hidden layer no longer computes what the saved one did."""

    def __init__(self):
        super().__init__()
        self.double()

    def forward(self, X):
        return super().forward(X.double())


class MLPWithNewHeadZeroedOnLoad(MLPWithNewHead):
    """A design whose load hook zeroes its head (a counter-case), as a fine-tuning script that
    resets the head whenever weights are loaded might: the head does not keep its own values."""

    def __init__(self):
        super().__init__()
        self.register_load_state_dict_post_hook(zero_the_head)


def zero_the_head(module: nn.Module, incompatible_keys) -> None:
    with torch.no_grad():
        module.out.weight.zero_()


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
    hidden_x = x.to(new.hidden.weight.dtype)  # the input as the new design takes it
    return (
        result.unexpected_keys == []
        and result.missing_keys == [k for k in new.state_dict() if not k.startswith("hidden.")]
        and identical_tensors(F.relu(new.hidden(hidden_x)), F.relu(original.hidden(x)))
        and identical_tensors(new.out.weight.detach(), head_before)
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
    classes = list(classes)
    return torch.serialization.safe_globals(classes) if classes else contextlib.nullcontext()


# --- the whole module saved: when torch.load gives the network back --------------------------------


@dataclass(frozen=True)
class Load:
    """One way a pickled MLP is loaded: how `torch.load` is called (`weights_only=False`, or its
    default), which classes are declared safe for it (`allowed`, by name), and what the name the class
    was saved under finds where the file is loaded (`finds`): the class itself, nothing (its module
    is not there), another class (the name now stands for a class of another name), or the class
    with changed code."""

    how: str  # "weights_only=False" or "default"
    allowed: tuple[str, ...] = ()
    finds: str = "the class"

    def __str__(self) -> str:
        allowed = f" with {', '.join(self.allowed)} declared safe" if self.allowed else ""
        return f"{self.how}{allowed}, the saved name finding {self.finds}"


# Every route the condition speaks of: both loaders, the classes declared safe or not (all of them,
# or MLP alone), and each thing the saved name can find at load time.
LOADS = (
    Load("weights_only=False"),
    Load("default", allowed=("MLP", "Linear")),
    Load("default"),
    Load("default", allowed=("MLP",)),
    Load("weights_only=False", finds="nothing"),
    Load("weights_only=False", finds="another class"),
    Load("weights_only=False", finds="changed code"),
)


def loads_back_when(load: Load, refuses_by_default: bool) -> bool:
    """The condition the claim states: the loader may unpickle every class of the module
    (weights_only=False; or the default, which before torch 2.6 unpickles anything and from 2.6 on
    only the classes declared safe), and the name each class was saved under finds that class, with
    the same code."""
    may_unpickle = (
        load.how == "weights_only=False"
        or not refuses_by_default
        or set(load.allowed) >= {"MLP", "Linear"}
    )
    return may_unpickle and load.finds == "the class"


# --- counter-cases: the condition stated otherwise (each one is wrong about one route) ------------


def loads_back_only_with_weights_only_false(load: Load, refuses_by_default: bool) -> bool:
    """The condition as it was first stated: weights_only=False is needed (safe_globals forgotten)."""
    return (load.how == "weights_only=False" or not refuses_by_default) and (
        load.finds == "the class"
    )


def loads_back_only_with_classes_declared_safe(load: Load, refuses_by_default: bool) -> bool:
    """Wrong the other way: the module's classes must be declared safe, whatever weights_only says."""
    return set(load.allowed) >= {"MLP", "Linear"} and load.finds == "the class"


def loads_back_with_mlp_alone_declared_safe(load: Load, refuses_by_default: bool) -> bool:
    """Wrong: declaring MLP safe is enough (nn.Linear, a class of the module too, forgotten)."""
    return (
        load.how == "weights_only=False" or not refuses_by_default or "MLP" in load.allowed
    ) and load.finds == "the class"


def loads_back_by_default_until_a_class_is_declared(load: Load, refuses_by_default: bool) -> bool:
    """Wrong: the default load unpickles anything until classes are declared safe, and then only
    those (as if declaring one switched the safe loader on)."""
    return (
        load.how == "weights_only=False"
        or not load.allowed
        or set(load.allowed) >= {"MLP", "Linear"}
    ) and load.finds == "the class"


def loads_back_without_its_module(load: Load, refuses_by_default: bool) -> bool:
    """Wrong: the class need not be there at load time (as if the file held its code)."""
    return loads_back_when(load, refuses_by_default) or (
        load.how == "weights_only=False" and load.finds == "nothing"
    )


def loads_back_whatever_class_the_name_finds(load: Load, refuses_by_default: bool) -> bool:
    """Wrong: any class the saved name finds gives the network back."""
    return loads_back_when(load, refuses_by_default) or (
        load.how == "weights_only=False" and load.finds == "another class"
    )


def loads_back_whatever_code_the_class_has(load: Load, refuses_by_default: bool) -> bool:
    """Wrong: the class's code may change between saving and loading."""
    return loads_back_when(load, refuses_by_default) or (
        load.how == "weights_only=False" and load.finds == "changed code"
    )


SAVED_MODULE = "reference_saved_models"


@contextlib.contextmanager
def a_module_of_its_own() -> Iterator[types.ModuleType]:
    """A module, importable while the body runs, for a class whose saved name the check controls:
    what that name finds at load time can then be changed, or be gone (the module removed)."""
    module = types.ModuleType(SAVED_MODULE)
    sys.modules[SAVED_MODULE] = module
    try:
        yield module
    finally:
        sys.modules.pop(SAVED_MODULE, None)


def the_books_mlp_in(module: types.ModuleType, name: str = "MLP", forward=None) -> type:
    """A class with MLP's code (or another `forward`) whose pickled name is `module.name`."""
    namespace = {"__module__": module.__name__, "__qualname__": name}
    if forward is not None:
        namespace["forward"] = forward
    return type(name, (MLP,), namespace)


def forward_through_tanh(self, X):
    """MLP's forward edited after the file was saved: tanh where it had ReLU."""
    return self.out(torch.tanh(self.hidden(X)))


def found_at_load_time(module: types.ModuleType, finds: str) -> None:
    """Make the saved name `module.MLP` find what `finds` says when the file is loaded."""
    if finds == "nothing":
        sys.modules.pop(module.__name__)
    elif finds == "another class":  # a refactor: `MLP` now an alias of a class of another name
        module.MLP = the_books_mlp_in(module, name="TwoLayerNet")
    elif finds == "changed code":
        module.MLP = the_books_mlp_in(module, forward=forward_through_tanh)


def gives_the_network_back(device: torch.device, load: Load) -> bool:
    """torch.save(net) of the book's MLP, then `load`: is what comes back the saved class (by the
    name pickle stores) computing the saved network's output (values, dtype, shape, device)?"""
    with a_module_of_its_own() as saved_models:
        saved_models.MLP = the_books_mlp_in(saved_models)
        net, x = MLP_EXAMPLE.model(device, build=saved_models.MLP), MLP_EXAMPLE.input(device)
        buffer = saved_to_memory(net)
        found_at_load_time(saved_models, load.finds)
        classes = {"MLP": saved_models.MLP, "Linear": nn.Linear}
        try:
            with warnings.catch_warnings(), allowing(classes[c] for c in load.allowed):
                warnings.simplefilter("ignore", FutureWarning)  # 2.4 and 2.5 announce the flip
                if load.how == "default":
                    loaded = torch.load(buffer)
                else:
                    loaded = torch.load(buffer, weights_only=False)
        except (pickle.UnpicklingError, ImportError, AttributeError):
            return False
    saved_as = (type(net).__module__, type(net).__qualname__)
    same_class = (type(loaded).__module__, type(loaded).__qualname__) == saved_as
    return same_class and identical_tensors(loaded(x), net(x))


def whole_model_round_trip(
    device: torch.device, condition=loads_back_when, refuses_by_default: bool | None = None
) -> bool:
    """Exercise: torch.save(net) pickles the module, architecture and parameters. Each way of
    loading it (`LOADS`) gives the network back exactly where `condition` says it does.
    `refuses_by_default`: whether the default load refuses a pickled module (default: what the
    installed release does)."""
    if refuses_by_default is None:
        refuses_by_default = default_load_refuses_modules()
    return all(
        gives_the_network_back(device, load) == condition(load, refuses_by_default)
        for load in LOADS
    )


# === The registry entries =========================================================================

REVIEWED = "2026-12-07"

MLP_CLONE = Example(
    name="mlp_clone",
    document=BOOK,
    section="5.5 读写文件, 5.5.2 加载和保存模型参数 (6.6 File I/O)",
    shows="save MLP's state_dict, load it into a new MLP (weights_only=True)",
    build=mlp_clone,
    make_input=randn_twenty_features,
    claims=(
        Claim(
            "clone_identical",
            "the clone, which reads the saved parameters instead of keeping its own, computes the "
            "same output as the saved net: Y_clone == Y",
            HOLDS,
            clone_gives_identical_outputs,
            counters=(
                counter(
                    "the clone never loads the saved parameters", clone_from=clone_never_loaded
                ),
                counter(
                    "a clone that never loads, drawn at the example's seed: equal to the example's "
                    "net, not to the other saved net",
                    clone_from=clone_never_loaded_drawn_at_the_examples_seed,
                ),
                counter(
                    "a clone that never loads, drawn at the other saved net's seed: equal to that "
                    "net, not to the example's",
                    clone_from=clone_never_loaded_drawn_at_the_other_seed,
                ),
            ),
            quote="由于两个实例具有相同的模型参数，在输入相同的`X`时，两个实例的计算结果应该相同",
            place="5.5 读写文件, 5.5.2 加载和保存模型参数 (clone.load_state_dict, Y_clone == Y)",
            reading=(
                "the clone's parameters are the saved ones, read from the file, so it computes "
                "exactly what the saved net computes; judged on the whole output (values, dtype, "
                "shape, device), for the example's net and for a net drawn at another seed, so "
                "that a clone keeping a draw of its own cannot pass"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "tensors_round_trip",
            "torch.save and torch.load write a single tensor, a list of tensors and a dict from "
            "strings to tensors, and read them back as they were",
            HOLDS,
            tensors_lists_and_dicts_round_trip,
            counters=(
                counter(
                    "every tensor saved in half precision: arange(4)'s values survive, its dtype "
                    "does not",
                    save=saved_in_half_precision,
                ),
                counter(
                    "0.1…0.4 rounded through half precision before saving: the dtype survives, the "
                    "values do not",
                    x=TENTHS,
                    save=saved_through_half_precision,
                ),
                counter(
                    "a load that maps every tensor to another device (the meta device)",
                    load=loaded_onto_the_meta_device,
                ),
                counter(
                    "only the bare tensor saved in half precision",
                    save=one_saved_in_half_precision("tensor"),
                ),
                counter(
                    "only the list's first tensor saved in half precision",
                    save=one_saved_in_half_precision(0),
                ),
                counter(
                    "only the list's second tensor saved in half precision",
                    save=one_saved_in_half_precision(1),
                ),
                counter("the dict saved with its keys reversed", save=saved_with_the_keys_reversed),
                counter(
                    "only the dict's 'x' saved in half precision",
                    save=one_saved_in_half_precision("x"),
                ),
                counter(
                    "only the dict's 'y' saved in half precision",
                    save=one_saved_in_half_precision("y"),
                ),
            ),
            quote=(
                "对于单个张量，我们可以直接调用`load`和`save`函数分别读写它们 … "
                "存储一个张量列表，然后把它们读回内存 … 写入或读取从字符串映射到张量的字典"
            ),
            place="5.5 读写文件, 5.5.1 加载和保存张量",
            reading=(
                "what is read back is what was written: each tensor with its dtype, device, shape "
                "and values, the list in its order, the dict with its keys in their order (the book "
                "prints x2, (x2, y2) and mydict2 beside what it saved)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "reuse_first_two_layers",
            "exercise, answered: the first two layers of a saved network can be used in a network "
            "of another design by loading only their entries (strict=False)",
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
                counter(
                    "a design whose hidden layer has a gain of its own, not in the file",
                    design=MLPWithNewHeadAndAGainedHidden,
                ),
                counter("a design built in float64", design=MLPWithNewHeadInFloat64),
                counter("a design that zeroes its head on load", design=MLPWithNewHeadZeroedOnLoad),
            ),
            quote="比如想在一个新的网络中使用之前网络的前两层，该怎么做？",
            place="5.5 读写文件, 5.5.4 练习, 第 2 题",
            reading=(
                "the exercise asks how; judged is the reference's answer: load the saved entries of "
                "the first two layers (hidden, then its ReLU, which has none) with strict=False, and "
                "they compute in the new network what they computed in the saved one, while the "
                "rest keeps its own values"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "save_whole_model",
            "exercise, answered: to save the architecture together with the parameters, "
            "torch.save(net) pickles the whole module, and torch.load(file) gives the network back",
            HOLDS_ONLY_WHEN,
            whole_model_round_trip,
            counters=(
                counter(
                    "the other default expected: the release before (or after) 2.6",
                    refuses_by_default=not default_load_refuses_modules(),
                ),
                counter(
                    "the condition stated the other way: the module's classes must be declared "
                    "safe, whatever weights_only says",
                    condition=loads_back_only_with_classes_declared_safe,
                ),
                counter(
                    "the condition as if declaring a class switched the safe loader on: the "
                    "default load reading anything until then",
                    condition=loads_back_by_default_until_a_class_is_declared,
                ),
                counter(
                    "the condition without the module: the class need not be there at load time",
                    condition=loads_back_without_its_module,
                ),
                counter(
                    "the condition for any class the saved name finds",
                    condition=loads_back_whatever_class_the_name_finds,
                ),
                counter(
                    "the condition for a class whose code changed after saving",
                    condition=loads_back_whatever_code_the_class_has,
                ),
                # Where the default refuses a pickled module (2.6 on), declaring the classes safe
                # is a second way in; before, the default reads it anyway and these change nothing.
                *(
                    (
                        counter(
                            "the condition as first stated: weights_only=False needed "
                            "(safe_globals forgotten)",
                            condition=loads_back_only_with_weights_only_false,
                        ),
                        counter(
                            "the condition with MLP alone declared safe (nn.Linear forgotten)",
                            condition=loads_back_with_mlp_alone_declared_safe,
                        ),
                    )
                    if default_load_refuses_modules()
                    else ()
                ),
            ),
            condition=(
                "the loader may unpickle every class of the module: torch.load(f, "
                "weights_only=False) (for files you trust), or the default load with MLP and "
                "nn.Linear declared in torch.serialization.safe_globals (before PyTorch 2.6 the "
                "default load unpickles anything); and where the file is loaded, the name each "
                "class was saved under finds that class, with the same code: pickle stores the "
                "name, not the code, so a missing module fails and another class or changed code "
                "gives another network"
            ),
            quote="如何同时保存网络架构和参数？需要对架构加上什么限制？",
            place="5.5 读写文件, 5.5.4 练习, 第 3 题",
            reading=(
                "the exercise asks how, and what the architecture must then satisfy; judged is "
                "the reference's answer, torch.save(net), and when torch.load gives back the saved "
                "class (by the name pickle stores) computing the saved network's output. The "
                "restriction found is the book's own point: the architecture stays in code "
                "(5.5.3 小结: 保存架构必须在代码中完成，而不是在参数中完成)"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
)

EXAMPLES = (MLP_CLONE,)
