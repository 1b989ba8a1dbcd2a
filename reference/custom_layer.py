"""d2l, 深度学习计算 · custom-layer: English edition §6.5 Custom Layers.

`CenteredLayer` (a layer without parameters) and `MyLinear` (a layer with its own), written the way
the book writes them.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .documents import BOOK
from .example import FALSE, HOLDS, Claim, Example, counter
from .seeding import generator, seeded


class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


def centered_net() -> nn.Sequential:
    return nn.Sequential(nn.Linear(8, 128), CenteredLayer())


def four_by_eight(g: torch.Generator) -> torch.Tensor:
    return torch.rand(4, 8, generator=g)


def normalizes_five_values() -> nn.Module:
    """LayerNorm over five values, without weight and bias (a counter-case): it centres them and
    also scales them to unit variance."""
    return nn.LayerNorm(5, elementwise_affine=False)


def centered_net_in_the_wrong_order() -> nn.Sequential:
    """CenteredLayer placed before the Linear layer (a counter-case): the Linear's bias comes after
    the centring."""
    return nn.Sequential(CenteredLayer(), nn.Linear(8, 128))


def centered_net_with_a_head() -> nn.Sequential:
    """A Linear(128, 1) after CenteredLayer (a counter-case): the net has parameters beyond
    Linear(8,128)'s."""
    return nn.Sequential(nn.Linear(8, 128), CenteredLayer(), nn.Linear(128, 1))


def centered_net_scaled_down() -> nn.Sequential:
    """Linear(8, 128) with its weight and bias scaled by 1e-6 (a counter-case): the centred output
    is too small to tell from zero."""
    net = centered_net()
    with torch.no_grad():
        for p in net[0].parameters():
            p *= 1e-6
    return net


class FixedHidden(nn.Module):
    """A layer that ignores its input and returns `hidden` (a counter-case's first layer)."""

    def __init__(self, hidden: torch.Tensor):
        super().__init__()
        self.register_buffer("hidden", hidden)

    def forward(self, X):
        return self.hidden


def centered_output_peaking_at(peak: float) -> nn.Sequential:
    """CenteredLayer after a float64 hidden output of zeros but for +peak and -peak: its mean is
    exactly zero, so the centred output peaks at exactly `peak`."""
    hidden = torch.zeros(4, 128, dtype=torch.float64)
    hidden[0, 0], hidden[1, 1] = peak, -peak
    return nn.Sequential(FixedHidden(hidden), CenteredLayer())


def centered_output_at_the_size_threshold() -> nn.Sequential:
    """A centred output that peaks exactly at 1e3 × MEAN_TOLERANCE (a counter-case): not past it."""
    return centered_output_peaking_at(1e3 * MEAN_TOLERANCE)


class CenteredLayerHoldingABias(CenteredLayer):
    """CenteredLayer that registers another layer's bias as a parameter of its own (a counter-case):
    the layer has a parameter, though the net's parameters are still the other layer's."""

    def __init__(self, bias: nn.Parameter):
        super().__init__()
        self.bias = bias


def centered_net_sharing_the_linear_bias() -> nn.Sequential:
    linear = nn.Linear(8, 128)
    return nn.Sequential(linear, CenteredLayerHoldingABias(linear.bias))


def normalized_net() -> nn.Sequential:
    """nn.LayerNorm(128) in place of CenteredLayer (a counter-case): it centres, and has a weight
    and a bias of its own."""
    return nn.Sequential(nn.Linear(8, 128), nn.LayerNorm(128))


def centers_the_documented_values(device: torch.device, make_layer=CenteredLayer) -> bool:
    layer = make_layer()
    y = layer(torch.FloatTensor([1, 2, 3, 4, 5]).to(device))
    return y.cpu().tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]


# Float32 rounding leaves the mean of the centred output a tiny number, not always exactly zero.
# Measured (torch 2.13, CPU, the example's model and input at seeds 0-199, by a one-off script):
# the noise, |mean| of the centred output, is at most 2.0e-8 (at the example's seed 2.8e-9 with
# AVX512 kernels, 0.0 with ATEN_CPU_CAPABILITY=default); the real change, |mean| of the output uncentred (net[0]'s),
# is 2.8e-2 at the example's seed, 2.2e-2 the median and 9.0e-6 the smallest over the 200 seeds.
# 1e-6 sits 49 times above the noise and 28,000 times below the example's uncentred mean.
MEAN_TOLERANCE = 1e-6


def output_mean_is_zero(device: torch.device, build=None) -> bool:
    """The mean of net(X) is zero up to rounding, and the output itself is not (a vanishing output
    would pass the first test whatever the layer did)."""
    net, x = CENTERED_LAYER.model(device, build=build), CENTERED_LAYER.input(device)
    y = net(x)
    return abs(y.mean().item()) <= MEAN_TOLERANCE and y.abs().max().item() > 1e3 * MEAN_TOLERANCE


