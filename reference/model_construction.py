"""d2l, 深度学习计算 · model-construction: English edition §6.1 Layers and Modules.

The documents answer this chapter's exercises and point at examples they could not find (003 asks
for `FancyMLP`: "实在是没找到Fancy MLP"). Here is the section itself, written the way the book
writes it: `MLP`, `FixedHiddenMLP`, the older edition's `FancyMLP` (which also answers 003's
exercise of §6.2, "access the parameters of FancyMLP's layers"), the chimera; and the exercise
"what goes wrong when `__init__` does not call the parent's".

The chapter's other sections, one module each, named as the Chinese edition names its files:
`parameters` (§6.2, §6.3), `deferred_init` (§6.4), `custom_layer` (§6.5), `read_write` (§6.6),
`use_gpu` (§6.7). §6.2's own examples are the 001 notebook's (`parameter_access`).

Corrections:
- `FixedHiddenMLP` and `FancyMLP` keep `rand_weight` as a plain tensor attribute, as the book does,
  so `.to()` leaves it on the CPU in float32. The book's `X @ self.rand_weight` then fails once the
  model is on a GPU or in float64; the reference moves the constant to the input in `forward`
  (`self.rand_weight.to(X)`). `register_buffer(name, tensor, persistent=False)` is the idiom for a
  constant that should follow `.to()` and still stay out of `state_dict()`.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn import functional as F

from .chapter_models import NestMLP
from .documents import BOOK
from .example import HOLDS, Claim, Counter, Example, counter
from .seeding import SEED, generator, seeded
from .tying import Untie, counting_one_use, identical_tensors, shared_gradients


def twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 20, generator=g)


def gradient_is_sum_of_two_uses(example: Example, device: torch.device, untie=None) -> bool:
    """`untie`: another untied twin than the example's (a counter-case gives a wrong one)."""
    model, x = example.model(device), example.input(device)
    facts = shared_gradients(model, x, example.forward, untie or example.untie)
    return len(facts) == 2 and all(f["uses"] == 2 and f["equals_sum_of_uses"] for f in facts)


# --- wrong untied twins: the gradient-sum proof must fail on each (the claims' counter-cases) -----


def covering_the_weight_only(untie: Untie) -> Untie:
    """A twin whose clones are named for the weight only: the bias's sum goes unproven."""

    def untie_the_weight(model: nn.Module):
        twin, clones = untie(model)
        return twin, {name: names for name, names in clones.items() if name.endswith("weight")}

    return untie_the_weight


def not_untying(model: nn.Module):
    """A 'twin' that is the tied net itself, each shared name its own one clone: its one use's
    gradient is the tied gradient, trivially."""
    return model, {name: [name] for name in ("linear.weight", "linear.bias")}


def not_untying_the_chimera(model: nn.Module):
    """`not_untying` for the chimera, whose shared layer is its third block's."""
    return model, {name: [name] for name in ("2.linear.weight", "2.linear.bias")}


def with_clones_off_by_a_hundredth(untie: Untie) -> Untie:
    """A twin whose clones hold other values than the tied parameters (0.01 added), as a twin built
    from fresh layers instead of copies would."""

    def untie_off(model: nn.Module):
        twin, clones = untie(model)
        with torch.no_grad():
            for names in clones.values():
                for clone in names:
                    twin.get_parameter(clone).add_(0.01)
        return twin, clones

    return untie_off


def counting_one_use_of(untie: Untie, which: str) -> Untie:
    """A twin whose sum for `which` ("weight" or "bias") counts its first use only; the other
    parameter's sum is right."""

    def untie_wrongly(model: nn.Module):
        twin, clones = untie(model)
        return twin, {
            name: names[:1] if name.endswith(which) else names for name, names in clones.items()
        }

    return untie_wrongly


def wrong_twins(untie: Untie, itself: Untie = not_untying) -> tuple[Counter, ...]:
    """The counter-cases of a gradient-sum claim: twins that count one use, prove the weight
    only, do not untie, or hold other values."""
    return (
        counter("an untied twin that counts one use", untie=counting_one_use(untie)),
        counter("an untied twin proving the weight only", untie=covering_the_weight_only(untie)),
        counter("a 'twin' that is the tied net itself", untie=itself),
        counter(
            "an untied twin whose clones are off by 0.01",
            untie=with_clones_off_by_a_hundredth(untie),
        ),
        counter(
            "an untied twin that counts one use of the weight only",
            untie=counting_one_use_of(untie, "weight"),
        ),
        counter(
            "an untied twin that counts one use of the bias only",
            untie=counting_one_use_of(untie, "bias"),
        ),
    )


