"""004_437a7907a92ead85.txt: ParameterList, ParameterDict, F.linear and weight_norm, presented by the
article as the weight-sharing tools of `torch.nn.modules.utils`.

The models are written as the article writes them (it calls every one `MyModel`; here each has its
own name). Corrections, with the article's words:
- "torch.nn.modules.utils模块提供了几种实现权重参数共享的方法": none of the four lives in
  `torch.nn.modules.utils` (that module holds `_pair`, `_ntuple` and state_dict helpers).
  `ParameterList`/`ParameterDict` are in `torch.nn`, `linear` in `torch.nn.functional`,
  `weight_norm` in `torch.nn.utils` (deprecated) and `torch.nn.utils.parametrizations`.
- "实现权重参数共享": none of them shares anything by itself. A ParameterList or ParameterDict
  registers independent parameters; F.linear shares a weight only when the same Parameter is passed
  at several places; weight norm reparametrizes one layer's weight. So none of the article's four
  models trains fewer numbers ("减少模型中需要训练的参数数量" holds of sharing itself): 500, 300 and
  100 for five, three and one weight, and weight norm 110 for its 10×10 weight, a magnitude per row
  more than the plain layer.
- `utils.weight_norm(self.weight)`: weight_norm takes a *module* and the name of one of its
  parameters; given a bare Parameter it raises. The reference applies
  `torch.nn.utils.parametrizations.weight_norm` to a Linear (the old `torch.nn.utils.weight_norm` is
  deprecated since torch 2.1).
- "分解为一个标量的权重和一个单位范数的向量,其中标量权重是共享的" (one scalar weight, shared, and a
  unit-norm vector): with the default `dim=0` g holds one magnitude per output row; only `dim=None`
  gives one scalar for the whole weight, the one then common to all its entries. It belongs to this
  one layer.
- A ParameterDict built from a plain dict is iterated in *sorted* key order, not insertion order:
  the article's `weight1`…`weight3` happen to be sorted, so its chain runs in the order written.
- "提高模型的泛化能力和训练效率" (improves generalisation and training efficiency) is not judged:
  no small, cheap experiment settles it, and none of these four models shares a parameter anyway.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from types import MappingProxyType

import torch
import torch.nn.modules.utils
import torch.nn.utils as utils
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations, parametrize

from .example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .probes import calls_receiving
from .seeding import seeded
from .tying import alias_groups, parameter_count

DOCUMENT = "004_437a7907a92ead85.txt"
REVIEWED = "2026-12-07"


class ParameterListModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(10, 10)) for _ in range(5)])

    def forward(self, x):
        out = None
        for w in self.weights:
            if out is None:  # noqa: SIM108  (as the article writes it)
                out = torch.mm(x, w)
            else:
                out = torch.mm(out, w)
        return out


class ParameterDictModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.ParameterDict({'weight1': nn.Parameter(torch.randn(10, 10)),
                                         'weight2': nn.Parameter(torch.randn(10, 10)),
                                         'weight3': nn.Parameter(torch.randn(10, 10))})  # fmt: skip

    def forward(self, x):
        out = None
        for name, w in self.weights.items():  # noqa: B007  (as the article writes it)
            if out is None:  # noqa: SIM108  (as the article writes it)
                out = torch.mm(x, w)
            else:
                out = torch.mm(out, w)
        return out


class FunctionalLinearModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(10, 10))

    def forward(self, x):
        out = F.linear(x, self.weight)
        return out


class ReusedFunctionalLinearModel(FunctionalLinearModel):
    """What it takes for F.linear to share: the same Parameter passed at two places."""

    def forward(self, x):
        return F.linear(F.linear(x, self.weight), self.weight)


class ArticleWeightNormModel(nn.Module):
    """The article's weight-norm model, verbatim: constructing it raises."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(10, 10))
        self.weight = utils.weight_norm(self.weight)

    def forward(self, x):
        out = torch.mm(x, self.weight)
        return out


class WeightNormModel(nn.Module):
    """The article's model, corrected: weight norm is applied to a module that owns the weight.

    A bias-free Linear(10, 10) is the article's one 10×10 weight (it computes x·Wᵀ where the
    article's `torch.mm` computes x·W: the same map, the weight stored transposed).
    """

    def __init__(self):
        super().__init__()
        self.linear = parametrizations.weight_norm(nn.Linear(10, 10, bias=False))

    def forward(self, x):
        return self.linear(x)


def two_samples_ten_features(g: torch.Generator) -> torch.Tensor:
    return torch.randn(2, 10, generator=g)


# --- counter-cases: builds where a claim's statement comes out the other way ---------------------


class PlainListModel(ParameterListModel):
    """The five weights in a plain Python list, not a ParameterList: the module does not register
    them (same forward)."""

    def __init__(self):
        nn.Module.__init__(self)
        self.weights = [nn.Parameter(torch.randn(10, 10)) for _ in range(5)]


class OneWeightFiveTimesModel(ParameterListModel):
    """A ParameterList that holds one Parameter five times: that does share it."""

    def __init__(self):
        nn.Module.__init__(self)
        w = nn.Parameter(torch.randn(10, 10))
        self.weights = nn.ParameterList([w] * 5)


class OneWeightThreeKeysModel(ParameterDictModel):
    """A ParameterDict that holds one Parameter under all three keys: that does share it."""

    def __init__(self):
        nn.Module.__init__(self)
        w = nn.Parameter(torch.randn(10, 10))
        self.weights = nn.ParameterDict({"weight1": w, "weight2": w, "weight3": w})


