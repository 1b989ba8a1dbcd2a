"""The rest of the chapter: d2l, "Deep Learning Computation" (深度学习计算).

The documents answer this chapter's exercises and point at examples they could not find (003 asks
for `FancyMLP`: "实在是没找到Fancy MLP"). Here is the chapter itself, section by section, written the
way the book writes it:

- §6.1 Layers and Modules: `MLP`, `FixedHiddenMLP`, the older edition's `FancyMLP`, the chimera;
  the exercise "what goes wrong when `__init__` does not call the parent's".
- §6.2 Parameter Management: the book's examples are the 001 entries; `FancyMLP` answers 003's
  exercise "access the parameters of FancyMLP's layers".
- §6.3 Parameter Initialization: `init_normal`, `init_constant`, `init_xavier`, `init_42`, `my_init`.
- §6.4 Lazy Initialization: `LazyLinear`, and the exercises on partial and mismatched sizes.
- §6.5 Custom Layers: `CenteredLayer`, `MyLinear`.
- §6.6 File I/O: save a state_dict and load it into a clone; the exercises on reusing layers and on
  saving the architecture too.
- §6.7 GPUs: `try_gpu` and `try_all_gpus` live in `reference/devices.py`.

Corrections:
- `FixedHiddenMLP` and `FancyMLP` keep `rand_weight` as a plain tensor attribute, as the book does,
  so `.to()` leaves it on the CPU in float32. The book's `X @ self.rand_weight` then fails once the
  model is on a GPU or in float64; the reference moves the constant to the input in `forward`
  (`self.rand_weight.to(X)`). `register_buffer(name, tensor, persistent=False)` is the idiom for a
  constant that should follow `.to()` and still stay out of `state_dict()`.
- `lazy_mlp` is materialised by a dry run inside its build: the first forward of a lazy layer draws
  its initial values from the global RNG, so it has to happen under the seed to be reproducible.
"""

from __future__ import annotations

import copy
import io
import math
import pickle
import warnings

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.parameter import UninitializedParameter

from .example import HOLDS, Claim, Example, holds_only_when
from .exercises import NestMLP
from .releases import torch_release
from .seeding import generator, seeded
from .tying import shared_gradients

SOURCE = "d2l-ch6 chapter 'Deep Learning Computation'"


def twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 20, generator=g)


def gradient_is_sum_of_two_uses(example: Example, device: torch.device) -> bool:
    model, x = example.model(device), example.input(device)
    facts = shared_gradients(model, x, example.forward, example.untie)
    return len(facts) == 2 and all(
        f["one_grad_object"] and f["uses"] == 2 and f["equals_sum_of_uses"] for f in facts
    )


# === §6.1 Layers and Modules ======================================================================


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


def calling_the_module_runs_forward(device: torch.device) -> bool:
    """`net(X)` goes through `nn.Module.__call__`, which runs `forward` and the module's hooks."""
    net, x = MLP_EXAMPLE.model(device), MLP_EXAMPLE.input(device)
    hook_calls = []
    net.register_forward_hook(lambda module, inputs, output: hook_calls.append(module))
    called = net(x)
    forward_only = net.forward(x)
    return torch.equal(called, forward_only) and hook_calls == [net]


def init_without_parent_init_fails(device: torch.device) -> bool:
    try:
        MLPWithoutParentInit()
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


def rand_weight_is_not_state(device: torch.device) -> bool:
    """`rand_weight` is neither a parameter nor a buffer, so `state_dict()` does not hold it."""
    net = FIXED_HIDDEN_MLP.model(device)
    constant = net.rand_weight
    state = net.state_dict()
    return (
        isinstance(constant, torch.Tensor)
        and not any("rand_weight" in key for key in state)
        and all(value.data_ptr() != constant.data_ptr() for value in state.values())
        and all(p is not constant for p in net.parameters())
    )


