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
from .example import HOLDS, Claim, Example, counter
from .seeding import seeded
from .tying import counting_one_use, shared_gradients


def twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 20, generator=g)


def gradient_is_sum_of_two_uses(example: Example, device: torch.device, untie=None) -> bool:
    """`untie`: another untied twin than the example's (a counter-case gives a wrong one)."""
    model, x = example.model(device), example.input(device)
    facts = shared_gradients(model, x, example.forward, untie or example.untie)
    return len(facts) == 2 and all(f["uses"] == 2 and f["equals_sum_of_uses"] for f in facts)


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


def calling_the_module_runs_forward(device: torch.device, build=None) -> bool:
    """`net(X)` goes through `nn.Module.__call__`, which runs `forward` and the module's hooks."""
    net, x = MLP_EXAMPLE.model(device, build=build), MLP_EXAMPLE.input(device)
    hook_calls = []
    net.register_forward_hook(lambda module, inputs, output: hook_calls.append(module))
    called = net(x)
    forward_only = net.forward(x)
    return torch.equal(called, forward_only) and hook_calls == [net]


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
        # The book writes `X @ self.rand_weight`. A plain tensor attribute is not moved by `.to()`,
        # so it is brought to the input's device and dtype here.
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


class FixedHiddenMLPWithGradient(FixedHiddenMLP):
    """`rand_weight` a plain tensor that requires grad (a counter-case): backward computes a
    gradient for it, though no optimizer holds it."""

    def __init__(self):
        super().__init__()
        self.rand_weight.requires_grad_(True)


def rand_weight_is_not_state(device: torch.device, build=None) -> bool:
    """`rand_weight` is neither a parameter nor a buffer, so `state_dict()` does not hold it."""
    net = FIXED_HIDDEN_MLP.model(device, build=build)
    constant = net.rand_weight
    state = net.state_dict()
    return (
        isinstance(constant, torch.Tensor)
        and not any("rand_weight" in key for key in state)
        and all(value.data_ptr() != constant.data_ptr() for value in state.values())
        and all(p is not constant for p in net.parameters())
    )


def rand_weight_constant_in_training(device: torch.device, build=None, lr: float = 0.1) -> bool:
    """`lr`: the SGD step's learning rate (a counter-case gives 0: nothing trains)."""
    net, x = FIXED_HIDDEN_MLP.model(device, build=build), FIXED_HIDDEN_MLP.input(device)
    constant_before = net.rand_weight.clone()
    linear_before = net.linear.weight.detach().clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    net(x).backward()
    optimizer.step()
    return (
        net.rand_weight.grad is None
        and torch.equal(net.rand_weight, constant_before)
        and not torch.equal(net.linear.weight.detach(), linear_before)
    )


def to_leaves_rand_weight_behind(device: torch.device, build=None) -> bool:
    """`.to()` converts parameters and buffers; a plain attribute stays float32 on the CPU."""
    net = FIXED_HIDDEN_MLP.model(device, build=build)
    net.to(torch.float64)
    return (
        net.linear.weight.dtype == torch.float64
        and net.linear.weight.device.type == device.type
        and net.rand_weight.dtype == torch.float32
        and net.rand_weight.device.type == "cpu"
    )


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
    """003's exercise, answered: FancyMLP's only layer with parameters is `linear`, and the constant
    `rand_weight` is not among them."""
    net = FANCY_MLP.model(device, build=build)
    by_layer = {
        f"{layer_name}.{name}": p
        for layer_name, layer in net.named_children()
        for name, p in layer.named_parameters()
    }
    everything = dict(net.named_parameters())
    return (
        list(by_layer) == list(everything)
        and all(by_layer[name] is everything[name] for name in everything)
        and [name for name, _ in net.named_children()] == ["linear"]
        and all(p is not net.rand_weight for p in everything.values())
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
    return [type(block) for block in net] == [NestMLP, nn.Linear, FixedHiddenMLP] and torch.equal(
        net(x), fixed(linear(nest(x)))
    )


def nested_rand_weight_is_not_state(device: torch.device, build=None) -> bool:
    """The blocks' parameters all appear under their index; the nested constant still does not."""
    net = CHIMERA.model(device, build=build)
    keys = list(net.state_dict())
    by_block = [f"{i}.{key}" for i, block in enumerate(net) for key in block.state_dict()]
    return keys == by_block and not any("rand_weight" in key for key in keys)


def chimera_shared_gradient(device: torch.device, untie=None) -> bool:
    return gradient_is_sum_of_two_uses(CHIMERA, device, untie)


# === The registry entries =========================================================================

MLP_EXAMPLE = Example(
    name="mlp",
    document=BOOK,
    section="§6.1 Layers and Modules",
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
            ),
        ),
        Claim(
            "init_must_call_parent",
            "exercise: an __init__ that does not call super().__init__() cannot even register its "
            "first layer: AttributeError 'cannot assign module before Module.__init__() call'",
            HOLDS,
            init_without_parent_init_fails,
            counters=(counter("the MLP that calls super().__init__()", module=MLP),),
        ),
    ),
)