class MLP(nn.Module):
    def __init__(self):
        # Call the constructor of the parent class nn.Module to perform the necessary initialization
        super().__init__()
        self.hidden = nn.Linear(20, 256)  # hidden layer
        self.out = nn.Linear(256, 10)  # output layer

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MLPWithoutParentInit(nn.Module):
    """The exercise's mistake: `__init__` forgets `super().__init__()`."""

    def __init__(self):
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


class MLPCalledDirectly(MLP):
    """An MLP whose own `__call__` calls `forward` itself, bypassing `nn.Module.__call__` (a
    counter-case: its hooks never run)."""

    def __call__(self, X):
        return self.forward(X)


class MLPWithADoublingHook(MLP):
    """An MLP carrying a forward hook that doubles its output (a counter-case): `net(X)` runs
    `forward`, then the hook, and gives twice what `net.forward(X)` gives."""

    def __init__(self):
        super().__init__()
        self.register_forward_hook(lambda module, inputs, output: 2 * output)


def calling_the_module_runs_forward(device: torch.device, build=None) -> bool:
    """`net(X)` goes through `nn.Module.__call__`, which runs `forward` and the module's hooks: it
    gives forward's output (identical: values, dtype, shape, device), and the hook ran once."""
    net, x = MLP_EXAMPLE.model(device, build=build), MLP_EXAMPLE.input(device)
    hook_calls = []
    net.register_forward_hook(lambda module, inputs, output: hook_calls.append(module))
    called = net(x)
    forward_only = net.forward(x)
    return identical_tensors(called, forward_only) and hook_calls == [net]


class MLPWithATypo(MLP):
    """An MLP whose __init__ misspells an attribute (a counter-case): an AttributeError of another
    kind than the missing parent call's."""

    def __init__(self):
        super().__init__()
        self.hidden.weigth.requires_grad_(False)


