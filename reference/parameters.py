"""d2l, 深度学习计算 · parameters: English edition §6.2 Parameter Management and §6.3 Parameter
Initialization.

§6.2's examples are the 001 notebook's (`parameter_access`); `FancyMLP` (`model_construction`)
answers 003's exercise "access the parameters of FancyMLP's layers". Here is §6.3, written the way
the book writes it: `init_normal`, `init_constant`, `init_xavier`, `init_42`, `my_init`, applied
with `apply`, and parameters set directly.
"""

from __future__ import annotations

import copy
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


def init_42_zeroing_biases(m):
    """init_constant with 42 for 1: the biases zeroed, the weights 42."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.constant_(m.weight, 42)
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


def init_normal_shifted(m):
    """init_normal with mean 0.001: a tenth of σ off, which the wide layer's draws show."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0.001, std=0.01)
        nn.init.zeros_(m.bias)


def init_normal_scaled_by_fan_in(m):
    """σ = 0.01·√(1000/fan_in), as an init scaled by fan-in would: 0.01 on the wide layer only."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0, std=0.01 * math.sqrt(1000 / m.in_features))
        nn.init.zeros_(m.bias)


def init_normal_keeping_biases(m):
    """init_normal without `zeros_(m.bias)`: biases left as drawn."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0, std=0.01)


def my_init_just_past_ten(m):
    """my_init drawing from U(-10.01, 10.01): a few |w| past 10, too few for the distribution test."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.uniform_(m.weight, -10.01, 10.01)
        m.weight.data *= m.weight.data.abs() >= 5


def my_init_zeroing_below_six(m):
    """my_init zeroing |w| < 6: zero 60% of the time, every other weight still in 5…10."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 6


def apply_to_children(net: nn.Module, fn) -> None:
    """`fn` mapped over `net.children()`: one level down, and never `net` itself."""
    for child in net.children():
        fn(child)


def apply_to_a_copy(net: nn.Module, fn) -> None:
    """`fn` applied to a deep copy of `net`: as many visits, none of them to `net`'s modules."""
    copy.deepcopy(net).apply(fn)


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
    wide = wide_layer(init)
    weights = torch.cat([m.weight.flatten() for m in linear_layers(net)])
    biases = torch.cat([m.bias.detach().flatten().cpu() for m in [*linear_layers(net), wide]])
    return (
        close_to_normal(weights, 0.01)
        and close_to_normal(wide.weight, 0.01)
        and bool((biases == 0).all())
    )


def constant_weights_and_zero_biases(device: torch.device, init=init_constant) -> bool:
    net = INIT_FUNCTIONS.model(device, build=functools.partial(applied, init))
    weights = torch.cat([m.weight.detach().flatten() for m in linear_layers(net)])
    biases = torch.cat([m.bias.detach().flatten() for m in linear_layers(net)])
    return bool((weights == 1).all()) and bool((biases == 0).all())


def xavier_bound(weight: torch.Tensor) -> float:
    """a = √(6 / (fan_in + fan_out)), the bound of `xavier_uniform_` (gain 1) for a Linear weight."""
    fan_out, fan_in = weight.shape
    return math.sqrt(6 / (fan_in + fan_out))


def kolmogorov_smirnov(values: torch.Tensor, cdf, cdf_below=None) -> float:
    """D, the largest distance between the empirical distribution function of `values` and `cdf`.
    `cdf_below(x)`: the distribution function just below x, where it jumps at x (an atom); `cdf`
    itself where it is continuous."""
    x = values.detach().flatten().double().cpu().sort().values
    n = x.numel()
    steps = torch.arange(1, n + 1, dtype=torch.float64)
    below = cdf(x) if cdf_below is None else cdf_below(x)
    return max((steps / n - cdf(x)).max().item(), (below - (steps - 1) / n).max().item())


def uniform_cdf(bound: float):
    """The distribution function of U(-bound, bound)."""
    return lambda x: ((x + bound) / (2 * bound)).clamp(0, 1)