def rand_weight_constant_in_training(device: torch.device) -> bool:
    net, x = FIXED_HIDDEN_MLP.model(device), FIXED_HIDDEN_MLP.input(device)
    constant_before = net.rand_weight.clone()
    linear_before = net.linear.weight.detach().clone()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    net(x).backward()
    optimizer.step()
    return (
        net.rand_weight.grad is None
        and torch.equal(net.rand_weight, constant_before)
        and not torch.equal(net.linear.weight.detach(), linear_before)
    )


def to_leaves_rand_weight_behind(device: torch.device) -> bool:
    """`.to()` converts parameters and buffers; a plain attribute stays float32 on the CPU."""
    net = FIXED_HIDDEN_MLP.model(device)
    net.to(torch.float64)
    return (
        net.linear.weight.dtype == torch.float64
        and net.linear.weight.device.type == device.type
        and net.rand_weight.dtype == torch.float32
        and net.rand_weight.device.type == "cpu"
    )


def fixed_hidden_shared_gradient(device: torch.device) -> bool:
    return gradient_is_sum_of_two_uses(FIXED_HIDDEN_MLP, device)


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


def parameters_layer_by_layer(device: torch.device) -> bool:
    """003's exercise, answered: FancyMLP's only layer with parameters is `linear`, and the constant
    `rand_weight` is not among them."""
    net = FANCY_MLP.model(device)
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


def fancy_shared_gradient(device: torch.device) -> bool:
    return gradient_is_sum_of_two_uses(FANCY_MLP, device)


def chimera() -> nn.Sequential:
    """Mixing blocks: the exercises' NestMLP (20→64→32→16), a Linear, and FixedHiddenMLP."""
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


def untie_chimera(model: nn.Sequential):
    twin = copy.deepcopy(model)
    twin[2], clones = untie_inner_linear(model[2], prefix="2.")
    return twin, clones


def blocks_compose(device: torch.device) -> bool:
    net, x = CHIMERA.model(device), CHIMERA.input(device)
    nest, linear, fixed = net
    return [type(block) for block in net] == [NestMLP, nn.Linear, FixedHiddenMLP] and torch.equal(
        net(x), fixed(linear(nest(x)))
    )


def nested_rand_weight_is_not_state(device: torch.device) -> bool:
    """The blocks' parameters all appear under their index; the nested constant still does not."""
    net = CHIMERA.model(device)
    keys = list(net.state_dict())
    by_block = [f"{i}.{key}" for i, block in enumerate(net) for key in block.state_dict()]
    return keys == by_block and not any("rand_weight" in key for key in keys)


def chimera_shared_gradient(device: torch.device) -> bool:
    return gradient_is_sum_of_two_uses(CHIMERA, device)


# === §6.2 Parameter Management, §6.3 Parameter Initialization =====================================


def init_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


def four_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(size=(2, 4), generator=g)


# `apply` calls the function on every submodule (ReLU, the Sequential itself): hence the type test.
def init_normal(m):
    if type(m) == nn.Linear:  # noqa: E721  (the book's test: exactly Linear, not a subclass)
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)


def init_constant(m):
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


def init_xavier(m):
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.constant_(m.weight, 42)


def my_init(m):
    if type(m) == nn.Linear:  # noqa: E721
        # (the book also prints the first parameter's name and shape here)
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5


def xavier_first_42_last() -> nn.Sequential:
    """The book's per-layer initialisation: Xavier for the first layer, 42 for the last."""
    net = init_net()
    net[0].apply(init_xavier)
    net[2].apply(init_42)
    return net


def applied(init) -> nn.Sequential:
    net = init_net()
    net.apply(init)
    return net


def linear_layers(net: nn.Module) -> list[nn.Linear]:
    return [m for m in net.modules() if type(m) == nn.Linear]  # noqa: E721


def apply_visits_every_module(device: torch.device) -> bool:
    net = INIT_FUNCTIONS.model(device)
    visited = []
    net.apply(visited.append)
    return len(visited) == len(list(net.modules())) and {id(m) for m in visited} == {
        id(m) for m in net.modules()
    }


STANDARD_ERRORS = 4