def init_without_parent_init_fails(device: torch.device, module=MLPWithoutParentInit) -> bool:
    # Inside `seeded()`: the Linear layer is drawn before the assignment fails, and those draws must
    # not move the caller's RNG.
    try:
        with seeded():
            module()
    except AttributeError as error:
        return "cannot assign module before Module.__init__() call" in str(error)
    return False


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # Random weight parameters that will not compute gradients and
        # therefore keep constant during training
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        # The book writes `torch.mm(X, self.rand_weight)` (the English edition `X @ ...`). A plain
        # tensor attribute is not moved by `.to()`, so it is brought to the input's device and
        # dtype here.
        X = F.relu(X @ self.rand_weight.to(X) + 1)
        # Reuse the fully connected layer. This is equivalent to sharing
        # parameters with two fully connected layers
        X = self.linear(X)
        # Control flow
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class UntiedFixedHiddenMLP(nn.Module):
    """`FixedHiddenMLP` with one copy of the linear layer per use (same values, same constant), so
    that the gradient each use contributes can be read apart."""

    def __init__(self, tied: FixedHiddenMLP):
        super().__init__()
        self.rand_weight = tied.rand_weight
        self.linear_first = copy.deepcopy(tied.linear)
        self.linear_second = copy.deepcopy(tied.linear)

    def forward(self, X):
        X = self.linear_first(X)
        X = F.relu(X @ self.rand_weight.to(X) + 1)
        X = self.linear_second(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


def untie_inner_linear(model: FixedHiddenMLP, prefix: str = ""):
    """The untied twin, and for each shared parameter the names of its two clones in the twin."""
    twin = UntiedFixedHiddenMLP(model)
    return twin, {
        f"{prefix}linear.{p}": [f"{prefix}linear_first.{p}", f"{prefix}linear_second.{p}"]
        for p in ("weight", "bias")
    }


class FixedHiddenMLPWithTrainableWeight(FixedHiddenMLP):
    """The mistake the book avoids (a counter-case): `rand_weight` made an `nn.Parameter`, registered
    and trained like any other."""

    def __init__(self):
        super().__init__()
        self.rand_weight = nn.Parameter(self.rand_weight)


class FixedHiddenMLPWithBuffer(FixedHiddenMLP):
    """`rand_weight` registered as a non-persistent buffer, the idiom for a constant (a
    counter-case): `.to()` moves and casts it, `state_dict()` still leaves it out."""

    def __init__(self):
        super().__init__()
        constant = self.rand_weight
        del self.rand_weight
        self.register_buffer("rand_weight", constant, persistent=False)


class FixedHiddenMLPSavingACopy(FixedHiddenMLP):
    """FixedHiddenMLP that also saves a copy of `rand_weight` as a buffer (a counter-case):
    `state_dict()` holds its values, under `rand_weight_copy`, in storage of their own."""

    def __init__(self):
        super().__init__()
        self.register_buffer("rand_weight_copy", self.rand_weight.clone())


class FixedHiddenMLPLeavingItsWeightOutOfCheckpoints(FixedHiddenMLPWithTrainableWeight):
    """rand_weight a trainable nn.Parameter that a state_dict hook leaves out, as scripts that save
    some parameters only do (a counter-case): a parameter, though state_dict() does not hold it."""

    def __init__(self):
        super().__init__()
        self.register_state_dict_post_hook(leave_out_rand_weight)


def leave_out_rand_weight(module: nn.Module, state: dict, prefix: str, metadata) -> None:
    del state[f"{prefix}rand_weight"]


class FixedHiddenMLPWithAViewOfItsWeight(FixedHiddenMLP):
    """FixedHiddenMLP that registers rand_weight's first row as a buffer (a counter-case): a view,
    sharing rand_weight's storage, though not its shape or all its values."""

    def __init__(self):
        super().__init__()
        self.register_buffer("first_row", self.rand_weight[0])


class FixedHiddenMLPRedrawingItsWeight(FixedHiddenMLP):
    """rand_weight redrawn in place at every forward (a counter-case): random, no gradient, and not
    constant."""

    def __init__(self):
        super().__init__()
        # A stream of its own (the caller's RNG is left alone), not the one rand_weight came from.
        self.draws = generator(SEED + 1)

    def forward(self, X):
        self.rand_weight.uniform_(generator=self.draws)
        return super().forward(X)


class FixedHiddenMLPKeepingItsLayerInAList(FixedHiddenMLP):
    """The linear layer kept in a plain Python list (a counter-case; the chapter's first exercise
    asks what goes wrong when MySequential stores its blocks in a list): the module does not
    register it, so `.to()` does not move or cast it."""

    def __init__(self):
        super().__init__()
        self.layers = [self._modules.pop("linear")]

    @property
    def linear(self) -> nn.Linear:
        return self.layers[0]


class FixedHiddenMLPWithGradient(FixedHiddenMLP):
    """`rand_weight` a plain tensor that requires grad (a counter-case): backward computes a
    gradient for it, though no optimizer holds it."""

    def __init__(self):
        super().__init__()
        self.rand_weight.requires_grad_(True)


def constant_is_not_state(net: nn.Module, constant: torch.Tensor) -> bool:
    """`constant` is no parameter of `net` (by identity), and no entry of its state_dict shares its
    storage or holds its values (under any name; `torch.equal` also requires its shape)."""
    state = net.state_dict()
    parameters = {id(p) for p in net.parameters()}
    storages = {value.untyped_storage().data_ptr() for value in state.values()}
    holding_its_values = [
        key for key, value in state.items() if torch.equal(value.cpu(), constant.cpu())
    ]
    return (
        id(constant) not in parameters
        and constant.untyped_storage().data_ptr() not in storages
        and holding_its_values == []
    )


def rand_weight_is_not_state(device: torch.device, build=None) -> bool:
    """`rand_weight` is neither a parameter nor a buffer, so `state_dict()` does not hold it."""
    net = FIXED_HIDDEN_MLP.model(device, build=build)
    return constant_is_not_state(net, net.rand_weight)


def rand_weight_constant_in_training(device: torch.device, build=None, lr: float = 0.1) -> bool:
    """`lr`: the SGD step's learning rate (a counter-case gives 0: nothing trains)."""
    net, x = FIXED_HIDDEN_MLP.model(device, build=build), FIXED_HIDDEN_MLP.input(device)
    constant_before = net.rand_weight.clone()
    linear_before = net.linear.weight.detach().clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    net(x).backward()
    optimizer.step()
    # Values: each tensor is compared with its own clone, of the same dtype, shape and device.
    return (
        net.rand_weight.grad is None
        and torch.equal(net.rand_weight, constant_before)
        and not torch.equal(net.linear.weight.detach(), linear_before)
    )


def to_leaves_rand_weight_in_float32(device: torch.device, build=None) -> bool:
    """`.to(torch.float64)` casts parameters and buffers; the plain attribute stays float32."""
    net = FIXED_HIDDEN_MLP.model(device, build=build)
    net.to(torch.float64)
    return net.linear.weight.dtype == torch.float64 and net.rand_weight.dtype == torch.float32


def to_leaves_rand_weight_on_the_cpu(device: torch.device, build=None, to=None) -> bool:
    """`.to(device)` moves parameters and buffers; the plain attribute stays on the CPU. `to`: where
    the net built on the CPU is moved (default: the device the claim is checked on, so that on the
    CPU nothing moves and nothing is decided; a counter-case moves it to the meta device, the one
    other device every machine has)."""
    net = FIXED_HIDDEN_MLP.model("cpu", build=build)
    target = torch.device(device if to is None else to)
    net.to(target)
    return net.linear.weight.device.type == target.type and net.rand_weight.device.type == "cpu"


def fixed_hidden_shared_gradient(device: torch.device, untie=None) -> bool:
    return gradient_is_sum_of_two_uses(FIXED_HIDDEN_MLP, device, untie)


class FancyMLP(nn.Module):
    """The older edition's name for `FixedHiddenMLP`: the L2 norm, and one more branch."""

    def __init__(self):
        super().__init__()
        self.rand_weight = torch.rand((20, 20), requires_grad=False)  # a constant, not trainable
        self.linear = nn.Linear(20, 20)

    def forward(self, x):
        x = self.linear(x)
        # The older edition writes `torch.mm(x, self.rand_weight.data)`; moved to x as above.
        x = F.relu(torch.mm(x, self.rand_weight.to(x)) + 1)
        # Reuse the fully connected layer: equivalent to two layers sharing parameters
        x = self.linear(x)
        # Control flow; `item()` turns the norm into a Python number to compare
        while x.norm().item() > 1:
            x /= 2
        if x.norm().item() < 0.8:
            x *= 10
        return x.sum()


class UntiedFancyMLP(nn.Module):
    """`FancyMLP` with one copy of the linear layer per use."""

    def __init__(self, tied: FancyMLP):
        super().__init__()
        self.rand_weight = tied.rand_weight
        self.linear_first = copy.deepcopy(tied.linear)
        self.linear_second = copy.deepcopy(tied.linear)

    def forward(self, x):
        x = self.linear_first(x)
        x = F.relu(torch.mm(x, self.rand_weight.to(x)) + 1)
        x = self.linear_second(x)
        while x.norm().item() > 1:
            x /= 2
        if x.norm().item() < 0.8:
            x *= 10
        return x.sum()


def untie_fancy_mlp(model: FancyMLP):
    twin = UntiedFancyMLP(model)
    return twin, {
        f"linear.{p}": [f"linear_first.{p}", f"linear_second.{p}"] for p in ("weight", "bias")
    }


class FancyMLPWithTrainableWeight(FancyMLP):
    """`FancyMLP` with `rand_weight` made an `nn.Parameter` (a counter-case): a parameter of the
    net itself, outside every layer."""

    def __init__(self):
        super().__init__()
        self.rand_weight = nn.Parameter(self.rand_weight)


class FancyMLPWithAScale(FancyMLP):
    """FancyMLP with a trainable output scale of its own (a counter-case): a parameter of the net
    outside every layer."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))


class FancyMLPTrainingItsWeightInsideTheLayer(FancyMLP):
    """rand_weight made a trainable nn.Parameter of the linear layer (a counter-case): `linear` is
    still the only layer with parameters, and rand_weight is one of them."""

    def __init__(self):
        super().__init__()
        self.linear.rand_weight = nn.Parameter(self.rand_weight)
        # The net's own name for it stays a plain attribute, as in FancyMLP (not registered twice).
        object.__setattr__(self, "rand_weight", self.linear.rand_weight)


class FancyMLPWithTwoLayers(FancyMLP):
    """FancyMLP with a second Linear layer (a counter-case): `linear` is not its only layer with
    parameters."""

    def __init__(self):
        super().__init__()
        self.out = nn.Linear(20, 1)


def fancy_mlp_control_flow(net: FancyMLP, x: torch.Tensor) -> dict:
    """Which way `FancyMLP.forward` goes for `x`: how many halvings, whether `×10` runs, and the
    output that path gives (the same as `net(x)`)."""
    with torch.no_grad():
        h = net.linear(F.relu(torch.mm(net.linear(x), net.rand_weight.to(x)) + 1))
        halvings = 0
        while h.norm().item() > 1:
            h, halvings = h / 2, halvings + 1
        times_ten = h.norm().item() < 0.8
        output = (h * 10 if times_ten else h).sum().item()
    return {"halvings": halvings, "times_ten": times_ten, "output": output}


def parameters_layer_by_layer(device: torch.device, build=None) -> bool:
    """003's exercise, answered: FancyMLP's only layer with parameters is `linear`, the net has no
    parameter outside its layers, and the constant `rand_weight` is not among them."""
    net = FANCY_MLP.model(device, build=build)
    by_layer = [
        f"{layer_name}.{name}"
        for layer_name, layer in net.named_children()
        for name, _ in layer.named_parameters()
    ]
    everything = dict(net.named_parameters())
    return (
        by_layer == list(everything)
        and [name for name, _ in net.named_children()] == ["linear"]
        and id(net.rand_weight) not in {id(p) for p in everything.values()}
    )


def fancy_shared_gradient(device: torch.device, untie=None) -> bool:
    return gradient_is_sum_of_two_uses(FANCY_MLP, device, untie)


def chimera() -> nn.Sequential:
    """Mixing blocks: the exercises' NestMLP (20→64→32→16), a Linear, and FixedHiddenMLP."""
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


def chimera_ending_in_fancy_mlp() -> nn.Sequential:
    """The chimera with the older edition's FancyMLP as its last block (a counter-case)."""
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FancyMLP())