def kolmogorov_smirnov_p_value(d: float | torch.Tensor, n: int) -> float | torch.Tensor:
    """P(D_n ≥ d) for n draws of the distribution itself: Kolmogorov's limit, with Stephens' (1970)
    correction √n + 0.12 + 0.11/√n for small n (tests/test_claims_c.py measures its false-alarm
    rate on 20,000 uniform samples of 32 and of 1,000 draws)."""
    t = torch.as_tensor(d, dtype=torch.float64) * (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n))
    k = torch.arange(1, 101, dtype=torch.float64).reshape(-1, *([1] * t.dim()))
    series = 2 * ((-1) ** (k - 1) * torch.exp(-2 * k**2 * t**2)).sum(0)
    # Below t = 0.3 the alternating series has not converged in 100 terms; P is 1 there to 1e-8.
    p = torch.where(t < 0.3, 1.0, series.clamp(0, 1))
    return p if isinstance(d, torch.Tensor) else p.item()


# The goodness-of-fit test rejects at p < 0.001: a draw of the distribution itself is rejected once
# in a thousand seeds (its false-alarm rate), per test.
FALSE_ALARM = 1e-3


def fits(values: torch.Tensor, cdf, cdf_below=None) -> bool:
    """Kolmogorov–Smirnov against `cdf`, at the false-alarm rate above (at most that rate where the
    distribution has atoms: the test is conservative there)."""
    d = kolmogorov_smirnov(values, cdf, cdf_below)
    return kolmogorov_smirnov_p_value(d, values.numel()) >= FALSE_ALARM


def looks_uniform(values: torch.Tensor, bound: float) -> bool:
    """Kolmogorov–Smirnov against U(-bound, bound), at the false-alarm rate above."""
    return fits(values, uniform_cdf(bound))


def wide_layer(init) -> nn.Linear:
    """Linear(1000, 100) with `init` applied: 10⁵ draws, enough to tell distributions apart that
    the book's 32 cannot."""
    with seeded():
        return nn.Linear(1000, 100).apply(init)


def xavier_uniform_within_its_bound(
    device: torch.device, build=None, wide_init=init_xavier
) -> bool:
    """net[0]'s 32 weights lie within ±a, the largest past 3a/4, and pass the goodness-of-fit test;
    `wide_init` on a wide layer passes it too, where 10⁵ draws tell U(-a, a) from a normal of the
    same standard deviation.

    Past 3a/4: the default init of Linear(4, 8) (bound 1/√4 = 0.5 ≈ 0.71a) never gets there, while
    32 draws of U(-a, a) all fall short with probability 0.75³² ≈ 1e-4; 32 draws alone cannot tell
    U(-0.71a, 0.71a) from U(-a, a) at the test's false-alarm rate."""
    weight = INIT_FUNCTIONS.model(device, build=build)[0].weight.detach()
    bound, largest = xavier_bound(weight), weight.abs().max().item()
    wide = wide_layer(wide_init).weight.detach()
    return (
        largest <= bound
        and largest > 0.75 * bound
        and looks_uniform(weight, bound)
        and looks_uniform(wide, xavier_bound(wide))
    )


def first_layer_scaled_to(fraction: float) -> nn.Sequential:
    """The book's net in float64, net[0]'s Xavier draw scaled so that its largest |w| is exactly
    `fraction` × a."""
    net = xavier_first_42_last().double()
    weight = net[0].weight
    with torch.no_grad():
        flat, target = weight.view(-1), fraction * xavier_bound(weight)
        largest = flat.abs().argmax()
        flat *= target / flat[largest].abs()
        flat[largest] = target * flat[largest].sign()  # exactly, where the division rounded
    return net


def first_layer_reaching_exactly_three_quarters_of_the_bound() -> nn.Sequential:
    """net[0]'s draw scaled to reach exactly 3a/4 (a counter-case): not past it."""
    return first_layer_scaled_to(0.75)


def first_layer_with_one_weight_past_the_bound() -> nn.Sequential:
    """net[0]'s draw with its largest weight moved to 1.01a (a counter-case)."""
    net = xavier_first_42_last().double()
    weight = net[0].weight
    with torch.no_grad():
        flat = weight.view(-1)
        largest = flat.abs().argmax()
        flat[largest] = 1.01 * xavier_bound(weight) * flat[largest].sign()
    return net


def first_layer_all_zeros_but_one() -> nn.Sequential:
    """net[0] all zeros but one weight at 0.8a (a counter-case): within the bound and past 3a/4,
    nothing like a uniform draw."""
    net = xavier_first_42_last()
    weight = net[0].weight
    with torch.no_grad():
        weight.zero_()
        weight[0, 0] = 0.8 * xavier_bound(weight)
    return net