class MatmulModel(FunctionalLinearModel):
    """`torch.mm(x, weight)` in place of `F.linear(x, weight)`: x·W, not x·Wᵀ."""

    def forward(self, x):
        return torch.mm(x, self.weight)


class LinearWithBiasModel(FunctionalLinearModel):
    """`F.linear(x, weight, bias)`: x·Wᵀ + b, neither x·Wᵀ nor x·W."""

    def __init__(self):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(10))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class WeightUnderTwoNamesModel(FunctionalLinearModel):
    """The article's model with its weight registered under a second name too (still used once):
    shared by registration."""

    def __init__(self):
        super().__init__()
        self.same_weight = self.weight


class ForgetsModuleInitModel(nn.Module):
    """The article's model without `super().__init__()`: it raises an AttributeError of another
    kind, at its first assignment, before weight_norm is reached."""

    def __init__(self):
        self.weight = nn.Parameter(torch.randn(10, 10))
        self.weight = utils.weight_norm(self.weight)


class LegacyWeightNormModel(nn.Module):
    """The article's call as the legacy API wants it: a module (and the name of its weight)."""

    def __init__(self):
        super().__init__()
        self.linear = utils.weight_norm(nn.Linear(10, 10, bias=False))

    def forward(self, x):
        return self.linear(x)


class WholeTensorWeightNormModel(WeightNormModel):
    """Weight norm with `dim=None`: one magnitude, the norm taken over the whole weight."""

    def __init__(self):
        nn.Module.__init__(self)
        self.linear = parametrizations.weight_norm(nn.Linear(10, 10, bias=False), dim=None)


class PerColumnWeightNormModel(WeightNormModel):
    """Weight norm with `dim=1`: one magnitude per input column, the norm taken per column."""

    def __init__(self):
        nn.Module.__init__(self)
        self.linear = parametrizations.weight_norm(nn.Linear(10, 10, bias=False), dim=1)


class EqualRowNormsModel(WeightNormModel):
    """Weight norm on an identity weight: every row has norm 1, so g holds one value ten times."""

    def __init__(self):
        nn.Module.__init__(self)
        linear = nn.Linear(10, 10, bias=False)
        nn.init.eye_(linear.weight)
        self.linear = parametrizations.weight_norm(linear)


class WeightNormUsedTwiceModel(WeightNormModel):
    """The weight-normed layer applied twice in forward: its g and v are used twice."""

    def forward(self, x):
        return self.linear(self.linear(x))


class FourWeightsModel(ParameterListModel):
    """The article's ParameterList with four weights, not five."""

    def __init__(self):
        nn.Module.__init__(self)
        self.weights = nn.ParameterList([nn.Parameter(torch.randn(10, 10)) for _ in range(4)])


class ReversedChainModel(ParameterListModel):
    """The article's five weights, multiplied in reverse order."""

    def forward(self, x):
        return chained(x, reversed(self.weights))


class DictWrittenOutOfOrderModel(ParameterDictModel):
    """The article's ParameterDict with its plain dict written weight2, weight1, weight3."""

    WRITTEN = ("weight2", "weight1", "weight3")

    def __init__(self):
        nn.Module.__init__(self)
        self.weights = nn.ParameterDict(
            {k: nn.Parameter(torch.randn(10, 10)) for k in self.WRITTEN}
        )


class SymmetricWeightModel(FunctionalLinearModel):
    """The article's F.linear model with a symmetric weight: x·Wᵀ and x·W are the same product."""

    def __init__(self):
        super().__init__()
        with torch.no_grad():
            self.weight.copy_((self.weight + self.weight.T) / 2)


class ReRaisingArticleModel(nn.Module):
    """The article's model built behind a wrapper that re-raises what it raises as a RuntimeError,
    keeping the message."""

    def __init__(self):
        super().__init__()
        try:
            ArticleWeightNormModel()
        except AttributeError as error:
            raise RuntimeError(f"building MyModel failed: {error}") from error


class NonSquareWeightNormModel(WeightNormModel):
    """Weight norm on a Linear(10, 3): three output rows, so (out, in) and (in, out) differ."""

    def __init__(self):
        nn.Module.__init__(self)
        self.linear = parametrizations.weight_norm(nn.Linear(10, 3, bias=False))


class OneRowWeightNormModel(WeightNormModel):
    """Weight norm with the default dim=0 on a Linear(10, 1): its one row is the whole weight."""

    def __init__(self):
        nn.Module.__init__(self)
        self.linear = parametrizations.weight_norm(nn.Linear(10, 1, bias=False))


class LegacyWholeTensorWeightNormModel(WeightNormModel):
    """The legacy torch.nn.utils.weight_norm with dim=None (weight_g and weight_v)."""

    def __init__(self):
        nn.Module.__init__(self)
        self.linear = legacy_weight_norm(nn.Linear(10, 10, bias=False), dim=None)


class ScalarGain(nn.Module):
    """A hand-written parametrization W = g·v: one scalar gain, the direction left unnormalised."""

    def forward(self, g, v):
        return g * v

    def right_inverse(self, weight):
        return weight.new_ones(()), weight


class RowGainsOverAUnitTensor(nn.Module):
    """A hand-written parametrization W = g·v/‖v‖ with the norm of the whole tensor but one gain per
    output row: the gains scale a unit-norm tensor, yet there are ten of them."""

    def forward(self, g, v):
        return g * v / v.norm()

    def right_inverse(self, weight):
        return weight.norm() * weight.new_ones(weight.shape[0], 1), weight