def close_to_normal(values: torch.Tensor, sigma: float) -> bool:
    """Mean and standard deviation within 4 standard errors of N(0, σ²): σ/√n for the mean,
    σ/√(2n) for the standard deviation."""
    values, n = values.detach().flatten().double(), values.numel()
    return abs(values.mean().item()) <= STANDARD_ERRORS * sigma / math.sqrt(n) and abs(
        values.std().item() - sigma
    ) <= STANDARD_ERRORS * sigma / math.sqrt(2 * n)


def normal_weights_and_zero_biases(device: torch.device) -> bool:
    """The net's 40 weights cannot tell σ = 0.01 from 0.013; init_normal applied to a wide layer
    (10⁵ draws) pins σ to within 1%."""
    net = INIT_FUNCTIONS.model(device, "init_normal")
    with seeded():
        wide = nn.Linear(1000, 100).apply(init_normal)
    weights = torch.cat([m.weight.flatten() for m in linear_layers(net)])
    return (
        close_to_normal(weights, 0.01)
        and close_to_normal(wide.weight, 0.01)
        and all(bool((m.bias == 0).all()) for m in [*linear_layers(net), wide])
    )


def constant_weights_and_zero_biases(device: torch.device) -> bool:
    net = INIT_FUNCTIONS.model(device, "init_constant")
    return all(bool((m.weight == 1).all() and (m.bias == 0).all()) for m in linear_layers(net))


def xavier_bound(weight: torch.Tensor) -> float:
    fan_out, fan_in = weight.shape
    return math.sqrt(6 / (fan_in + fan_out))


def xavier_uniform_within_its_bound(device: torch.device) -> bool:
    """Every |w| ≤ a, and the largest reaches past 3a/4: the default init of Linear(4, 8) (bound
    1/√4 = 0.5 ≈ 0.71a) never does, and 32 uniform draws all fall short with probability 0.75³² ≈ 1e-4."""
    weight = INIT_FUNCTIONS.model(device)[0].weight.detach()
    bound, largest = xavier_bound(weight), weight.abs().max().item()
    return largest <= bound and largest > 0.75 * bound


def last_layer_all_42(device: torch.device) -> bool:
    return bool((INIT_FUNCTIONS.model(device)[2].weight == 42).all())


def my_init_zero_or_large(device: torch.device) -> bool:
    net = INIT_FUNCTIONS.model(device, "my_init")
    weights = torch.cat([m.weight.detach().flatten() for m in linear_layers(net)])
    magnitudes = weights.abs()
    zero, large = weights == 0, (magnitudes >= 5) & (magnitudes <= 10)
    # Both kinds must occur: all zeros (what a narrower draw gives) would pass the rule vacuously.
    return bool((large | zero).all() and large.any() and zero.any())


def direct_setting_edits_in_place(device: torch.device) -> bool:
    net = INIT_FUNCTIONS.model(device, "my_init")
    weight = net[0].weight
    before = weight.detach().clone()
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42
    expected = before + 1
    expected[0, 0] = 42
    return net[0].weight is weight and torch.equal(weight.detach(), expected)


# === §6.4 Lazy Initialization =====================================================================


def lazy_mlp() -> nn.Sequential:
    return nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))


def lazy_mlp_materialised() -> nn.Sequential:
    net = lazy_mlp()
    # A dry run with the data's feature size: the lazy layers draw their values now, under the
    # caller's seed, instead of from whatever state the global RNG is in at the first real call.
    net(torch.zeros(1, 20))
    return net


# The shapes the book gives once X = torch.rand(2, 20) has gone through.
DOCUMENTED_LAZY_SHAPES = [(256, 20), (256,), (10, 256), (10,)]


def uninitialised_until_first_forward(device: torch.device) -> bool:
    x = LAZY_MLP.input(device)
    with seeded():  # the first forward draws the initial values from the global RNG
        net = lazy_mlp().to(device)
        before = [isinstance(p, UninitializedParameter) for p in net.parameters()]
        net(x)
    after = [isinstance(p, UninitializedParameter) for p in net.parameters()]
    return before == [True] * 4 and after == [False] * 4


def shapes_after_forward(device: torch.device) -> bool:
    net = LAZY_MLP.model(device)
    return [tuple(p.shape) for p in net.parameters()] == DOCUMENTED_LAZY_SHAPES


