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
  at several places; weight norm reparametrizes one layer's weight.
- `utils.weight_norm(self.weight)`: weight_norm takes a *module* and the name of one of its
  parameters; given a bare Parameter it raises. The reference applies
  `torch.nn.utils.parametrizations.weight_norm` to a Linear (the old `torch.nn.utils.weight_norm` is
  deprecated since torch 2.1).
- "标量权重是共享的" (the scalar weight is shared): g holds one magnitude per output row, and
  belongs to this one layer.
- A ParameterDict built from a plain dict is iterated in *sorted* key order, not insertion order:
  the article's `weight1`…`weight3` happen to be sorted, so its chain runs in the order written.
- "提高模型的泛化能力和训练效率" (improves generalisation and training efficiency) is not judged:
  no small, cheap experiment settles it, and none of these four models shares a parameter anyway.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

import torch
import torch.nn.modules.utils
import torch.nn.utils as utils
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations

from .example import FALSE, HOLDS, HOLDS_ONLY_WHEN, Claim, Example, counter
from .probes import calls_receiving
from .releases import torch_release
from .seeding import seeded
from .tying import alias_groups, parameter_count

DOCUMENT = "004_437a7907a92ead85.txt"


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


# --- tools for the checks -------------------------------------------------------------------------


def nothing_shared(model: nn.Module, x: torch.Tensor) -> bool:
    """No alias groups, every parameter counted once, and each used by exactly one call in forward."""
    counts = parameter_count(model)
    return (
        alias_groups(model) == []
        and counts["unique"] == counts["total"]
        and all(calls_receiving(p, model, x) == 1 for p in model.parameters())
    )


def chained(x: torch.Tensor, weights) -> torch.Tensor:
    for w in weights:
        x = x @ w
    return x


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
        and torch.allclose(model(x), chained(x, model.weights))
    )


def list_shares_nothing(device: torch.device, build=None) -> bool:
    model = PARAMETER_LIST_CHAIN.model(device, build=build)
    return nothing_shared(model, PARAMETER_LIST_CHAIN.input(device))


def dict_shares_nothing(device: torch.device, build=None) -> bool:
    model = PARAMETER_DICT_CHAIN.model(device, build=build)
    return nothing_shared(model, PARAMETER_DICT_CHAIN.input(device))


# Keys inserted out of order; sorted as strings, 'weight10' comes before 'weight2'.
SCRAMBLED_KEYS = ("weight3", "weight1", "weight10", "weight2")


def dict_order_is_sorted_for_plain_dicts(device: torch.device, inserted=SCRAMBLED_KEYS) -> bool:
    """The article's chain runs weight1, weight2, weight3; a plain dict is sorted by key (as strings),
    while an OrderedDict, or keys set one at a time, keep insertion order.
    """
    model, x = PARAMETER_DICT_CHAIN.model(device), PARAMETER_DICT_CHAIN.input(device)
    w = model.weights
    article_chain_in_written_order = torch.allclose(
        model(x), chained(x, [w["weight1"], w["weight2"], w["weight3"]])
    )
    inserted = list(inserted)
    plain = nn.ParameterDict({k: nn.Parameter(torch.zeros(1)) for k in inserted})
    ordered = nn.ParameterDict(OrderedDict((k, nn.Parameter(torch.zeros(1))) for k in inserted))
    one_at_a_time = nn.ParameterDict()
    for k in inserted:
        one_at_a_time[k] = nn.Parameter(torch.zeros(1))
    return (
        article_chain_in_written_order
        and list(plain.keys()) == sorted(inserted)  # 'weight10' before 'weight2'
        and list(plain.keys()) != inserted
        and list(ordered.keys()) == inserted
        and list(one_at_a_time.keys()) == inserted
    )


# --- claims: F.linear -----------------------------------------------------------------------------


def linear_is_x_times_w_transposed(device: torch.device, build=None) -> bool:
    model, x = FUNCTIONAL_LINEAR.model(device, build=build), FUNCTIONAL_LINEAR.input(device)
    w = model.weight
    return torch.allclose(model(x), x @ w.T) and not torch.allclose(model(x), x @ w)