def chimera_with_trainable_weight() -> nn.Sequential:
    """The chimera whose FixedHiddenMLP makes `rand_weight` a parameter (a counter-case)."""
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLPWithTrainableWeight())


def untie_chimera(model: nn.Sequential):
    twin = copy.deepcopy(model)
    twin[2], clones = untie_inner_linear(model[2], prefix="2.")
    return twin, clones


def blocks_compose(device: torch.device, build=None) -> bool:
    net, x = CHIMERA.model(device, build=build), CHIMERA.input(device)
    nest, linear, fixed = net
    return [type(block) for block in net] == [
        NestMLP,
        nn.Linear,
        FixedHiddenMLP,
    ] and identical_tensors(net(x), fixed(linear(nest(x))))


class ChimeraStoppingEarly(nn.Sequential):
    """A container whose forward stops after its second block (a counter-case): FixedHiddenMLP
    never runs."""

    def forward(self, X):
        return self[1](self[0](X))


def chimera_stopping_early() -> nn.Sequential:
    return ChimeraStoppingEarly(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


def nested_rand_weight_is_not_state(device: torch.device, build=None) -> bool:
    """The blocks' parameters all appear under their index; the nested constant still does not."""
    net = CHIMERA.model(device, build=build)
    keys = list(net.state_dict())
    by_block = [f"{i}.{key}" for i, block in enumerate(net) for key in block.state_dict()]
    return keys == by_block and constant_is_not_state(net, net[2].rand_weight)


class ChimeraWithAScale(nn.Sequential):
    """The chimera holding a trainable scale of its own (a counter-case): a parameter under no
    block's index."""

    def __init__(self, *blocks):
        super().__init__(*blocks)
        self.scale = nn.Parameter(torch.ones(()))


def chimera_with_a_scale() -> nn.Sequential:
    return ChimeraWithAScale(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


def chimera_shared_gradient(device: torch.device, untie=None) -> bool:
    return gradient_is_sum_of_two_uses(CHIMERA, device, untie)


# === The registry entries =========================================================================

REVIEWED = "2026-12-07"
# The Chinese edition's FixedHiddenMLP, whose comments the claims below quote (5.1.3).
FIXED_HIDDEN_PLACE = "5.1 层和块, 5.1.3 在前向传播函数中执行代码 (FixedHiddenMLP)"

MLP_EXAMPLE = Example(
    name="mlp",
    document=BOOK,
    section="5.1 层和块, 5.1.1 自定义块 (6.1 Layers and Modules)",
    shows="a custom module, MLP (hidden Linear(20,256), out Linear(256,10))",
    build=MLP,
    make_input=twenty_features,
    claims=(
        Claim(
            "call_runs_forward",
            "net(X) is shorthand for net.__call__(X), which runs forward (and the module's hooks)",
            HOLDS,
            calling_the_module_runs_forward,
            counters=(
                counter(
                    "an MLP whose __call__ calls forward itself: no hooks run",
                    build=MLPCalledDirectly,
                ),
                counter(
                    "an MLP carrying a hook that doubles its output: net(X) is not forward(X)",
                    build=MLPWithADoublingHook,
                ),
            ),
            quote="这实际上是`net.__call__(X)`的简写",
            place="5.1 层和块, the pytorch tab of the paragraph after nn.Sequential's example (the "
            "paddle tab says the same; the mxnet tab says net.forward(X))",
            reading=(
                "calling the module runs its forward: net(X) goes through nn.Module.__call__, "
                "which calls forward (and runs the module's hooks), so it gives forward's output"
            ),
            literal=(
                "that net(X) is Python's shorthand for net.__call__(X) holds for any object; "
                "what it comes to for a module is the reading judged"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "init_must_call_parent",
            "the parent's constructor does the necessary initialisation: an __init__ that does "
            "not call super().__init__() cannot even register its first layer (AttributeError "
            "'cannot assign module before Module.__init__() call')",
            HOLDS,
            init_without_parent_init_fails,
            counters=(
                counter("the MLP that calls super().__init__()", module=MLP),
                counter(
                    "an MLP whose __init__ misspells an attribute: another AttributeError",
                    module=MLPWithATypo,
                ),
            ),
            quote="调用MLP的父类Module的构造函数来执行必要的初始化",
            place="5.1 层和块, 5.1.1 自定义块 (MLP.__init__'s comment)",
            reading=(
                "the initialisation super().__init__() performs is necessary: without it a module "
                "cannot hold its layers (the reference's exercise; the book states the necessity "
                "in this comment and sets no such exercise)"
            ),
            reviewed=REVIEWED,
        ),
    ),
)

FIXED_HIDDEN_MLP = Example(
    name="fixed_hidden_mlp",
    shares=("linear.weight", "linear.bias"),
    document=BOOK,
    section="5.1 层和块, 5.1.3 在前向传播函数中执行代码 (6.1 Layers and Modules)",
    shows="FixedHiddenMLP, a constant weight, one Linear used twice, control flow",
    build=FixedHiddenMLP,
    make_input=twenty_features,
    untie=untie_inner_linear,
    claims=(
        Claim(
            "rand_weight_not_in_state_dict",
            "rand_weight is not a model parameter: parameters() does not hold it, and no entry of "
            "state_dict() shares its storage or holds its values",
            HOLDS,
            rand_weight_is_not_state,
            counters=(
                counter(
                    "rand_weight made an nn.Parameter", build=FixedHiddenMLPWithTrainableWeight
                ),
                counter(
                    "rand_weight an nn.Parameter that a state_dict hook leaves out",
                    build=FixedHiddenMLPLeavingItsWeightOutOfCheckpoints,
                ),
                counter(
                    "rand_weight's first row registered as a buffer: a view of its storage",
                    build=FixedHiddenMLPWithAViewOfItsWeight,
                ),
                counter(
                    "a copy of rand_weight saved as a buffer, rand_weight_copy",
                    build=FixedHiddenMLPSavingACopy,
                ),
            ),
            quote="这个权重不是一个模型参数，因此它永远不会被反向传播更新",
            place=f"{FIXED_HIDDEN_PLACE}, the paragraph after the code",
            reading=(
                "not a model parameter: not among parameters(), and, being no buffer either, "
                "nowhere in state_dict() (neither its storage nor a copy of its values)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "rand_weight_constant",
            "random weight parameters that compute no gradient, and therefore stay constant "
            "during training",
            HOLDS,
            rand_weight_constant_in_training,
            counters=(
                counter(
                    "rand_weight made a trainable nn.Parameter",
                    build=FixedHiddenMLPWithTrainableWeight,
                ),
                counter(
                    "rand_weight a plain tensor that requires grad: backward gives it a gradient",
                    build=FixedHiddenMLPWithGradient,
                ),
                counter(
                    "rand_weight redrawn in place at every forward: no gradient, not constant",
                    build=FixedHiddenMLPRedrawingItsWeight,
                ),
                counter("an SGD step with lr=0: nothing trains", lr=0.0),
            ),
            quote="不计算梯度的随机权重参数。因此其在训练期间保持不变",
            place=f"{FIXED_HIDDEN_PLACE}, the comment in __init__",
            reading=(
                "through a training step (backward, an SGD step that does change the linear "
                "layer), rand_weight gets no gradient and keeps its values"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "to_leaves_rand_weight",
            "net.to(torch.float64) casts the parameters (and buffers) only: rand_weight, no "
            "model parameter, stays float32",
            HOLDS,
            to_leaves_rand_weight_in_float32,
            counters=(
                counter(
                    "rand_weight registered as a non-persistent buffer",
                    build=FixedHiddenMLPWithBuffer,
                ),
                counter(
                    "the linear layer kept in a plain Python list: .to() misses it",
                    build=FixedHiddenMLPKeepingItsLayerInAList,
                ),
            ),
            quote="这个权重不是一个模型参数",
            place=f"{FIXED_HIDDEN_PLACE}, the paragraph after the code",
            reading=(
                "the reference's finding, from the book's statement that rand_weight is no model "
                "parameter: .to() converts parameters and buffers only, so the book's "
                "torch.mm(X, self.rand_weight) fails once the net is float64 (the book says "
                "nothing of dtypes)"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "to_gpu_leaves_rand_weight",
            "net.to(device=try_gpu()) puts the model parameters on the GPU, and only those (and "
            "buffers): rand_weight, no model parameter, stays on the CPU",
            HOLDS,
            to_leaves_rand_weight_on_the_cpu,
            about_cuda=True,
            counters=(
                counter(
                    "rand_weight registered as a non-persistent buffer, the net moved to the meta "
                    "device",
                    build=FixedHiddenMLPWithBuffer,
                    to="meta",
                ),
                counter(
                    "the linear layer kept in a plain Python list, the net moved to the meta device",
                    build=FixedHiddenMLPKeepingItsLayerInAList,
                    to="meta",
                ),
            ),
            quote="下面的代码将模型参数放在GPU上",
            place="5.6 GPU, 5.6.3 神经网络与GPU; FixedHiddenMLP: 5.1.3",
            reading=(
                "the reference's finding, from the book's sentence about moving another network's "
                "parameters to the GPU (5.6.3): net.to(device) moves parameters and buffers, "
                "nothing else, so FixedHiddenMLP's rand_weight stays on the CPU (the check looks "
                "at where each tensor is; it does not run the book's torch.mm(X, "
                "self.rand_weight), which would then mix devices; decided on a GPU, on the CPU "
                "nothing moves)"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two fully connected layers sharing "
            "parameters: its gradient is the sum of the gradients of its two uses",
            HOLDS,
            fixed_hidden_shared_gradient,
            counters=wrong_twins(untie_inner_linear),
            quote="复用全连接层。这相当于两个全连接层共享参数",
            place=f"{FIXED_HIDDEN_PLACE}, the comment in forward; the gradient: 5.2.3 参数绑定",
            reading=(
                "two layers sharing parameters, as 5.2.3 describes them (梯度会加在一起): the "
                "reused layer's gradient is the sum of what each use contributes"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "the book's `torch.mm(X, self.rand_weight)` fails once the net is moved to a GPU or "
        "another dtype, because .to() leaves the plain attribute behind; the reference moves it to "
        "the input in forward (self.rand_weight.to(X))",
    ),
)

FANCY_MLP = Example(
    name="fancy_mlp",
    shares=("linear.weight", "linear.bias"),
    document=BOOK,
    section="5.1 层和块, 5.1.3 在前向传播函数中执行代码 (6.1 Layers and Modules) (older edition)",
    shows="FancyMLP, the L2 norm and a ×10 branch",
    build=FancyMLP,
    make_input=twenty_features,
    untie=untie_fancy_mlp,
    claims=(
        Claim(
            "parameters_by_layer",
            "003's exercise, 'use the FancyMLP defined in model construction and access the "
            "parameters of its layers': only `linear` has parameters; rand_weight is a constant, "
            "not a trainable model parameter",
            HOLDS,
            parameters_layer_by_layer,
            counters=(
                counter("rand_weight made an nn.Parameter", build=FancyMLPWithTrainableWeight),
                counter("FancyMLP with a second Linear layer", build=FancyMLPWithTwoLayers),
                counter(
                    "FancyMLP with a trainable scale outside its layers", build=FancyMLPWithAScale
                ),
                counter(
                    "rand_weight a trainable parameter of the linear layer",
                    build=FancyMLPTrainingItsWeightInsideTheLayer,
                ),
            ),
            quote="使用 :numref:`sec_model_construction` 中定义的`FancyMLP`模型，访问各个层的参数",
            place="5.2 参数管理, 5.2.5 练习, 第 1 题",
            reading=(
                "the exercise answered for FancyMLP, the older edition's FixedHiddenMLP (the "
                "current 5.1 no longer defines it): its parameters, read layer by layer, are all "
                "of its parameters; they are linear's alone, and rand_weight is none of them"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two layers sharing parameters: its "
            "gradient is the sum of the gradients of its two uses",
            HOLDS,
            fancy_shared_gradient,
            counters=wrong_twins(untie_fancy_mlp),
            quote="复用全连接层。这相当于两个全连接层共享参数",
            place=f"{FIXED_HIDDEN_PLACE}, the comment in forward (FancyMLP, the older edition's)",
            reading=(
                "as for FixedHiddenMLP: the reused layer's gradient is the sum of what each use "
                "contributes, through FancyMLP's own control flow"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "003 could not find FancyMLP; it is the older edition's FixedHiddenMLP, provided here",
        "the older edition's `torch.mm(x, self.rand_weight.data)` fails once the net is moved to a "
        "GPU or another dtype; the reference moves the constant to x in forward",
    ),
)

CHIMERA = Example(
    name="chimera",
    shares=("2.linear.weight", "2.linear.bias"),
    document=BOOK,
    section="5.1 层和块, 5.1.3 在前向传播函数中执行代码 (6.1 Layers and Modules)",
    shows="the chimera, Sequential(NestMLP(), Linear(16,20), FixedHiddenMLP())",
    build=chimera,
    make_input=twenty_features,
    untie=untie_chimera,
    claims=(
        Claim(
            "blocks_compose",
            "the various ways of combining blocks can be mixed and matched: chimera nests "
            "NestMLP (a custom block holding a Sequential), a Linear(16, 20) and FixedHiddenMLP in "
            "one Sequential, which runs them in order, each block taking what the one before "
            "returns (FixedHiddenMLP returns a scalar, so no layer that expects features can "
            "follow it)",
            HOLDS,
            blocks_compose,
            counters=(
                counter("FancyMLP in place of FixedHiddenMLP", build=chimera_ending_in_fancy_mlp),
                counter(
                    "a container whose forward stops after the Linear", build=chimera_stopping_early
                ),
            ),
            quote="混合搭配各种组合块的方法",
            place="5.1 层和块, 5.1.3 在前向传播函数中执行代码 (chimera)",
            reading=(
                "混合搭配各种组合块的方法 (mix and match various ways of combining blocks; the "
                "book goes on 我们以一些想到的方法嵌套块, nesting blocks in some ways it thought "
                "of): blocks built in different ways nest in one Sequential, which runs them in "
                "order: chimera(X) is FixedHiddenMLP(Linear(NestMLP(X))); not every order composes, "
                "as each block must accept what the one before returns"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "rand_weight_not_in_state_dict",
            "nested in the chimera, FixedHiddenMLP's rand_weight is still no part of state_dict(); "
            "every parameter of the blocks is, under the block's index",
            HOLDS,
            nested_rand_weight_is_not_state,
            counters=(
                counter(
                    "FixedHiddenMLP's rand_weight made an nn.Parameter",
                    build=chimera_with_trainable_weight,
                ),
                counter("the chimera holding a scale of its own", build=chimera_with_a_scale),
            ),
            quote="这个权重不是一个模型参数",
            place=f"{FIXED_HIDDEN_PLACE}; the chimera: the same subsection",
            reading=(
                "the reference's finding: nesting changes nothing, the chimera's state_dict is "
                "its blocks' under their index, and the constant is not in it"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "shared_layer_gradient_sum",
            "FixedHiddenMLP's reused layer, nested in the chimera: its gradient is the sum of the "
            "gradients of its two uses",
            HOLDS,
            chimera_shared_gradient,
            counters=wrong_twins(untie_chimera, itself=not_untying_the_chimera),
            quote="复用全连接层。这相当于两个全连接层共享参数",
            place=f"{FIXED_HIDDEN_PLACE}, the comment in forward; the chimera: the same subsection",
            reading=(
                "as for FixedHiddenMLP alone: nested in the chimera, the reused layer's gradient "
                "is still the sum of what each use contributes"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "NestMLP is the 003 exercises' class (20→64→32→16), shared with `nest_mlp`; FixedHiddenMLP "
        "carries the fixed_hidden_mlp correction (rand_weight moved to the input in forward)",
    ),
)

EXAMPLES = (
    MLP_EXAMPLE,
    FIXED_HIDDEN_MLP,
    FANCY_MLP,
    CHIMERA,
)