FIXED_HIDDEN_MLP = Example(
    name="fixed_hidden_mlp",
    shares=("linear.weight", "linear.bias"),
    document=BOOK,
    section="§6.1 Layers and Modules",
    shows="FixedHiddenMLP, a constant weight, one Linear used twice, control flow",
    build=FixedHiddenMLP,
    make_input=twenty_features,
    untie=untie_inner_linear,
    claims=(
        Claim(
            "rand_weight_not_in_state_dict",
            "rand_weight is a plain tensor attribute, not a parameter: state_dict() and "
            "parameters() do not hold it",
            HOLDS,
            rand_weight_is_not_state,
            counters=(
                counter(
                    "rand_weight made an nn.Parameter", build=FixedHiddenMLPWithTrainableWeight
                ),
                counter(
                    "a copy of rand_weight saved as a buffer, rand_weight_copy",
                    build=FixedHiddenMLPSavingACopy,
                ),
            ),
        ),
        Claim(
            "rand_weight_constant",
            "random weight parameters that will not compute gradients and therefore keep "
            "constant during training",
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
                counter("an SGD step with lr=0: nothing trains", lr=0.0),
            ),
        ),
        Claim(
            "to_leaves_rand_weight",
            "net.to(...) moves and casts parameters and buffers only: after net.to(torch.float64) "
            "(and to a GPU) rand_weight is still float32 on the CPU",
            HOLDS,
            to_leaves_rand_weight_behind,
            about_cuda=True,
            counters=(
                counter(
                    "rand_weight registered as a non-persistent buffer",
                    build=FixedHiddenMLPWithBuffer,
                ),
            ),
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two fully connected layers sharing "
            "parameters: its gradient is the sum of the gradients of its two uses",
            HOLDS,
            fixed_hidden_shared_gradient,
            counters=(
                counter(
                    "an untied twin that counts one use", untie=counting_one_use(untie_inner_linear)
                ),
            ),
        ),
    ),
    corrections=(
        "the book's `X @ self.rand_weight` fails once the net is moved to a GPU or another dtype, "
        "because .to() leaves the plain attribute behind; the reference moves it to the input in "
        "forward (self.rand_weight.to(X))",
    ),
)

FANCY_MLP = Example(
    name="fancy_mlp",
    shares=("linear.weight", "linear.bias"),
    document=BOOK,
    section="§6.1 Layers and Modules (older edition)",
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
            ),
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two layers sharing parameters: its "
            "gradient is the sum of the gradients of its two uses",
            HOLDS,
            fancy_shared_gradient,
            counters=(
                counter(
                    "an untied twin that counts one use", untie=counting_one_use(untie_fancy_mlp)
                ),
            ),
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
    section="§6.1 Layers and Modules",
    shows="the chimera, Sequential(NestMLP(), Linear(16,20), FixedHiddenMLP())",
    build=chimera,
    make_input=twenty_features,
    untie=untie_chimera,
    claims=(
        Claim(
            "blocks_compose",
            "blocks of every kind can be mixed and matched: chimera(X) runs NestMLP, "
            "Linear(16, 20), then FixedHiddenMLP",
            HOLDS,
            blocks_compose,
            counters=(
                counter("FancyMLP in place of FixedHiddenMLP", build=chimera_ending_in_fancy_mlp),
            ),
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
            ),
        ),
        Claim(
            "shared_layer_gradient_sum",
            "FixedHiddenMLP's reused layer, nested in the chimera: its gradient is the sum of the "
            "gradients of its two uses",
            HOLDS,
            chimera_shared_gradient,
            counters=(
                counter(
                    "an untied twin that counts one use", untie=counting_one_use(untie_chimera)
                ),
            ),
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