def normal_of_xavier_std(m):
    """N(0, a²/3) for a Linear weight: the standard deviation of U(-a, a), another shape (a
    counter-case)."""
    if type(m) == nn.Linear:  # noqa: E721
        nn.init.normal_(m.weight, mean=0, std=xavier_bound(m.weight) / math.sqrt(3))


def last_layer_all_42(device: torch.device, build=None) -> bool:
    return bool((INIT_FUNCTIONS.model(device, build=build)[2].weight == 42).all())


def zero_or_between_5_and_10(weights: torch.Tensor) -> bool:
    """Every weight is 0, or 5 ≤ |w| ≤ 10."""
    magnitudes = weights.abs()
    return bool(((weights == 0) | ((magnitudes >= 5) & (magnitudes <= 10))).all())


def books_mixture_cdf(x: torch.Tensor, at_zero: bool = True) -> torch.Tensor:
    """The distribution function of the book's w: U(-10, -5) with probability 1/4, 0 with 1/2,
    U(5, 10) with 1/4. `at_zero=False`: just below the atom at 0."""
    zero = (x >= 0) if at_zero else (x > 0)
    return (
        0.25 * ((x + 10) / 5).clamp(0, 1) + 0.5 * zero.double() + 0.25 * ((x - 5) / 5).clamp(0, 1)
    )


def my_init_zero_or_large(device: torch.device, init=my_init) -> bool:
    """Every weight of the net, and of a wide layer (10⁵ draws), is 0 or 5 ≤ |w| ≤ 10, and the wide
    layer's follow the book's distribution (a goodness-of-fit test): zero half the time, each
    signed range a quarter (all zeros, or too many, would pass the rule alone)."""
    net = INIT_FUNCTIONS.model(device, build=functools.partial(applied, init))
    wide = wide_layer(init).weight.detach()
    weights = torch.cat([m.weight.detach().flatten() for m in linear_layers(net)])
    return zero_or_between_5_and_10(torch.cat([weights.cpu(), wide.flatten()])) and fits(
        wide, books_mixture_cdf, functools.partial(books_mixture_cdf, at_zero=False)
    )


def the_books_direct_setting(net: nn.Module) -> None:
    net[0].weight.data[:] += 1
    net[0].weight.data[0, 0] = 42


def setting_by_a_new_parameter(net: nn.Module) -> None:
    """The same values, assigned as a new Parameter (not in place): the old one, which an optimizer
    may hold, keeps its values."""
    net[0].weight = nn.Parameter(net[0].weight.detach() + 1)
    net[0].weight.data[0, 0] = 42


def setting_then_rewrapping(net: nn.Module) -> None:
    """The book's edit, then the weight wrapped in a new Parameter over the same storage: the values
    are set, but `net[0].weight` is another object than the one an optimizer holds."""
    the_books_direct_setting(net)
    net[0].weight = nn.Parameter(net[0].weight.data)


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
    # Values: `expected` is built from the weight's own clone (same dtype, shape and device).
    return net[0].weight is weight and torch.equal(weight.detach(), expected)


# === The registry entries =========================================================================

REVIEWED = "2026-12-07"