class ScalarGainModel(WeightNormModel):
    def __init__(self):
        nn.Module.__init__(self)
        self.linear = nn.Linear(10, 10, bias=False)
        parametrize.register_parametrization(self.linear, "weight", ScalarGain())


class RowGainsOverAUnitTensorModel(WeightNormModel):
    def __init__(self):
        nn.Module.__init__(self)
        self.linear = nn.Linear(10, 10, bias=False)
        parametrize.register_parametrization(self.linear, "weight", RowGainsOverAUnitTensor())


class WeightNormRemovedModel(WeightNormModel):
    """Weight norm applied, then removed again (remove_parametrizations): a plain 10×10 weight."""

    def __init__(self):
        super().__init__()
        parametrize.remove_parametrizations(self.linear, "weight")


# --- tools for the checks -------------------------------------------------------------------------


def nothing_shared(model: nn.Module, x: torch.Tensor) -> bool:
    """No Parameter registered under two names, and each used by exactly one call in forward.
    (A Parameter under two names is also counted twice by `parameter_count`: that count adds no
    case of its own.)"""
    return alias_groups(model) == [] and all(
        calls_receiving(p, model, x) == 1 for p in model.parameters()
    )


def chained(x: torch.Tensor, weights: Iterable[torch.Tensor]) -> torch.Tensor:
    for w in weights:
        x = x @ w
    return x


def trained_numbers(model: nn.Module) -> int:
    """What an optimizer given `model.parameters()` trains: each Parameter counted once."""
    return parameter_count(model)["unique"]


# --- claims: ParameterList and ParameterDict ------------------------------------------------------

# Where the article's four tools really live; `torch.nn.modules.utils` has none of them.
HOMES = {
    "ParameterList": (torch.nn,),
    "ParameterDict": (torch.nn,),
    "linear": (F,),
    "weight_norm": (utils, parametrizations),
}

# The helpers `torch.nn.modules.utils` does hold (a counter-case: for them the statement is true).
MODULES_UTILS_HELPERS = {
    "_pair": (torch.nn.modules.utils,),
    "_ntuple": (torch.nn.modules.utils,),
}

# A home given wrongly (a counter-case: the check reads where each tool is, not only where it is not).
WEIGHT_NORM_IN_TORCH_NN = {**HOMES, "weight_norm": (torch.nn,)}


def tools_live_elsewhere(device: torch.device, homes=HOMES) -> bool:
    in_modules_utils = [name for name in homes if hasattr(torch.nn.modules.utils, name)]
    return in_modules_utils == [] and all(
        hasattr(home, name) for name, places in homes.items() for home in places
    )


def list_weights_registered_and_chained(device: torch.device, build=None) -> bool:
    model, x = PARAMETER_LIST_CHAIN.model(device, build=build), PARAMETER_LIST_CHAIN.input(device)
    registered = {id(p) for p in model.parameters()}
    return (
        len(model.weights) == 5
        and {id(w) for w in model.weights} == registered
        # Values: the same products in the same order, so equal to the bit.
        and torch.equal(model(x), chained(x, model.weights))
    )


def list_shares_nothing(device: torch.device, build=None) -> bool:
    model = PARAMETER_LIST_CHAIN.model(device, build=build)
    return nothing_shared(model, PARAMETER_LIST_CHAIN.input(device))


def sharing_trains_fewer_numbers(
    device: torch.device, shared_build=OneWeightFiveTimesModel, build=None
) -> bool:
    """The article's chain with its five uses sharing one weight (`shared_build`) trains fewer numbers
    than with five weights of its own (`build`, the article's): 100 against 500."""
    shared = PARAMETER_LIST_CHAIN.model(device, build=shared_build)
    separate = PARAMETER_LIST_CHAIN.model(device, build=build)
    return trained_numbers(shared) < trained_numbers(separate)


def dict_shares_nothing(device: torch.device, build=None) -> bool:
    model = PARAMETER_DICT_CHAIN.model(device, build=build)
    return nothing_shared(model, PARAMETER_DICT_CHAIN.input(device))


# How a ParameterDict can be given its parameters, from (key, Parameter) pairs. `update` keeps the
# order of an OrderedDict, another ParameterDict or a sequence of pairs, and sorts any other mapping.
def from_plain_dict(pairs: Iterable) -> nn.ParameterDict:
    return nn.ParameterDict(dict(pairs))


def from_read_only_mapping(pairs: Iterable) -> nn.ParameterDict:
    return nn.ParameterDict(MappingProxyType(dict(pairs)))


def from_ordered_dict(pairs: Iterable) -> nn.ParameterDict:
    return nn.ParameterDict(OrderedDict(pairs))


def from_list_of_pairs(pairs: Iterable) -> nn.ParameterDict:
    return nn.ParameterDict(list(pairs))


def one_key_at_a_time(pairs: Iterable) -> nn.ParameterDict:
    parameters = nn.ParameterDict()
    for key, parameter in pairs:
        parameters[key] = parameter
    return parameters


def from_another_parameter_dict(pairs: Iterable) -> nn.ParameterDict:
    return nn.ParameterDict(one_key_at_a_time(pairs))


KEEP_ORDER = (from_ordered_dict, from_list_of_pairs, from_another_parameter_dict, one_key_at_a_time)
SORT_KEYS = (from_plain_dict, from_read_only_mapping)

