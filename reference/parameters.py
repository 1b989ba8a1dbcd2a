"""d2l, 深度学习计算 · parameters: English edition §6.2 Parameter Management and §6.3 Parameter
Initialization.

§6.2's examples are the 001 notebook's (`parameter_access`); `FancyMLP` (`model_construction`)
answers 003's exercise "access the parameters of FancyMLP's layers". Here is §6.3, written the way
the book writes it: `init_normal`, `init_constant`, `init_xavier`, `init_42`, `my_init`, applied
with `apply`, and parameters set directly.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import nn

from .documents import BOOK
from .example import HOLDS, Claim, Example, counter
from .inputs import four_features
from .seeding import seeded


def init_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))


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


# --- counter-cases: what the claims' statements do not hold for -------------------------------------


def init_normal_too_wide(m):
    """init_normal with σ = 0.011: 10% too wide, which the 10⁵ draws of a wide layer show."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0, std=0.011)
        nn.init.zeros_(m.bias)


def init_normal_narrow(m):
    """init_normal with σ = 0.0099: 1% too narrow, just past what the wide layer's draws accept."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0, std=0.0099)
        nn.init.zeros_(m.bias)


def init_ones_keeping_biases(m):
    """init_constant without `zeros_(m.bias)`: weights 1, biases left as drawn."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.constant_(m.weight, 1)


def my_init_up_to_eleven(m):
    """my_init drawing from U(-11, 11): its mask keeps some |w| past 10."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.uniform_(m.weight, -11, 11)
        m.weight.data *= m.weight.data.abs() >= 5


def my_init_without_its_mask(m):
    """my_init without `m.weight.data *= m.weight.data.abs() >= 5`: plain U(-10, 10)."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.uniform_(m.weight, -10, 10)


def apply_to_children(net: nn.Module, fn) -> None:
    """`fn` mapped over `net.children()`: one level down, and never `net` itself."""
    for child in net.children():
        fn(child)


def apply_twice(net: nn.Module, fn) -> None:
    """`net.apply(fn)` called twice over: every module visited twice."""
    net.apply(fn)
    net.apply(fn)


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


def apply_visits_every_module(device: torch.device, apply=nn.Module.apply) -> bool:
    net = INIT_FUNCTIONS.model(device)
    visited = []
    apply(net, visited.append)
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


def normal_weights_and_zero_biases(device: torch.device, init=init_normal) -> bool:
    """The net's 40 weights cannot tell σ = 0.01 from 0.013; init_normal applied to a wide layer
    (10⁵ draws) pins σ to within 1%."""
    net = INIT_FUNCTIONS.model(device, build=functools.partial(applied, init))
    with seeded():
        wide = nn.Linear(1000, 100).apply(init)
    weights = torch.cat([m.weight.flatten() for m in linear_layers(net)])
    return (
        close_to_normal(weights, 0.01)
        and close_to_normal(wide.weight, 0.01)
        and all(bool((m.bias == 0).all()) for m in [*linear_layers(net), wide])
    )


def constant_weights_and_zero_biases(device: torch.device, init=init_constant) -> bool:
    net = INIT_FUNCTIONS.model(device, build=functools.partial(applied, init))
    return all(bool((m.weight == 1).all() and (m.bias == 0).all()) for m in linear_layers(net))


def xavier_bound(weight: torch.Tensor) -> float:
    fan_out, fan_in = weight.shape
    return math.sqrt(6 / (fan_in + fan_out))


def xavier_uniform_within_its_bound(device: torch.device, build=None) -> bool:
    """Every |w| ≤ a, and the largest reaches past 3a/4: the default init of Linear(4, 8) (bound
    1/√4 = 0.5 ≈ 0.71a) never does, and 32 uniform draws all fall short with probability 0.75³² ≈ 1e-4."""
    weight = INIT_FUNCTIONS.model(device, build=build)[0].weight.detach()
    bound, largest = xavier_bound(weight), weight.abs().max().item()
    return largest <= bound and largest > 0.75 * bound


def first_layer_filled_with(fraction: float) -> nn.Sequential:
    """The book's net in float64, net[0]'s weights all exactly `fraction` × its Xavier bound a."""
    net = xavier_first_42_last().double()
    weight = net[0].weight
    with torch.no_grad():
        weight.fill_(fraction * xavier_bound(weight))
    return net


def first_layer_at_three_quarters_of_the_bound() -> nn.Sequential:
    """net[0]'s weights all exactly 3a/4 (a counter-case): none reaches past 3a/4."""
    return first_layer_filled_with(0.75)


def last_layer_all_42(device: torch.device, build=None) -> bool:
    return bool((INIT_FUNCTIONS.model(device, build=build)[2].weight == 42).all())