def first_size_given_initialises_at_once(device: torch.device) -> bool:
    """Exercise 1: the input size given to the first layer only."""
    with seeded():
        net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.LazyLinear(10)).to(device)
        first_ready = not isinstance(net[0].weight, UninitializedParameter)
        last_waits = isinstance(net[2].weight, UninitializedParameter)
        net(LAZY_MLP.input(device))
    return first_ready and last_waits and tuple(net[2].weight.shape) == (10, 256)


def raises_runtime_error(call) -> bool:
    try:
        call()
    except RuntimeError:
        return True
    return False


def mismatch_caught_only_by_data(device: torch.device) -> bool:
    """Exercise 2: mismatched sizes. Construction accepts them; the forward raises."""
    net = LAZY_MLP.model(device)  # materialised for 20 features
    thirty_features = torch.rand(2, 30, generator=generator()).to(device)
    with seeded():
        explicit = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(128, 10)).to(device)
    return raises_runtime_error(lambda: net(thirty_features)) and raises_runtime_error(
        lambda: explicit(LAZY_MLP.input(device))
    )


# === §6.5 Custom Layers ===========================================================================


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


def centered_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(8, 128), CenteredLayer())


def four_by_eight(g: torch.Generator) -> torch.Tensor:
    return torch.rand(4, 8, generator=g)


def centers_the_documented_values(device: torch.device) -> bool:
    layer = CenteredLayer()
    y = layer(torch.FloatTensor([1, 2, 3, 4, 5]).to(device))
    return y.cpu().tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]


# Float32 rounding leaves the mean of the centred output a tiny number, not always exactly zero.
MEAN_TOLERANCE = 1e-6


def output_mean_is_zero(device: torch.device) -> bool:
    net, x = CENTERED_LAYER.model(device), CENTERED_LAYER.input(device)
    hidden = net[0](x)
    y = net[1](hidden)
    # Centring each column (or row) also gives mean zero; the layer subtracts the one mean of all
    # entries, which shows where the columns' and rows' means differ.
    one_mean_subtracted = torch.equal(y, hidden - hidden.mean())
    means_differ = all(hidden.mean(dim).unique().numel() > 1 for dim in (0, 1))
    return (
        abs(y.mean().item()) <= MEAN_TOLERANCE
        and y.abs().max().item() > 1e3 * MEAN_TOLERANCE
        and one_mean_subtracted
        and means_differ
    )


def no_parameters_of_its_own(device: torch.device) -> bool:
    net = CENTERED_LAYER.model(device)
    return list(net[1].parameters()) == [] and list(net.parameters()) == list(net[0].parameters())


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_units, units))
        self.bias = nn.Parameter(torch.randn(units))

    def forward(self, X):
        # `.data` is the parameter's value *detached from autograd*: nothing computed from it has a
        # gradient path back to the parameter.
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


def five_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 5, generator=g)


def parameters_registered_with_documented_shapes(device: torch.device) -> bool:
    linear = MY_LINEAR.model(device)
    return (
        type(linear.weight) is nn.Parameter
        and tuple(linear.weight.shape) == (5, 3)
        and [name for name, _ in linear.named_parameters()] == ["weight", "bias"]
    )


def no_gradient_reaches_parameters(device: torch.device) -> bool:
    """The output has no autograd history, so `backward` from it cannot reach weight or bias."""
    linear, x = MY_LINEAR.model(device), MY_LINEAR.input(device)
    y = linear(x)
    return (
        linear.weight.requires_grad
        and linear.bias.requires_grad
        and not y.requires_grad
        and y.grad_fn is None
        and linear.weight.grad is None
        and linear.bias.grad is None
    )


def custom_layers_compose(device: torch.device) -> bool:
    with seeded():
        net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)).to(device)
    x = torch.rand(2, 64, generator=generator()).to(device)
    return tuple(net(x).shape) == (2, 1)


# === §6.6 File I/O ================================================================================