INIT_FUNCTIONS = Example(
    name="init_functions",
    document=BOOK,
    section="5.2 参数管理, 5.2.2 参数初始化 (6.3 Parameter Initialization)",
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
                counter("fn applied to a deep copy of net", apply=apply_to_a_copy),
            ),
            quote="net.apply(init_normal)",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.1 内置初始化 (the code: if type(m) == nn.Linear: … net.apply(init_normal))",
            reading=(
                "the reference's reading of the book's code, which the book does not explain: "
                "apply calls the function on every submodule and on the net itself, once each, "
                "so each init function tests for nn.Linear"
            ),
            reviewed=REVIEWED,
            finding=True,
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
                counter("weights drawn with mean 0.001", init=init_normal_shifted),
                counter(
                    "σ scaled by fan-in: 0.01 on the wide layer, 0.16 and 0.11 on the net's",
                    init=init_normal_scaled_by_fan_in,
                ),
                counter("biases left as drawn", init=init_normal_keeping_biases),
            ),
            quote="下面的代码将所有权重参数初始化为标准差为0.01的高斯随机变量，且将偏置参数设置为0",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.1 内置初始化",
            reading=(
                "every weight of every Linear a draw of N(0, 0.01²) (mean 0, as the code sets), "
                "every bias 0"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "init_constant",
            "init_constant sets every weight to 1 and every bias to 0",
            HOLDS,
            constant_weights_and_zero_biases,
            counters=(
                counter("init_42 applied instead (biases left as drawn)", init=init_42),
                counter("weights set to 1, biases left as drawn", init=init_ones_keeping_biases),
                counter("weights set to 42, biases zeroed", init=init_42_zeroing_biases),
            ),
            quote="我们还可以将所有参数初始化为给定的常数，比如初始化为1",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.1 内置初始化",
            reading="what the code does: every weight 1, every bias 0 (init_constant zeroes them)",
            literal=(
                "every parameter 1, the biases too: false, the book's init_constant sets the "
                "biases to 0"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "init_xavier",
            "net[0].apply(init_xavier) draws net[0].weight from U(-a, a), a = √(6/(fan_in+fan_out))",
            HOLDS,
            xavier_uniform_within_its_bound,
            counters=(
                counter("net[0] left at Linear's default init (bound ≈ 0.71a)", build=init_net),
                counter(
                    "net[0]'s draw scaled to reach exactly 3a/4 (float64)",
                    build=first_layer_reaching_exactly_three_quarters_of_the_bound,
                ),
                counter(
                    "net[0]'s largest weight moved to 1.01a (float64)",
                    build=first_layer_with_one_weight_past_the_bound,
                ),
                counter(
                    "net[0] all zeros but one weight at 0.8a", build=first_layer_all_zeros_but_one
                ),
                counter(
                    "the wide layer drawn from N(0, a²/3): the same standard deviation, another shape",
                    wide_init=normal_of_xavier_std,
                ),
                counter(
                    "net[0] drawn from N(0, a²/3) too",
                    build=lambda: applied(normal_of_xavier_std),
                    wide_init=normal_of_xavier_std,
                ),
            ),
            quote="下面我们使用Xavier初始化方法初始化第一个神经网络层",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.1 内置初始化",
            reading=(
                "Xavier initialisation as the code calls it, nn.init.xavier_uniform_ (gain 1): "
                "net[0].weight a draw of U(-a, a); judged by its bound and a goodness-of-fit test "
                "(Kolmogorov–Smirnov, false-alarm rate 0.001) on the book's 32 weights and on 10⁵ "
                "draws of a wide layer"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "init_42",
            "net[2].apply(init_42) sets every weight of net[2] to 42",
            HOLDS,
            last_layer_all_42,
            counters=(counter("net[2] left at Linear's default init", build=init_net),),
            quote="然后将第三个神经网络层初始化为常量值42",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.1 内置初始化",
            reading="what the code does and prints: net[2]'s weights all 42",
            literal=(
                "the third layer's parameters all 42: false, init_42 sets the weight only and the "
                "bias keeps its default draw"
            ),
            reviewed=REVIEWED,
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
                counter(
                    "my_init drawing from U(-10.01, 10.01): a few |w| past 10",
                    init=my_init_just_past_ten,
                ),
                counter(
                    "my_init zeroing |w| < 6: zero 60% of the time", init=my_init_zeroing_below_six
                ),
            ),
            quote="我们使用以下的分布为任意权重参数$w$定义初始化方法",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.2 自定义初始化",
            reading=(
                "the distribution the book gives (U(5, 10) with probability 1/4, 0 with 1/2, "
                "U(-10, -5) with 1/4) is what my_init draws: every weight 0 or 5 ≤ |w| ≤ 10, and "
                "10⁵ draws pass a goodness-of-fit test against that distribution"
            ),
            reviewed=REVIEWED,
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
                counter(
                    "the book's edit, then the weight re-wrapped in a new Parameter",
                    edit=setting_then_rewrapping,
                ),
            ),
            quote="注意，我们始终可以直接设置参数",
            place="5.2 参数管理, 5.2.2 参数初始化, 5.2.2.2 自定义初始化 (net[0].weight.data[:] += 1)",
            reading=(
                "the book's two lines set the parameter's values in place: net[0].weight is "
                "the same Parameter object, holding the old values plus 1 and 42 at [0, 0]"
            ),
            reviewed=REVIEWED,
        ),
    ),
)

EXAMPLES = (INIT_FUNCTIONS,)