def no_parameters_of_its_own(device: torch.device, build=None) -> bool:
    net = CENTERED_LAYER.model(device, build=build)
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


class MyLinearOfPlainTensors(MyLinear):
    """The common mistake (a counter-case): weight and bias kept as plain tensors, not wrapped in
    `nn.Parameter`, so the module does not register them."""

    def __init__(self, in_units, units):
        super().__init__(in_units, units)
        weight, bias = self.weight.detach(), self.bias.detach()
        del self.weight, self.bias
        self.weight, self.bias = weight, bias


class MyLinearWithoutData(MyLinear):
    """MyLinear without `.data` (a counter-case): forward uses `self.weight` and `self.bias`
    themselves, so the output has a gradient path back to them."""

    def forward(self, X):
        return F.relu(torch.matmul(X, self.weight) + self.bias)


class MyLinearWithAPlainBias(MyLinear):
    """MyLinear whose bias is a plain tensor, not wrapped in `nn.Parameter` (a counter-case): the
    weight is registered, the bias is not."""

    def __init__(self, in_units, units):
        super().__init__(in_units, units)
        bias = self.bias.detach()
        del self.bias
        self.bias = bias


def my_linear_with_frozen_weight() -> MyLinear:
    """MyLinear(5, 3) with its weight frozen (a counter-case): no gradient reaches it because none
    is asked for, whatever forward does."""
    linear = MyLinear(5, 3)
    linear.weight.requires_grad_(False)
    return linear


def my_linear_with_frozen_bias() -> MyLinear:
    """MyLinear(5, 3) with its bias frozen (a counter-case)."""
    linear = MyLinear(5, 3)
    linear.bias.requires_grad_(False)
    return linear


class SqueezingLinear(MyLinear):
    """MyLinear ending in `.squeeze()` (a counter-case): a (2, 1) output comes out as (2,)."""

    def forward(self, X):
        return super().forward(X).squeeze()


def five_features(g: torch.Generator) -> torch.Tensor:
    return torch.rand(2, 5, generator=g)


def parameters_registered_with_documented_shapes(device: torch.device, build=None) -> bool:
    linear = MY_LINEAR.model(device, build=build)
    # Registered names: only an nn.Parameter is registered as one.
    return tuple(linear.weight.shape) == (5, 3) and [
        name for name, _ in linear.named_parameters()
    ] == ["weight", "bias"]


def no_gradient_reaches_parameters(device: torch.device, build=None) -> bool:
    """Weight and bias ask for gradients, yet the output has no autograd history (`grad_fn`), so no
    backward from it can reach them."""
    linear, x = MY_LINEAR.model(device, build=build), MY_LINEAR.input(device)
    y = linear(x)
    return linear.weight.requires_grad and linear.bias.requires_grad and y.grad_fn is None


def custom_layers_compose(device: torch.device, layer=MyLinear) -> bool:
    with seeded():
        net = nn.Sequential(layer(64, 8), layer(8, 1)).to(device)
    x = torch.rand(2, 64, generator=generator()).to(device)
    return tuple(net(x).shape) == (2, 1)


# === The registry entries =========================================================================

REVIEWED = "2026-12-07"