def linear_shares_only_when_reused(device: torch.device, build=None) -> bool:
    x = FUNCTIONAL_LINEAR.input(device)
    article = FUNCTIONAL_LINEAR.model(device, build=build)
    with seeded():
        reused = ReusedFunctionalLinearModel().to(device)
    return (
        nothing_shared(article, x)
        and calls_receiving(article.weight, article, x) == 1
        and calls_receiving(reused.weight, reused, x) == 2
    )


# --- claims: weight norm --------------------------------------------------------------------------

# `torch.nn.utils.weight_norm` warns from torch 2.1: pytorch/pytorch#103001 ("Add parametrization
# version of weight_norm", June 2023) added the deprecation in favour of
# `torch.nn.utils.parametrizations.weight_norm` (the 2.1 docs carry the warning and migration
# guide). It was a UserWarning; pytorch/pytorch#126898 (May 2024) turned it into a FutureWarning
# through `typing_extensions.deprecated`. The check asks only whether it warns.
WARNS_FROM = (2, 1)


def magnitude_and_direction(model: WeightNormModel) -> tuple[torch.Tensor, torch.Tensor]:
    """g and v: PyTorch stores them as `original0` and `original1` of the weight's parametrization."""
    originals = model.linear.parametrizations.weight
    return originals.original0, originals.original1


def parametrization_names_and_shapes(device: torch.device, build=None) -> bool:
    model = WEIGHT_NORM.model(device, build=build)
    out_features, in_features = model.linear.out_features, model.linear.in_features
    names = [name for name, _ in model.linear.named_parameters()]
    g, v = magnitude_and_direction(model)
    return (
        names == ["parametrizations.weight.original0", "parametrizations.weight.original1"]
        and g.shape == (out_features, 1)
        and v.shape == (out_features, in_features)
    )


def weight_is_g_times_unit_direction(device: torch.device, build=None) -> bool:
    model = WEIGHT_NORM.model(device, build=build)
    g, v = magnitude_and_direction(model)
    rebuilt = g * v / v.norm(dim=1, keepdim=True)
    return torch.allclose(model.linear.weight, rebuilt)


# What the article's call raises: the legacy weight_norm treats its argument as a module and reads a
# module attribute from the bare Parameter. (A model that forgets `super().__init__()` also raises an
# AttributeError, with another message: the fragment tells them apart.)
ARTICLE_ERROR, ARTICLE_ERROR_FRAGMENT = AttributeError, "'Parameter' object has no attribute"