def saved(obj) -> io.BytesIO:
    """`torch.save` into memory; a file name works the same way (the book writes 'mlp.params')."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def mlp_clone() -> MLP:
    net = MLP()
    params = saved(net.state_dict())
    clone = MLP()
    clone.load_state_dict(torch.load(params, weights_only=True))
    clone.eval()
    return clone


def randn_twenty_features(g: torch.Generator) -> torch.Tensor:
    return torch.randn(size=(2, 20), generator=g)


def clone_gives_identical_outputs(device: torch.device) -> bool:
    original = MLP_EXAMPLE.model(device)  # the same seed: the net whose parameters were saved
    clone, x = MLP_CLONE.model(device), MLP_CLONE.input(device)
    with seeded(1):
        unloaded = MLP().to(device)
    return torch.equal(clone(x), original(x)) and not torch.equal(unloaded(x), original(x))


def tensors_lists_and_dicts_round_trip(device: torch.device) -> bool:
    x = torch.arange(4, device=device)
    y = torch.zeros(4, device=device)
    same = torch.load(saved(x), weights_only=True)
    x2, y2 = torch.load(saved([x, y]), weights_only=True)
    mydict2 = torch.load(saved({"x": x, "y": y}), weights_only=True)
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


def reuse_first_two_layers(device: torch.device) -> bool:
    """Exercise: using the first two layers of a saved network in a network of another design."""
    original, x = MLP_EXAMPLE.model(device), MLP_EXAMPLE.input(device)
    state = torch.load(saved(original.state_dict()), weights_only=True)
    with seeded(1):
        new = MLPWithNewHead().to(device)
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


def loads_with_the_default(buffer: io.BytesIO) -> bool:
    buffer.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # 2.4 and 2.5 announce the flip
            torch.load(buffer)
    except pickle.UnpicklingError:
        return False
    return True


def whole_model_round_trip(device: torch.device) -> bool:
    """`torch.save(net)` pickles the module. What the default load does depends on the release;
    `weights_only=False` loads it (and runs pickle: only for files you trust)."""
    net, x = MLP_EXAMPLE.model(device), MLP_EXAMPLE.input(device)
    buffer = saved(net)
    default_loads = loads_with_the_default(buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    return (
        default_loads != default_load_refuses_modules()
        and type(loaded) is MLP
        and torch.equal(loaded(x), net(x))
    )


# === The registry entries =========================================================================

MLP_EXAMPLE = Example(
    name="mlp",
    source=f"{SOURCE} §6.1 Layers and Modules: a custom module, MLP (hidden Linear(20,256), out Linear(256,10))",
    build=MLP,
    make_input=twenty_features,
    claims=(
        Claim(
            "call_runs_forward",
            "net(X) is shorthand for net.__call__(X), which runs forward (and the module's hooks)",
            HOLDS,
            calling_the_module_runs_forward,
        ),
        Claim(
            "init_must_call_parent",
            "exercise: an __init__ that does not call super().__init__() cannot even register its "
            "first layer: AttributeError 'cannot assign module before Module.__init__() call'",
            HOLDS,
            init_without_parent_init_fails,
        ),
    ),
)

FIXED_HIDDEN_MLP = Example(
    name="fixed_hidden_mlp",
    shares=("linear.weight", "linear.bias"),
    source=f"{SOURCE} §6.1 Layers and Modules: FixedHiddenMLP, a constant weight, one Linear used twice, control flow",
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
        ),
        Claim(
            "rand_weight_constant",
            "random weight parameters that will not compute gradients and therefore keep "
            "constant during training",
            HOLDS,
            rand_weight_constant_in_training,
        ),
        Claim(
            "to_leaves_rand_weight",
            "net.to(...) moves and casts parameters and buffers only: after net.to(torch.float64) "
            "(and to a GPU) rand_weight is still float32 on the CPU",
            HOLDS,
            to_leaves_rand_weight_behind,
            about_cuda=True,
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two fully connected layers sharing "
            "parameters: its gradient is the sum of the gradients of its two uses",
            HOLDS,
            fixed_hidden_shared_gradient,
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
    source=f"{SOURCE} §6.1 Layers and Modules (older edition): FancyMLP, the L2 norm and a ×10 branch",
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
        ),
        Claim(
            "shared_layer_gradient_sum",
            "reusing the fully connected layer is equivalent to two layers sharing parameters: its "
            "gradient is the sum of the gradients of its two uses",
            HOLDS,
            fancy_shared_gradient,
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
    source=f"{SOURCE} §6.1 Layers and Modules: the chimera, Sequential(NestMLP(), Linear(16,20), FixedHiddenMLP())",
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
        ),
        Claim(
            "rand_weight_not_in_state_dict",
            "nested in the chimera, FixedHiddenMLP's rand_weight is still no part of state_dict(); "
            "every parameter of the blocks is, under the block's index",
            HOLDS,
            nested_rand_weight_is_not_state,
        ),
        Claim(
            "shared_layer_gradient_sum",
            "FixedHiddenMLP's reused layer, nested in the chimera: its gradient is the sum of the "
            "gradients of its two uses",
            HOLDS,
            chimera_shared_gradient,
        ),
    ),
    corrections=(
        "NestMLP is the 003 exercises' class (20→64→32→16), shared with `nest_mlp`; FixedHiddenMLP "
        "carries the fixed_hidden_mlp correction (rand_weight moved to the input in forward)",
    ),
)

INIT_FUNCTIONS = Example(
    name="init_functions",
    source=f"{SOURCE} §6.3 Parameter Initialization: init functions applied with apply; the build is the book's per-layer combination (net[0] Xavier, net[2] 42)",
    build=xavier_first_42_last,
    make_input=four_features,
    variants=(
        ("init_normal", lambda: applied(init_normal)),
        ("init_constant", lambda: applied(init_constant)),
        ("my_init", lambda: applied(my_init)),
    ),
    claims=(
        Claim(
            "apply_visits_all",
            "net.apply(fn) calls fn on every submodule and on net itself (hence the Linear test in "
            "each init function)",
            HOLDS,
            apply_visits_every_module,
        ),
        Claim(
            "init_normal",
            "init_normal draws every weight from N(0, 0.01²) and zeroes the biases (mean and std "
            "within 4 standard errors, on the net and on a Linear(1000, 100))",
            HOLDS,
            normal_weights_and_zero_biases,
        ),
        Claim(
            "init_constant",
            "init_constant sets every weight to 1 and every bias to 0",
            HOLDS,
            constant_weights_and_zero_biases,
        ),
        Claim(
            "init_xavier",
            "net[0].apply(init_xavier) draws net[0].weight from U(-a, a), a = √(6/(fan_in+fan_out))",
            HOLDS,
            xavier_uniform_within_its_bound,
        ),
        Claim(
            "init_42",
            "net[2].apply(init_42) sets every weight of net[2] to 42",
            HOLDS,
            last_layer_all_42,
        ),
        Claim(
            "my_init",
            "my_init draws U(-10, 10) and zeroes |w| < 5: every weight is 0 or 5 ≤ |w| ≤ 10",
            HOLDS,
            my_init_zero_or_large,
        ),
        Claim(
            "direct_setting",
            "net[0].weight.data[:] += 1; net[0].weight.data[0, 0] = 42 set the parameter directly, "
            "in place",
            HOLDS,
            direct_setting_edits_in_place,
        ),
    ),
)

LAZY_MLP = Example(
    name="lazy_mlp",
    source=f"{SOURCE} §6.4 Lazy Initialization: LazyLinear(256), ReLU, LazyLinear(10); sizes inferred at the first forward",
    build=lazy_mlp_materialised,
    make_input=twenty_features,
    claims=(
        Claim(
            "uninitialised_before_forward",
            "before data has passed through, the parameters are UninitializedParameter",
            HOLDS,
            uninitialised_until_first_forward,
        ),
        Claim(
            "shapes_after_forward",
            "after net(torch.rand(2, 20)) the parameters have shapes (256, 20), (256,), (10, 256), (10,)",
            HOLDS,
            shapes_after_forward,
        ),
        Claim(
            "first_size_only",
            "exercise: giving the input size to the first layer only initialises it at once; the "
            "later lazy layer waits for the first forward",
            HOLDS,
            first_size_given_initialises_at_once,
        ),
        Claim(
            "mismatched_sizes",
            "exercise: mismatched sizes are not caught when the net is built, only when data flows: "
            "a lazy layer initialised for 20 features, or Linear(20,256) followed by "
            "Linear(128,10), raises RuntimeError in forward",
            HOLDS,
            mismatch_caught_only_by_data,
        ),
    ),
    corrections=(
        "the build materialises the lazy layers with a dry run under the seed: the first forward "
        "draws their values from the global RNG",
    ),
)

CENTERED_LAYER = Example(
    name="centered_layer",
    source=f"{SOURCE} §6.5 Custom Layers: CenteredLayer (X - X.mean()), no parameters, after Linear(8,128)",
    build=centered_net,
    make_input=four_by_eight,
    claims=(
        Claim(
            "documented_values",
            "CenteredLayer()(torch.FloatTensor([1, 2, 3, 4, 5])) gives [-2, -1, 0, 1, 2]",
            HOLDS,
            centers_the_documented_values,
        ),
        Claim(
            "mean_zero",
            "net(torch.rand(4, 8)).mean() is zero, up to floating-point rounding",
            HOLDS,
            output_mean_is_zero,
        ),
        Claim(
            "no_parameters",
            "a layer without parameters: the net's parameters are all Linear(8,128)'s",
            HOLDS,
            no_parameters_of_its_own,
        ),
    ),
)

MY_LINEAR = Example(
    name="my_linear",
    source=f"{SOURCE} §6.5 Custom Layers: MyLinear(5, 3), its own weight and bias, used through .data",
    build=lambda: MyLinear(5, 3),
    make_input=five_features,
    claims=(
        Claim(
            "parameters_registered",
            "linear.weight is a Parameter of shape (5, 3); weight and bias are its parameters",
            HOLDS,
            parameters_registered_with_documented_shapes,
        ),
        Claim(
            "no_gradient",
            "no gradient reaches weight or bias: forward uses .data, which detaches them from "
            "autograd, so the output has no grad_fn",
            HOLDS,
            no_gradient_reaches_parameters,
        ),
        Claim(
            "composes",
            "custom layers compose like built-in ones: Sequential(MyLinear(64, 8), MyLinear(8, 1)) "
            "maps (2, 64) to (2, 1)",
            HOLDS,
            custom_layers_compose,
        ),
    ),
)

MLP_CLONE = Example(
    name="mlp_clone",
    source=f"{SOURCE} §6.6 File I/O: save MLP's state_dict, load it into a new MLP (weights_only=True)",
    build=mlp_clone,
    make_input=randn_twenty_features,
    claims=(
        Claim(
            "clone_identical",
            "the clone, loaded from the saved parameters, computes Y_clone == Y",
            HOLDS,
            clone_gives_identical_outputs,
        ),
        Claim(
            "tensors_round_trip",
            "torch.save / torch.load round-trip a tensor, a list of tensors and a dict of tensors",
            HOLDS,
            tensors_lists_and_dicts_round_trip,
        ),
        Claim(
            "reuse_first_two_layers",
            "exercise: the first two layers of a saved network can be used in a network of another "
            "design by loading only their entries (strict=False)",
            HOLDS,
            reuse_first_two_layers,
        ),
        Claim(
            "save_whole_model",
            "exercise: torch.save(net) saves architecture and parameters together, and "
            "torch.load(file) gives the network back",
            holds_only_when(
                "torch.load is given weights_only=False (for files you trust) and the class can be "
                "imported where it is loaded (pickle stores it by name, not its code): since "
                "PyTorch 2.6 the default weights_only=True refuses a pickled module"
            ),
            whole_model_round_trip,
        ),
    ),
)

EXAMPLES = (
    MLP_EXAMPLE,
    FIXED_HIDDEN_MLP,
    FANCY_MLP,
    CHIMERA,
    INIT_FUNCTIONS,
    LAZY_MLP,
    CENTERED_LAYER,
    MY_LINEAR,
    MLP_CLONE,
)