def my_init_zero_or_large(device: torch.device, init=my_init) -> bool:
    net = INIT_FUNCTIONS.model(device, build=functools.partial(applied, init))
    weights = torch.cat([m.weight.detach().flatten() for m in linear_layers(net)])
    magnitudes = weights.abs()
    zero, large = weights == 0, (magnitudes >= 5) & (magnitudes <= 10)
    # Both kinds must occur: all zeros (what a narrower draw gives) would pass the rule vacuously.
    return bool((large | zero).all() and large.any() and zero.any())


def the_books_direct_setting(net: nn.Module) -> None:
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42


def setting_by_a_new_parameter(net: nn.Module) -> None:
    """The same values, assigned as a new Parameter (not in place): the old one, which an optimizer
    may hold, keeps its values."""
    net[0].weight = nn.Parameter(net[0].weight.detach() + 1)
    net[0].weight.data[0, 0] = 42


def adding_to_the_nonzero_weights_only(net: nn.Module) -> None:
    """The book's edit with `+= 1` given only to the nonzero weights: my_init's zeros stay 0."""
    weight = net[0].weight.data
    weight[weight != 0] += 1
    weight[0, 0] = 42


def direct_setting_edits_in_place(device: torch.device, edit=the_books_direct_setting) -> bool:
    net = INIT_FUNCTIONS.model(device, "my_init")
    weight = net[0].weight
    before = weight.detach().clone()
    edit(net)
    expected = before + 1
    expected[0, 0] = 42
    return net[0].weight is weight and torch.equal(weight.detach(), expected)


# === The registry entries =========================================================================

INIT_FUNCTIONS = Example(
    name="init_functions",
    document=BOOK,
    section="§6.3 Parameter Initialization",
    shows="init functions applied with apply; the build is the book's per-layer combination (net[0] Xavier, net[2] 42)",
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
            counters=(
                counter("fn mapped over net.children() instead", apply=apply_to_children),
                counter(
                    "net.apply(fn) called twice: every module visited twice", apply=apply_twice
                ),
            ),
        ),
        Claim(
            "init_normal",
            "init_normal draws every weight from N(0, 0.01²) and zeroes the biases (mean and std "
            "within 4 standard errors, on the net and on a Linear(1000, 100))",
            HOLDS,
            normal_weights_and_zero_biases,
            counters=(
                counter("weights drawn with σ = 0.011 (10% wide)", init=init_normal_too_wide),
                counter("weights drawn with σ = 0.0099 (1% narrow)", init=init_normal_narrow),
            ),
        ),
        Claim(
            "init_constant",
            "init_constant sets every weight to 1 and every bias to 0",
            HOLDS,
            constant_weights_and_zero_biases,
            counters=(
                counter("init_42 applied instead (biases left as drawn)", init=init_42),
                counter("weights set to 1, biases left as drawn", init=init_ones_keeping_biases),
            ),
        ),
        Claim(
            "init_xavier",
            "net[0].apply(init_xavier) draws net[0].weight from U(-a, a), a = √(6/(fan_in+fan_out))",
            HOLDS,
            xavier_uniform_within_its_bound,
            counters=(
                counter("net[0] left at Linear's default init (bound ≈ 0.71a)", build=init_net),
                counter(
                    "net[0]'s weights all exactly 3a/4 (float64)",
                    build=first_layer_at_three_quarters_of_the_bound,
                ),
            ),
        ),
        Claim(
            "init_42",
            "net[2].apply(init_42) sets every weight of net[2] to 42",
            HOLDS,
            last_layer_all_42,
            counters=(counter("net[2] left at Linear's default init", build=init_net),),
        ),
        Claim(
            "my_init",
            "my_init draws U(-10, 10) and zeroes |w| < 5: every weight is 0 or 5 ≤ |w| ≤ 10",
            HOLDS,
            my_init_zero_or_large,
            counters=(
                counter("my_init without its mask (|w| < 5 kept)", init=my_init_without_its_mask),
                counter(
                    "my_init drawing from U(-11, 11): some |w| past 10", init=my_init_up_to_eleven
                ),
            ),
        ),
        Claim(
            "direct_setting",
            "net[0].weight.data[:] += 1; net[0].weight.data[0, 0] = 42 set the parameter directly, "
            "in place",
            HOLDS,
            direct_setting_edits_in_place,
            counters=(
                counter("a new Parameter assigned instead", edit=setting_by_a_new_parameter),
                counter(
                    "+1 added to the nonzero weights only: my_init's zeros stay 0",
                    edit=adding_to_the_nonzero_weights_only,
                ),
            ),
        ),
    ),
)

EXAMPLES = (INIT_FUNCTIONS,)
