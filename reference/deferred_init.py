"""d2l, 深度学习计算 · deferred-init: English edition §6.4 Lazy Initialization.

`LazyLinear`, written the way the book writes it, and the exercises on partial and mismatched sizes.

Corrections:
- `lazy_mlp` is materialised by a dry run inside its build: the first forward of a lazy layer draws
  its initial values from the global RNG, so it has to happen under the seed to be reproducible.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.parameter import UninitializedParameter

from .documents import BOOK
from .example import HOLDS, Claim, Example, counter
from .model_construction import twenty_features
from .seeding import generator, seeded


def lazy_mlp() -> nn.Sequential:
    return nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))


def lazy_mlp_materialised() -> nn.Sequential:
    net = lazy_mlp()
    # A dry run with the data's feature size: the lazy layers draw their values now, under the
    # caller's seed, instead of from whatever state the global RNG is in at the first real call.
    net(torch.zeros(1, 20))
    return net


def first_size_given() -> nn.Sequential:
    """Exercise 1: the input size given to the first layer only."""
    return nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.LazyLinear(10))


def mismatched_mlp() -> nn.Sequential:
    """Exercise 2: sizes that do not fit, Linear(20, 256) followed by Linear(128, 10)."""
    return nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(128, 10))


# --- counter-cases: builds where a claim's statement does not hold ---------------------------------


def mlp_with_sizes_given() -> nn.Sequential:
    """The MLP with every size given, none lazy: initialised when built, and the sizes fit."""
    return nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))


class LazyMLPStoppingEarly(nn.Sequential):
    """The lazy MLP whose forward stops before its last layer (a counter-case): that layer never
    sees data, so it never initialises."""

    def forward(self, X):
        return self[1](self[0](X))


def lazy_mlp_stopping_early() -> nn.Sequential:
    return LazyMLPStoppingEarly(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))


def first_size_given_with_128_outputs() -> nn.Sequential:
    """Exercise 1's net with 128 hidden units (a counter-case): the lazy layer infers 128, not 256."""
    return nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.LazyLinear(10))


def lazy_mlp_first_fed_thirty_features() -> nn.Sequential:
    """The lazy MLP materialised by a dry run with 30 features instead of 20."""
    net = lazy_mlp()
    net(torch.zeros(1, 30))
    return net


# The shapes the book gives once X = torch.rand(2, 20) has gone through.
DOCUMENTED_LAZY_SHAPES = [(256, 20), (256,), (10, 256), (10,)]


def uninitialised_until_first_forward(device: torch.device, build=lazy_mlp) -> bool:
    x = LAZY_MLP.input(device)
    with seeded():  # the first forward draws the initial values from the global RNG
        net = build().to(device)
        before = [isinstance(p, UninitializedParameter) for p in net.parameters()]
        net(x)
    after = [isinstance(p, UninitializedParameter) for p in net.parameters()]
    return before == [True] * 4 and after == [False] * 4


def shapes_after_forward(device: torch.device, build=None) -> bool:
    net = LAZY_MLP.model(device, build=build)
    return [tuple(p.shape) for p in net.parameters()] == DOCUMENTED_LAZY_SHAPES


def first_size_given_initialises_at_once(device: torch.device, build=first_size_given) -> bool:
    """Exercise 1: the input size given to the first layer only."""
    with seeded():
        net = build().to(device)
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


def mismatch_caught_only_by_data(
    device: torch.device, explicit_build=mismatched_mlp, lazy_build=None
) -> bool:
    """Exercise 2: mismatched sizes. Construction accepts them; the forward raises."""
    net = LAZY_MLP.model(device, build=lazy_build)  # by default materialised for 20 features
    thirty_features = torch.rand(2, 30, generator=generator()).to(device)
    with seeded():
        explicit = explicit_build().to(device)
    return raises_runtime_error(lambda: net(thirty_features)) and raises_runtime_error(
        lambda: explicit(LAZY_MLP.input(device))
    )