# Keys inserted out of order; sorted as strings, 'weight10' comes before 'weight2'.
SCRAMBLED_KEYS = ("weight3", "weight1", "weight10", "weight2")
ARTICLE_KEYS = ("weight1", "weight2", "weight3")  # as its dict literal writes them


def keys_in_order(route: Callable[[Iterable], nn.ParameterDict], keys: list[str]) -> list[str]:
    """The keys of the ParameterDict `route` builds from `keys` (in that order), as it iterates them."""
    return list(route((key, nn.Parameter(torch.zeros(1))) for key in keys).keys())


def insertion_order_unless_a_plain_dict(
    device: torch.device,
    insertions=(SCRAMBLED_KEYS, ARTICLE_KEYS),
    keeping=KEEP_ORDER,
    sorting=SORT_KEYS,
    build=None,
    written=ARTICLE_KEYS,
) -> bool:
    """The article's chain runs in the order its dict literal is `written`; and for each key order
    in `insertions` (one out of sorted order, one already sorted), a ParameterDict keeps the order
    the keys were inserted in exactly when the condition says so: built by a route in `keeping`
    (an OrderedDict, a list of pairs, another ParameterDict, one key at a time), or from keys
    already sorted by a route in `sorting` (a plain dict, any mapping but those), which sorts."""
    model, x = PARAMETER_DICT_CHAIN.model(device, build=build), PARAMETER_DICT_CHAIN.input(device)
    # Values: the same products in the same order, so equal to the bit.
    in_written_order = torch.equal(model(x), chained(x, [model.weights[k] for k in written]))
    routes = [(route, True) for route in keeping] + [(route, False) for route in sorting]
    return in_written_order and all(
        (keys_in_order(route, list(keys)) == list(keys)) == (keeps or list(keys) == sorted(keys))
        for keys in insertions
        for route, keeps in routes
    )


# --- claims: F.linear -----------------------------------------------------------------------------


def linear_is_x_times_w_transposed(device: torch.device, build=None) -> bool:
    model, x = FUNCTIONAL_LINEAR.model(device, build=build), FUNCTIONAL_LINEAR.input(device)
    w = model.weight
    # Values: F.linear is the same matmul, equal to the bit (measured: 0.0); x·W is ~11 away, so
    # the default tolerances of allclose only keep a different kernel's rounding from mattering.
    return torch.allclose(model(x), x @ w.T) and not torch.allclose(model(x), x @ w)


def linear_shares_when_given_one_weight_twice(
    device: torch.device, build=None, reused_build=ReusedFunctionalLinearModel
) -> bool:
    """One Parameter passed to several F.linear calls (`reused_build`: two) is shared by them; the
    article's model (`build`) passes its weight once and shares nothing."""
    x = FUNCTIONAL_LINEAR.input(device)
    reused = FUNCTIONAL_LINEAR.model(device, build=reused_build)
    article = FUNCTIONAL_LINEAR.model(device, build=build)
    return calls_receiving(reused.weight, reused, x) > 1 and nothing_shared(article, x)


# --- claims: weight norm --------------------------------------------------------------------------

# `torch.nn.utils.weight_norm` is deprecated from torch 2.1: pytorch/pytorch#103001 ("Add
# parametrization version of weight_norm", merged June 2023, first released in 2.1.0) added
# `torch.nn.utils.parametrizations.weight_norm` and the warning, with a migration guide in the
# function's documentation. It was a UserWarning; pytorch/pytorch#126898 (May 2024) made it a
# FutureWarning through `typing_extensions.deprecated`. Every supported release (2.5 up) warns:
# tests/test_claims_b.py checks it on the installed one.
WARNS_FROM = (2, 1)
DEPRECATION = r"`?torch\.nn\.utils\.weight_norm`? is deprecated"


def legacy_weight_norm(module: nn.Module, name: str = "weight", dim: int | None = 0) -> nn.Module:
    """`torch.nn.utils.weight_norm`, the function the article names, without its deprecation
    warning (a correction cites it; the suite checks that it is still given)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=DEPRECATION)
        return utils.weight_norm(module, name, dim)


def weight_norm_then_removed(module: nn.Module) -> nn.Module:
    """The legacy weight norm applied and removed again (`remove_weight_norm`): a plain weight."""
    return utils.remove_weight_norm(legacy_weight_norm(module))


def magnitude_and_direction(model: WeightNormModel) -> tuple[torch.Tensor, torch.Tensor]:
    """g and v: PyTorch stores them as `original0` and `original1` of the weight's parametrization
    (the legacy function, as `weight_g` and `weight_v`)."""
    layer = model.linear
    if parametrize.is_parametrized(layer, "weight"):
        originals = layer.parametrizations.weight
        return originals.original0, originals.original1
    return layer.weight_g, layer.weight_v


def parametrization_names_and_shapes(device: torch.device, build=None) -> bool:
    model = WEIGHT_NORM.model(device, build=build)
    out_features, in_features = model.linear.out_features, model.linear.in_features
    registered = [(name, tuple(p.shape)) for name, p in model.linear.named_parameters()]
    return registered == [
        ("parametrizations.weight.original0", (out_features, 1)),
        ("parametrizations.weight.original1", (out_features, in_features)),
    ]


# g·v/‖v‖ recomputed by hand differs from the layer's weight by rounding only: at most 6e-8 over
# seeds 0-199 (weights up to ~0.3); the norm taken per column instead moves it by 0.09.
FORMULA_ATOL = 1e-6


def weight_is_g_times_unit_direction(device: torch.device, build=None) -> bool:
    model = WEIGHT_NORM.model(device, build=build)
    g, v = magnitude_and_direction(model)
    rebuilt = g * v / v.norm(dim=1, keepdim=True)
    return torch.allclose(model.linear.weight, rebuilt, rtol=0, atol=FORMULA_ATOL)


# What the article's call raises: the legacy weight_norm treats its argument as a module and reads a
# module attribute from the bare Parameter. (A model that forgets `super().__init__()` also raises an
# AttributeError, with another message: the fragment tells them apart.)
ARTICLE_ERROR, ARTICLE_ERROR_FRAGMENT = AttributeError, "'Parameter' object has no attribute"


def article_weight_norm_error(build=None) -> BaseException | None:
    """The exception the article's model (or `build`) raises when built (None if it builds)."""
    try:
        with seeded(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=DEPRECATION)  # a correction cites it
            (build or ArticleWeightNormModel)()
    except Exception as error:
        return error
    return None