CENTERED_LAYER = Example(
    name="centered_layer",
    document=BOOK,
    section="5.4 自定义层, 5.4.1 不带参数的层 (6.5 Custom Layers)",
    shows="CenteredLayer (X - X.mean()), no parameters, after Linear(8,128)",
    build=centered_net,
    make_input=four_by_eight,
    claims=(
        Claim(
            "documented_values",
            "CenteredLayer subtracts the mean from its input: "
            "CenteredLayer()(torch.FloatTensor([1, 2, 3, 4, 5])) gives [-2, -1, 0, 1, 2]",
            HOLDS,
            centers_the_documented_values,
            counters=(
                counter(
                    "nn.LayerNorm(5) in place of CenteredLayer: it also scales",
                    make_layer=normalizes_five_values,
                ),
            ),
            quote="下面的`CenteredLayer`类要从其输入中减去均值",
            place="5.4 自定义层, 5.4.1 不带参数的层",
            reading=(
                "X - X.mean(): the book feeds it [1, 2, 3, 4, 5] to check that it works as "
                "expected; judged on those values, whose mean is 3"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "mean_zero",
            "net(torch.rand(4, 8)).mean() is zero, up to floating-point rounding",
            HOLDS,
            output_mean_is_zero,
            counters=(
                counter(
                    "CenteredLayer before the Linear layer", build=centered_net_in_the_wrong_order
                ),
                counter(
                    "the Linear layer scaled by 1e-6: an output too small to tell from zero",
                    build=centered_net_scaled_down,
                ),
                counter(
                    "an output peaking exactly at 1e3 × the tolerance, not past it",
                    build=centered_output_at_the_size_threshold,
                ),
            ),
            quote=(
                "检查均值是否为0。由于我们处理的是浮点数，因为存储精度的原因，"
                "我们仍然可能会看到一个非常小的非零数"
            ),
            place="5.4 自定义层, 5.4.1 不带参数的层 (Y = net(torch.rand(4, 8)); Y.mean())",
            reading=(
                "the output's mean is zero but for rounding: within 1e-6, while the output itself "
                "reaches past 1e3 times that (an output of near zeros would pass vacuously)"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "no_parameters",
            "a layer without parameters: the net's parameters are all Linear(8,128)'s",
            HOLDS,
            no_parameters_of_its_own,
            counters=(
                counter("nn.LayerNorm(128) in place of CenteredLayer", build=normalized_net),
                counter("a Linear(128, 1) after CenteredLayer", build=centered_net_with_a_head),
                counter(
                    "the centring layer holding the Linear's bias as its own parameter",
                    build=centered_net_sharing_the_linear_bias,
                ),
            ),
            quote="构造一个没有任何参数的自定义层",
            place="5.4 自定义层, 5.4.1 不带参数的层",
            reading=(
                "CenteredLayer has no parameter, so in net = Sequential(Linear(8, 128), "
                "CenteredLayer()) every parameter is the Linear's"
            ),
            reviewed=REVIEWED,
        ),
    ),
)

MY_LINEAR = Example(
    name="my_linear",
    document=BOOK,
    section="5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)",
    shows="MyLinear(5, 3), its own weight and bias, used through .data",
    build=lambda: MyLinear(5, 3),
    make_input=five_features,
    claims=(
        Claim(
            "parameters_registered",
            "linear.weight is a Parameter of shape (5, 3); weight and bias are its parameters",
            HOLDS,
            parameters_registered_with_documented_shapes,
            counters=(
                counter(
                    "weight and bias as plain tensors, not nn.Parameter",
                    build=lambda: MyLinearOfPlainTensors(5, 3),
                ),
                counter("MyLinear(3, 5): a weight of shape (3, 5)", build=lambda: MyLinear(3, 5)),
                counter(
                    "the bias a plain tensor, not nn.Parameter",
                    build=lambda: MyLinearWithAPlainBias(5, 3),
                ),
            ),
            quote="接下来，我们实例化`MyLinear`类并访问其模型参数",
            place="5.4 自定义层, 5.4.2 带参数的层 (linear = MyLinear(5, 3); linear.weight)",
            reading=(
                "MyLinear(5, 3) registers weight (5 inputs by 3 units) and bias as its model "
                "parameters, which linear.weight shows"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "no_gradient",
            "MyLinear's weight and bias are parameters that training can adjust",
            FALSE,
            no_gradient_reaches_parameters,
            counters=(
                counter(
                    "forward uses weight and bias, not their .data",
                    build=lambda: MyLinearWithoutData(5, 3),
                ),
                counter(
                    "the weight frozen (requires_grad=False): no gradient is asked for",
                    build=my_linear_with_frozen_weight,
                ),
                counter(
                    "the bias frozen (requires_grad=False): no gradient is asked for",
                    build=my_linear_with_frozen_bias,
                ),
            ),
            quote="下面我们继续定义具有参数的层，这些参数可以通过训练进行调整",
            place="5.4 自定义层, 5.4.2 带参数的层",
            reading=(
                "said of the layers this subsection defines, MyLinear among them: its weight and "
                "bias ask for gradients, but its forward reads weight.data and bias.data, which "
                "carry no autograd history, so the output has no grad_fn and no backward reaches "
                "them: training cannot adjust them"
            ),
            reviewed=REVIEWED,
        ),
        Claim(
            "composes",
            "custom layers compose like built-in ones: Sequential(MyLinear(64, 8), MyLinear(8, 1)) "
            "maps (2, 64) to (2, 1)",
            HOLDS,
            custom_layers_compose,
            counters=(counter("a custom layer that squeezes its output", layer=SqueezingLinear),),
            quote="使用自定义层构建模型，就像使用内置的全连接层一样使用自定义层",
            place="5.4 自定义层, 5.4.2 带参数的层 (net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1)))",
            reading=(
                "a custom layer goes into nn.Sequential as a built-in one does: the book's net "
                "maps a (2, 64) input to a (2, 1) output"
            ),
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "the book's MyLinear.forward reads self.weight.data and self.bias.data: no gradient "
        "reaches them, so training cannot adjust them, against the section's own words; "
        "torch.matmul(X, self.weight) + self.bias keeps them in the graph",
    ),
)

EXAMPLES = (
    CENTERED_LAYER,
    MY_LINEAR,
)