# === The registry entries =========================================================================

REVIEWED = "2026-12-07"

LAZY_MLP = Example(
    name="lazy_mlp",
    document=BOOK,
    section="5.3 延后初始化, 5.3.1 实例化网络 (6.4 Lazy Initialization)",
    shows="LazyLinear(256), ReLU, LazyLinear(10); sizes inferred at the first forward",
    build=lazy_mlp_materialised,
    make_input=twenty_features,
    claims=(
        Claim(
            "uninitialised_before_forward",
            "before data has passed through, the parameters are UninitializedParameter",
            HOLDS,
            uninitialised_until_first_forward,
            counters=(
                counter("every size given, no lazy layer", build=mlp_with_sizes_given),
                counter(
                    "a lazy MLP whose forward stops before its last layer",
                    build=lazy_mlp_stopping_early,
                ),
            ),
            quote="框架尚未初始化任何参数",
            place="5.3 延后初始化, 5.3.1 实例化网络",
            reading=(
                "the Chinese edition shows this in MXNet and TensorFlow only; in PyTorch the "
                "layers without an input size are nn.LazyLinear, whose parameters stay "
                "UninitializedParameter until data first passes through, and are initialised then"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "shapes_after_forward",
            "after net(torch.rand(2, 20)) the parameters have shapes (256, 20), (256,), (10, 256), (10,)",
            HOLDS,
            shapes_after_forward,
            counters=(
                counter(
                    "first data of 30 features, not 20", build=lazy_mlp_first_fed_thirty_features
                ),
            ),
            quote="一旦我们知道输入维数是20，框架可以通过代入值20来识别第一层权重矩阵的形状",
            place="5.3 延后初始化, 5.3.1 实例化网络",
            reading=(
                "the first data, X of 20 features, fixes the first layer's shape (256, 20), then "
                "the next layer's (10, 256), layer by layer"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "first_size_only",
            "exercise, answered: giving the input size to the first layer only initialises it at "
            "once; the later lazy layer waits for the first forward",
            HOLDS,
            first_size_given_initialises_at_once,
            counters=(
                counter("no size given: the first layer lazy too", build=lazy_mlp),
                counter("every size given, no lazy layer", build=mlp_with_sizes_given),
                counter(
                    "the first layer given 128 outputs: the lazy layer infers (10, 128)",
                    build=first_size_given_with_128_outputs,
                ),
            ),
            quote="如果指定了第一层的输入尺寸，但没有指定后续层的尺寸，会发生什么？是否立即进行初始化？",
            place="5.3 延后初始化, 5.3.3 练习, 第 1 题",
            reading=(
                "the exercise asks; judged is the reference's answer: the layer given its size is "
                "initialised at once, the later lazy layer at the first forward, with the size it "
                "then infers"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "mismatched_sizes",
            "exercise, answered: mismatched sizes are not caught when the net is built, only when "
            "data flows: "
            "a lazy layer initialised for 20 features, or Linear(20,256) followed by "
            "Linear(128,10), raises RuntimeError in forward",
            HOLDS,
            mismatch_caught_only_by_data,
            counters=(
                counter(
                    "sizes that fit: Linear(20, 256), Linear(256, 10)",
                    explicit_build=mlp_with_sizes_given,
                ),
                counter(
                    "the lazy layers first fed 30 features: the 30-feature data fits",
                    lazy_build=lazy_mlp_first_fed_thirty_features,
                ),
            ),
            quote="如果指定了不匹配的维度会发生什么？",
            place="5.3 延后初始化, 5.3.3 练习, 第 2 题",
            reading=(
                "the exercise asks; judged is the reference's answer: building accepts sizes that "
                "do not fit, and the forward raises RuntimeError"
            ),
            reviewed=REVIEWED,
            finding=True,
        ),
    ),
    corrections=(
        "the build materialises the lazy layers with a dry run under the seed: the first forward "
        "draws their values from the global RNG",
    ),
)

EXAMPLES = (LAZY_MLP,)