def article_call_raises(device: torch.device, build=None) -> bool:
    error = article_weight_norm_error(build)
    return isinstance(error, ARTICLE_ERROR) and ARTICLE_ERROR_FRAGMENT in str(error)


# ‖W/g‖ is 1 up to rounding: at most 1.2e-7 from 1 over seeds 0-199 with dim=None. One magnitude per
# row of two or more rows puts it at √rows (≥ 1.41); an unnormalised direction at ‖W‖ (1.8 here).
UNIT_NORM_ATOL = 1e-5


def one_scalar_times_a_unit_tensor(model: WeightNormModel) -> bool:
    """W = g·D with g one number and D (what g multiplies) of norm 1 over the whole weight."""
    g, _ = magnitude_and_direction(model)
    direction = model.linear.weight / g
    return g.numel() == 1 and abs(direction.norm().item() - 1) < UNIT_NORM_ATOL


def one_scalar_only_when_dim_is_none(
    device: torch.device, whole=WholeTensorWeightNormModel, per_row=None
) -> bool:
    """`whole`: weight norm with the norm over the whole weight (dim=None); `per_row`: the example's,
    the default dim=0 the article's call takes."""
    return one_scalar_times_a_unit_tensor(
        WEIGHT_NORM.model(device, build=whole)
    ) and not one_scalar_times_a_unit_tensor(WEIGHT_NORM.model(device, build=per_row))


def entries_each_magnitude_scales(model: WeightNormModel) -> list[int]:
    """For each element of g, how many entries of the weight move when it alone is doubled."""
    g, v = magnitude_and_direction(model)
    weight_of = model.linear.parametrizations.weight[0]  # (g, v) -> W
    reached = []
    with torch.no_grad():
        weight = weight_of(g, v)
        for k in range(g.numel()):
            doubled = g.clone()
            doubled.view(-1)[k] *= 2
            reached.append(int((weight_of(doubled, v) != weight).sum()))
    return reached


def one_magnitude_for_every_entry(model: WeightNormModel) -> bool:
    return entries_each_magnitude_scales(model) == [model.linear.weight.numel()]


def shared_by_every_entry_only_when_dim_is_none(
    device: torch.device, whole=WholeTensorWeightNormModel, per_row=None
) -> bool:
    """With dim=None (`whole`) one g scales all 100 entries; with the default dim=0 (`per_row`) each
    of ten scales its own row of 10."""
    return one_magnitude_for_every_entry(
        WEIGHT_NORM.model(device, build=whole)
    ) and not one_magnitude_for_every_entry(WEIGHT_NORM.model(device, build=per_row))


def weight_norm_shares_nothing(device: torch.device, build=None) -> bool:
    return nothing_shared(WEIGHT_NORM.model(device, build=build), WEIGHT_NORM.input(device))


def weight_norm_trains_more_numbers(device: torch.device, build=None) -> bool:
    """More numbers to train than the plain layer's weight: its 100 and ten magnitudes."""
    model = WEIGHT_NORM.model(device, build=build)
    return trained_numbers(model) > model.linear.weight.numel()


# Scaling v changes the output by rounding only when the weight is normalised (measured: at most
# 1.2e-7 of outputs up to ~1.2); a plain weight scaled by 3 moves it by twice its size.
NORMALISED_RTOL = 1e-5


def legacy_function_normalises(device: torch.device, weight_norm=legacy_weight_norm) -> bool:
    """The function the article names, given what its API takes (a module): the direction it trains
    is normalised, so scaling it leaves the layer's output unchanged."""
    with seeded():
        layer = weight_norm(nn.Linear(10, 10, bias=False)).to(device)
    x = WEIGHT_NORM.input(device)
    # The trained tensor of the weight's shape: weight_v under weight norm, the weight without it.
    (direction,) = [p for p in layer.parameters() if p.shape == layer.weight.shape]
    before = layer(x)
    with torch.no_grad():
        direction.mul_(3)
    return torch.allclose(layer(x), before, rtol=NORMALISED_RTOL, atol=0)


# --- the registry entries -------------------------------------------------------------------------

# Where the article says it: its sections are numbered 1-3, after an untitled opening paragraph.
OPENING = "the opening paragraph (权重参数共享是指…)"
LISTS = "section 1, torch.nn.ParameterList和torch.nn.ParameterDict"
LINEAR = "section 2, torch.nn.functional.linear函数"
WEIGHT_NORM_SECTION = "section 3, torch.nn.utils.weight_norm函数"
TOOLS_QUOTE = "PyTorch中通过torch.nn.modules.utils模块提供了几种实现权重参数共享的方法"