def article_weight_norm_error(build=None) -> BaseException | None:
    """The exception the article's model (or `build`) raises when built (None if it builds)."""
    try:
        with seeded(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation warning is judged by its own claim
            (build or ArticleWeightNormModel)()
    except Exception as error:
        return error
    return None


def article_call_raises(device: torch.device, build=None) -> bool:
    error = article_weight_norm_error(build)
    return isinstance(error, ARTICLE_ERROR) and ARTICLE_ERROR_FRAGMENT in str(error)


def magnitude_is_per_row_not_one_scalar(device: torch.device, build=None) -> bool:
    """One magnitude per output row, and they differ. (Only `dim=None` gives one scalar for the whole
    tensor; the article calls with the default, `dim=0`.)
    """
    model = WEIGHT_NORM.model(device, build=build)
    g, _ = magnitude_and_direction(model)
    return g.numel() == model.linear.out_features > 1 and g.unique().numel() > 1


def weight_norm_shares_nothing(device: torch.device, build=None) -> bool:
    return nothing_shared(WEIGHT_NORM.model(device, build=build), WEIGHT_NORM.input(device))


def first_warning_release() -> tuple[int, int]:
    """A counter-case for the release: 2.1, the first release whose legacy weight_norm warns."""
    return WARNS_FROM


def legacy_weight_norm_warns(device: torch.device, weight_norm=None, release=torch_release) -> bool:
    """`weight_norm`: the function called (the legacy `torch.nn.utils.weight_norm` by default);
    `release`: the torch release the expectation is taken for (the installed one by default)."""
    with seeded():
        layer = nn.Linear(10, 10).to(device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (weight_norm or utils.weight_norm)(layer)
    warned = any("deprecated" in str(w.message) for w in caught)
    return warned == (release() >= WARNS_FROM)


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
            counters=(counter("the weights in a plain Python list", build=PlainListModel),),
        ),
        Claim(
            "implements_sharing",
            "ParameterList implements weight sharing (实现权重参数共享)",
            FALSE,
            list_shares_nothing,
            counters=(
                counter("one Parameter put in the list five times", build=OneWeightFiveTimesModel),
            ),
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
            ),
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
            dict_order_is_sorted_for_plain_dicts,
            counters=(
                counter(
                    "keys inserted already sorted (the article's weight1…weight3)",
                    inserted=("weight1", "weight2", "weight3"),
                ),
            ),
            condition=(
                "the parameters come as an OrderedDict or are set one key at a time: a plain dict "
                "is iterated in sorted key order ('weight10' before 'weight2'); the article's "
                "weight1…weight3 happen to be sorted already"
            ),
        ),
        Claim(
            "implements_sharing",
            "ParameterDict implements weight sharing (实现权重参数共享)",
            FALSE,
            dict_shares_nothing,
            counters=(
                counter("one Parameter under all three keys", build=OneWeightThreeKeysModel),
            ),
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
            ),
        ),
        Claim(
            "implements_sharing",
            "passing a weight matrix to F.linear shares it between layers (在多个层之间实现权重参数共享)",
            HOLDS_ONLY_WHEN,
            linear_shares_only_when_reused,
            counters=(
                counter(
                    "the article's model passing its weight to F.linear twice",
                    build=ReusedFunctionalLinearModel,
                ),
                counter(
                    "the article's model with its weight registered under a second name",
                    build=WeightUnderTwoNamesModel,
                ),
            ),
            condition=(
                "the same Parameter is passed to F.linear at more than one place: the article's "
                "model passes it once and shares nothing"
            ),
        ),
    ),
    corrections=("the article's model uses its weight once: it shows F.linear, not sharing",),
)

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
            ),
        ),
        Claim(
            "weight_formula",
            "the weight is g·v/‖v‖, the norm taken per output row",
            HOLDS,
            weight_is_g_times_unit_direction,
            counters=(
                counter("the norm taken per input column (dim=1)", build=PerColumnWeightNormModel),
            ),
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
            ),
        ),
        Claim(
            "shared_scalar",
            "weight norm splits the weight into a scalar weight and a unit-norm vector, "
            "the scalar weight being shared (标量权重是共享的)",
            FALSE,
            magnitude_is_per_row_not_one_scalar,
            counters=(
                counter(
                    "weight norm with dim=None: one magnitude", build=WholeTensorWeightNormModel
                ),
                counter(
                    "an identity weight: every row of norm 1, one magnitude ten times",
                    build=EqualRowNormsModel,
                ),
            ),
        ),
        Claim(
            "implements_sharing",
            "weight norm achieves the effect of parameter sharing (实现参数共享的效果)",
            FALSE,
            weight_norm_shares_nothing,
            counters=(
                counter("the weight-normed layer applied twice", build=WeightNormUsedTwiceModel),
            ),
        ),
        Claim(
            "legacy_function",
            "torch.nn.utils.weight_norm, the function the article calls, is current API "
            "(calling it gives no warning)",
            HOLDS_ONLY_WHEN,
            legacy_weight_norm_warns,
            counters=(
                counter(
                    "the current parametrizations.weight_norm in its place",
                    weight_norm=parametrizations.weight_norm,
                ),
                counter(
                    "the current parametrizations.weight_norm, judged for torch 2.1 (warns from 2.1)",
                    weight_norm=parametrizations.weight_norm,
                    release=first_warning_release,
                ),
            ),
            condition=(
                "torch < 2.1: from 2.1 it is deprecated in favour of "
                "torch.nn.utils.parametrizations.weight_norm and warns on every call"
            ),
        ),
    ),
    corrections=(
        "the article calls utils.weight_norm on a bare Parameter, which raises: weight_norm takes "
        "a module and the name of its parameter; the reference applies "
        "torch.nn.utils.parametrizations.weight_norm to a Linear",
        "the legacy torch.nn.utils.weight_norm is deprecated (torch >= 2.1); the reference uses "
        "torch.nn.utils.parametrizations.weight_norm",
        "the magnitude g is one value per output row (shape (out, 1)), not a shared scalar",
    ),
)

EXAMPLES = (PARAMETER_LIST_CHAIN, PARAMETER_DICT_CHAIN, FUNCTIONAL_LINEAR, WEIGHT_NORM)