PARAMETER_LIST_CHAIN = Example(
    name="parameter_list_chain",
    document=DOCUMENT,
    shows="nn.ParameterList of five 10×10 weights, the input multiplied through all",
    build=ParameterListModel,
    make_input=two_samples_ten_features,
    claims=(
        Claim(
            "registered_and_used",
            "ParameterList stores several weights as a list that the model registers and uses",
            HOLDS,
            list_weights_registered_and_chained,
            counters=(
                counter("the weights in a plain Python list", build=PlainListModel),
                counter("four weights in the list, not five", build=FourWeightsModel),
                counter("the weights multiplied in reverse order", build=ReversedChainModel),
            ),
            quote="使用torch.nn.ParameterList,可以将多个权重参数作为一个列表存储,并在模型中使用",
            place=f"{LISTS}: the sentence before the first MyModel",
            reading="the article's MyModel registers its five weights and multiplies the input "
            "through all of them, in list order",
            reviewed=REVIEWED,
        ),
        Claim(
            "implements_sharing",
            "ParameterList implements weight sharing (实现权重参数共享)",
            FALSE,
            list_shares_nothing,
            counters=(
                counter("one Parameter put in the list five times", build=OneWeightFiveTimesModel),
            ),
            quote=TOOLS_QUOTE,
            place=f"{OPENING}; {LISTS}",
            reading="the article's ParameterList model, presented as a way to share weights, "
            "shares one: a weight used at several places or registered under several names",
            reviewed=REVIEWED,
        ),
        Claim(
            "fewer_parameters",
            "weight sharing, several layers sharing one weight matrix, reduces the number of "
            "parameters to train (减少模型中需要训练的参数数量)",
            HOLDS,
            sharing_trains_fewer_numbers,
            counters=(
                counter(
                    "the article's five weights of their own, nothing shared",
                    shared_build=ParameterListModel,
                ),
            ),
            quote="权重参数共享是指在神经网络中多个层之间共享同一个权重矩阵。"
            "这可以减少模型中需要训练的参数数量",
            place=OPENING,
            reading="of sharing as the article defines it: the article's chain with its five "
            "uses sharing one 10×10 weight trains 100 numbers, with five weights 500. The "
            "article's own four examples share nothing (implements_sharing), so none of them "
            "trains fewer, and weight norm trains more (weight_norm.fewer_parameters)",
            reviewed=REVIEWED,
        ),
        Claim(
            "modules_utils",
            "ParameterList, ParameterDict, F.linear and weight_norm are provided by "
            "torch.nn.modules.utils",
            FALSE,
            tools_live_elsewhere,
            counters=(
                counter(
                    "the helpers modules.utils does hold (_pair, _ntuple)",
                    homes=MODULES_UTILS_HELPERS,
                ),
                counter("weight_norm looked for in torch.nn", homes=WEIGHT_NORM_IN_TORCH_NN),
            ),
            quote=TOOLS_QUOTE,
            place=f"{OPENING}, and the title and the closing sentence",
            reading="the four tools the article presents are found in torch.nn.modules.utils",
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "the article places these tools in torch.nn.modules.utils; they live in torch.nn, "
        "torch.nn.functional and torch.nn.utils(.parametrizations)",
        "the article presents ParameterList as a way to share weights; its five weights are "
        "independent parameters, each used once",
    ),
)

PARAMETER_DICT_CHAIN = Example(
    name="parameter_dict_chain",
    document=DOCUMENT,
    shows="nn.ParameterDict weight1…weight3, chained in iteration order",
    build=ParameterDictModel,
    make_input=two_samples_ten_features,
    claims=(
        Claim(
            "insertion_order",
            "the weights are chained in the order they were put into the ParameterDict",
            HOLDS_ONLY_WHEN,
            insertion_order_unless_a_plain_dict,
            counters=(
                counter(
                    "the article's dict literal written weight2, weight1, weight3",
                    build=DictWrittenOutOfOrderModel,
                    written=DictWrittenOutOfOrderModel.WRITTEN,
                ),
                counter(
                    "a plain dict counted among the ways that keep the order",
                    keeping=(from_plain_dict,),
                ),
                counter(
                    "a read-only mapping (MappingProxyType) counted among those that keep it",
                    keeping=(from_read_only_mapping,),
                ),
                counter(
                    "a list of (key, Parameter) pairs counted among the sorted ones",
                    sorting=(from_list_of_pairs,),
                ),
                counter(
                    "another ParameterDict counted among the sorted ones",
                    sorting=(from_another_parameter_dict,),
                ),
                counter(
                    "an OrderedDict counted among the sorted ones", sorting=(from_ordered_dict,)
                ),
                counter(
                    "keys set one at a time counted among the sorted ones",
                    sorting=(one_key_at_a_time,),
                ),
            ),
            condition=(
                "the parameters are not given through a plain dict (or any mapping but an "
                "OrderedDict or a ParameterDict), or are put in it in sorted key order: such a "
                "mapping is taken in sorted key order ('weight10' before 'weight2'), so keys "
                "inserted already sorted keep their order, others do not; an OrderedDict, another "
                "ParameterDict, a list of (key, Parameter) pairs or keys set one at a time keep "
                "any order given; the article's plain dict writes weight1…weight3 sorted, so its "
                "chain runs in the order written"
            ),
            quote="for name, w in self.weights.items():",
            place=f"{LISTS}: the ParameterDict MyModel's forward",
            reading="what the article's code relies on, not a sentence of it: the chain "
            "multiplies the weights in the order its dict literal writes them",
            reviewed=REVIEWED,
        ),
        Claim(
            "implements_sharing",
            "ParameterDict implements weight sharing (实现权重参数共享)",
            FALSE,
            dict_shares_nothing,
            counters=(
                counter("one Parameter under all three keys", build=OneWeightThreeKeysModel),
            ),
            quote=TOOLS_QUOTE,
            place=f"{OPENING}; {LISTS}",
            reading="the article's ParameterDict model, presented as a way to share weights, "
            "shares one: a weight used at several places or registered under several names",
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "the article presents ParameterDict as a way to share weights; its three weights are "
        "independent parameters, each used once",
        "iteration order is sorted key order for a plain dict, not insertion order",
    ),
)

FUNCTIONAL_LINEAR = Example(
    name="functional_linear",
    document=DOCUMENT,
    shows="a Parameter(randn(10,10)) used through F.linear",
    build=FunctionalLinearModel,
    make_input=two_samples_ten_features,
    claims=(
        Claim(
            "x_times_w_transposed",
            "F.linear(x, weight) is the linear transformation of x by the weight matrix: x·Wᵀ",
            HOLDS,
            linear_is_x_times_w_transposed,
            counters=(
                counter("torch.mm(x, weight) in place of F.linear", build=MatmulModel),
                counter("F.linear given a bias as well: x·Wᵀ + b", build=LinearWithBiasModel),
                counter("a symmetric weight: x·Wᵀ and x·W agree", build=SymmetricWeightModel),
            ),
            quote="torch.nn.functional.linear函数可以实现线性变换,其参数包括输入和权重矩阵",
            place=f"{LINEAR}, its first sentence",
            reading="F.linear(x, W) maps x linearly by W; which product it is (x·Wᵀ) the "
            "reference adds",
            reviewed=REVIEWED,
        ),
        Claim(
            "implements_sharing",
            "by sharing the weight matrix, F.linear implements weight sharing between several "
            "layers (通过共享权重矩阵,可以在多个层之间实现权重参数共享): one Parameter passed to "
            "several F.linear calls is shared by them",
            HOLDS,
            linear_shares_when_given_one_weight_twice,
            counters=(
                counter(
                    "the article's model passing its weight to F.linear twice",
                    build=ReusedFunctionalLinearModel,
                ),
                counter(
                    "the article's model with its weight registered under a second name",
                    build=WeightUnderTwoNamesModel,
                ),
                counter(
                    "the weight passed to one F.linear call only",
                    reused_build=FunctionalLinearModel,
                ),
            ),
            quote="通过共享权重矩阵,可以在多个层之间实现权重参数共享",
            place=f"{LINEAR}, its second sentence",
            reading="F.linear layers given one weight matrix share it; the article's own model "
            "gives its weight to one call and shares nothing (a correction)",
            reviewed=REVIEWED,
        ),
    ),
    corrections=("the article's model uses its weight once: it shows F.linear, not sharing",),
)

WEIGHT_NORM_SPLIT_QUOTE = "该函数将权重矩阵分解为一个标量的权重和一个单位范数的向量"

WEIGHT_NORM = Example(
    name="weight_norm",
    document=DOCUMENT,
    shows="weight normalisation, applied the correct way: "
    "torch.nn.utils.parametrizations.weight_norm on a Linear",
    build=WeightNormModel,
    make_input=two_samples_ten_features,
    claims=(
        Claim(
            "parametrization",
            "weight norm splits the weight into a magnitude g (out, 1) and a direction v "
            "(out, in), stored as parametrizations.weight.original0 and original1",
            HOLDS,
            parametrization_names_and_shapes,
            counters=(
                counter(
                    "weight norm with dim=None: g is one scalar", build=WholeTensorWeightNormModel
                ),
                counter(
                    "the legacy function: weight_g and weight_v",
                    build=LegacyWholeTensorWeightNormModel,
                ),
            ),
            quote=WEIGHT_NORM_SPLIT_QUOTE,
            place=f"{WEIGHT_NORM_SECTION}, its second sentence",
            reading="the reference's account, beside the article's sentence, of the split with "
            "the default dim=0 the article's call takes: what g and v are and where PyTorch "
            "stores them",
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "weight_formula",
            "the weight is g·v/‖v‖, the norm taken per output row",
            HOLDS,
            weight_is_g_times_unit_direction,
            counters=(
                counter("the norm taken per input column (dim=1)", build=PerColumnWeightNormModel),
            ),
            quote=WEIGHT_NORM_SPLIT_QUOTE,
            place=f"{WEIGHT_NORM_SECTION}, its second sentence",
            reading="the reference's account of the split with the default dim=0: a unit-norm "
            "direction per output row, scaled by that row's magnitude",
            reviewed=REVIEWED,
            finding=True,
        ),
        Claim(
            "article_call",
            "utils.weight_norm(self.weight) applies weight norm to a bare Parameter",
            FALSE,
            article_call_raises,
            counters=(
                counter(
                    "the legacy call given a Linear, as its API wants", build=LegacyWeightNormModel
                ),
                counter(
                    "a model that forgets super().__init__(): another AttributeError",
                    build=ForgetsModuleInitModel,
                ),
                counter(
                    "the article's model behind a wrapper that re-raises a RuntimeError",
                    build=ReRaisingArticleModel,
                ),
            ),
            quote="self.weight = utils.weight_norm(self.weight)",
            place=f"{WEIGHT_NORM_SECTION}: its MyModel's __init__",
            reading="the article's model builds: the call normalises the Parameter it is given",
            reviewed=REVIEWED,
        ),
        Claim(
            "scalar_and_unit_vector",
            "weight norm splits the weight matrix into one scalar weight and one unit-norm vector "
            "(一个标量的权重和一个单位范数的向量): W = g·v/‖v‖ with g a single number",
            HOLDS_ONLY_WHEN,
            one_scalar_only_when_dim_is_none,
            counters=(
                counter("the default dim=0 taken for dim=None", whole=WeightNormModel),
                counter("dim=None taken for the default dim=0", per_row=WholeTensorWeightNormModel),
                counter("one gain, the direction not normalised (W = g·v)", whole=ScalarGainModel),
                counter(
                    "a gain per row over a unit-norm tensor", whole=RowGainsOverAUnitTensorModel
                ),
            ),
            condition=(
                "the norm is taken over the whole weight, dim=None (or the weight has one row): "
                "then g is one scalar of shape () and v/‖v‖ has norm 1; with the default dim=0, "
                "which the article's call takes, there is a scalar and a unit vector per output "
                "row, ten for its 10×10 weight (the per-neuron form of the weight-norm paper)"
            ),
            quote=WEIGHT_NORM_SPLIT_QUOTE,
            place=f"{WEIGHT_NORM_SECTION}, its second sentence",
            reading="the whole weight matrix is written as one scalar times one tensor of norm 1",
            reviewed=REVIEWED,
        ),
        Claim(
            "shared_scalar",
            "the scalar weight is shared (其中标量权重是共享的): one g scales every entry of "
            "the weight",
            HOLDS_ONLY_WHEN,
            shared_by_every_entry_only_when_dim_is_none,
            counters=(
                counter("the default dim=0 taken for dim=None", whole=WeightNormModel),
                counter("dim=None taken for the default dim=0", per_row=WholeTensorWeightNormModel),
            ),
            condition=(
                "dim=None (or the weight has one row): one g then scales all 100 entries of the "
                "article's weight; with the default dim=0 each of its ten magnitudes scales its "
                "own row of 10"
            ),
            quote="其中标量权重是共享的",
            place=f"{WEIGHT_NORM_SECTION}, its second sentence",
            reading="the one scalar is common to every entry of the weight it scales",
            literal="shared as the article's opening defines sharing (several layers using one "
            "weight): false, g belongs to this one layer and is used by it alone "
            "(implements_sharing)",
            reviewed=REVIEWED,
        ),
        Claim(
            "implements_sharing",
            "weight norm achieves the effect of parameter sharing (实现参数共享的效果)",
            FALSE,
            weight_norm_shares_nothing,
            counters=(
                counter("the weight-normed layer applied twice", build=WeightNormUsedTwiceModel),
            ),
            quote="torch.nn.utils.weight_norm函数可以对权重进行归一化,实现参数共享的效果",
            place=f"{WEIGHT_NORM_SECTION}, its first sentence",
            reading="the weight-normed layer shares a parameter, in the article's sense: one "
            "weight used at several places or registered under several names",
            reviewed=REVIEWED,
        ),
        Claim(
            "fewer_parameters",
            "weight norm, presented as a way to share, reduces the number of parameters to train "
            "(减少模型中需要训练的参数数量)",
            FALSE,
            weight_norm_trains_more_numbers,
            counters=(
                counter(
                    "weight norm removed again (remove_parametrizations)",
                    build=WeightNormRemovedModel,
                ),
            ),
            quote="这可以减少模型中需要训练的参数数量",
            place=f"{OPENING}, said of sharing, which section 3 says weight norm achieves",
            reading="weight norm, one of the article's ways to share, leaves fewer numbers to "
            "train than the layer without it",
            reviewed=REVIEWED,
        ),
        Claim(
            "legacy_function",
            "torch.nn.utils.weight_norm, the function the article names, normalises the weight "
            "(可以对权重进行归一化): given a module, it trains a direction whose scale does not "
            "change the layer",
            HOLDS,
            legacy_function_normalises,
            counters=(
                counter(
                    "weight norm applied and removed again (remove_weight_norm)",
                    weight_norm=weight_norm_then_removed,
                ),
            ),
            quote="torch.nn.utils.weight_norm函数可以对权重进行归一化",
            place=f"{WEIGHT_NORM_SECTION}, its first sentence",
            reading="the function normalises the weight of the module it is given (its API); "
            "the article's own call, on a bare Parameter, raises (article_call)",
            reviewed=REVIEWED,
        ),
    ),
    corrections=(
        "the article calls utils.weight_norm on a bare Parameter, which raises: weight_norm takes "
        "a module and the name of its parameter; the reference applies "
        "torch.nn.utils.parametrizations.weight_norm to a Linear",
        f"the legacy torch.nn.utils.weight_norm is deprecated from torch "
        f"{WARNS_FROM[0]}.{WARNS_FROM[1]} (pytorch/pytorch#103001) and warns on every supported "
        "release; the reference uses torch.nn.utils.parametrizations.weight_norm",
        "with the default dim=0 the magnitude g is one value per output row (shape (out, 1)), "
        "not one scalar: only dim=None gives one, and it belongs to this one layer",
        "weight norm trains more numbers than the plain layer, not fewer: 110 for the article's "
        "10×10 weight (v's 100 and g's 10, one per output row) where the layer trains 100",
    ),
)

EXAMPLES = (PARAMETER_LIST_CHAIN, PARAMETER_DICT_CHAIN, FUNCTIONAL_LINEAR, WEIGHT_NORM)
