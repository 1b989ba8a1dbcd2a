"""Named changes to PyTorch's behaviour or to the machine, applied to a fresh process.

Two kinds:
- `benign`: what a user's machine or a new release brings without anything really changing (another
  CPU's kernels, one thread, one float32 ulp on a layer's output). The suite must stay green.
- `catching`: the smallest real changes the suite exists to catch (a learning rate 1% off, an
  initialiser's scale 1% off, one weight moved by a relative 1e-3, a shared parameter stepped twice).
  The suite must fail.

`REFERENCE_PERTURB=NAME` makes `tests/conftest.py` apply one before any test runs; `environment` is
what the fresh process must be started with (ISA and thread settings are read when torch loads).
The calibration command (`tools/calibrate.py`) measures every snapshot under each of them.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import os
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

VARIABLE = "REFERENCE_PERTURB"
BENIGN, CATCHING = "benign", "catching"


@dataclass(frozen=True)
class Perturbation:
    name: str
    kind: str
    what: str
    apply: Callable[[], None] = lambda: None
    environment: dict[str, str] = field(default_factory=dict)


def _nothing() -> None:
    pass


def _one_thread() -> None:
    torch.set_num_threads(1)


def _one_ulp_on_linear_outputs() -> None:
    """Every F.linear result moved one float32 ulp up: what a kernel that rounds otherwise gives."""
    linear = torch.nn.functional.linear

    @functools.wraps(linear)
    def nudged(*args, **kwargs):
        out = linear(*args, **kwargs)
        return torch.nextafter(out, torch.full_like(out, float("inf")))

    torch.nn.functional.linear = nudged


def _scale_keyword(cls: type, keyword: str, position: int, factor: float) -> None:
    """`cls(...)` built with `keyword` (also given positionally at `position`) times `factor`."""
    init = cls.__init__

    @functools.wraps(init)
    def scaled(self, *args, **kwargs):
        if len(args) > position:
            args = (*args[:position], args[position] * factor, *args[position + 1 :])
        else:
            defaults = {"lr": 1e-3, "delta": 1.0}
            kwargs[keyword] = kwargs.get(keyword, defaults[keyword]) * factor
        init(self, *args, **kwargs)

    cls.__init__ = scaled


def _scaled_initialisers(factor: float) -> None:
    """Default and normal initialisers draw `factor` times wider: a release changing a default scale."""
    for name in ("kaiming_uniform_", "normal_", "uniform_", "xavier_uniform_"):
        original = getattr(nn.init, name)

        def scaled(tensor, *args, _original=original, **kwargs):
            result = _original(tensor, *args, **kwargs)
            with torch.no_grad():
                tensor.mul_(factor)
            return result

        setattr(nn.init, name, scaled)


def _one_linear_weight_moved(relative: float) -> None:
    """The first weight of every freshly initialised Linear moved by a relative `relative`."""
    reset = nn.Linear.reset_parameters

    def moved(self):
        reset(self)
        with torch.no_grad():
            self.weight.view(-1)[0] *= 1 + relative

    nn.Linear.reset_parameters = moved


def _parameters_with_duplicates() -> None:
    """`Module.parameters()` no longer deduplicates: an optimizer steps a shared parameter per name."""

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse, remove_duplicate=False):
            yield param

    nn.Module.parameters = parameters


# --- plausible changes a PyTorch release could bring (the mutation harness, tools/mutants.py) -----


def _keyword_default(cls: type, keyword: str, value) -> None:
    """`cls(...)` built without `keyword` gets `value`: a release changing a default."""
    init = cls.__init__

    @functools.wraps(init)
    def changed(self, *args, **kwargs):
        kwargs.setdefault(keyword, value)
        init(self, *args, **kwargs)

    cls.__init__ = changed


def _kaiming_without_sqrt5() -> None:
    """Linear and Conv draw their default weights with kaiming's a=0 instead of a=sqrt(5)."""
    kaiming = nn.init.kaiming_uniform_

    def without_sqrt5(tensor, a=0.0, *args, **kwargs):
        return kaiming(tensor, 0.0 if math.isclose(a, math.sqrt(5)) else a, *args, **kwargs)

    nn.init.kaiming_uniform_ = without_sqrt5


def _padding_row_gets_gradient() -> None:
    """F.embedding ignores padding_idx in backward: the padding row receives a gradient. (Not the
    initial zeroing: the document's `Embedding` zeroes that row itself, so the reference cannot see
    torch's own zeroing change.)"""
    embedding = torch.nn.functional.embedding

    @functools.wraps(embedding)
    def without_padding(input, weight, padding_idx=None, *args, **kwargs):
        return embedding(input, weight, None, *args, **kwargs)

    torch.nn.functional.embedding = without_padding


def _optimizer_zero_grad_does_nothing() -> None:
    torch.optim.Optimizer.zero_grad = lambda self, set_to_none=True: None


def _named_parameters_reversed() -> None:
    named_parameters = nn.Module.named_parameters

    def reversed_order(self, *args, **kwargs):
        return iter(list(named_parameters(self, *args, **kwargs))[::-1])

    nn.Module.named_parameters = reversed_order


def _rewrite_top_level_state_dict(rewrite) -> None:
    """nn.Module.state_dict returns `rewrite(module, result)` where a caller asked for it; the
    recursive calls that build a parent's dict are left alone."""
    state_dict = nn.Module.state_dict

    def rewritten(self, *args, **kwargs):
        result = state_dict(self, *args, **kwargs)
        if args or kwargs.get("destination") is not None:
            return result  # a recursive call building its parent's dict
        return rewrite(self, result)

    nn.Module.state_dict = rewritten


def _state_dict_sorted() -> None:
    """The top-level state_dict in alphabetical key order instead of registration order."""

    def sorted_keys(_module, result):
        ordered = type(result)(sorted(result.items()))
        ordered._metadata = getattr(result, "_metadata", None)
        return ordered

    _rewrite_top_level_state_dict(sorted_keys)


def _state_dict_drops_aliases() -> None:
    """state_dict lists a shared parameter under its first name only (as safetensors wants it)."""

    def first_names_only(module, result):
        first = {name for name, _ in module.named_parameters()}
        every = {name for name, _ in module.named_parameters(remove_duplicate=False)}
        for alias in every - first:
            result.pop(alias, None)
        return result

    _rewrite_top_level_state_dict(first_names_only)


def _parameter_assignment_copies() -> None:
    """Assigning a Parameter to a module registers a copy of it (a tie by assignment is lost)."""
    register = nn.Module.register_parameter

    def copying(self, name, param):
        if param is not None:
            param = nn.Parameter(param.detach().clone(), requires_grad=param.requires_grad)
        register(self, name, param)

    nn.Module.register_parameter = copying


def _sequential_copies_its_modules() -> None:
    """nn.Sequential stores a copy of each module given to it (a module reused twice is two)."""
    init = nn.Sequential.__init__

    def copying(self, *args):
        copies = tuple(copy.deepcopy(a) if isinstance(a, nn.Module) else a for a in args)
        init(self, *copies)

    nn.Sequential.__init__ = copying


def _deepcopy_forgets_shared_parameters() -> None:
    """copy.deepcopy of a module copies each module's own parameters afresh: a Parameter assigned to
    two modules becomes two (modules themselves are still copied once)."""

    def deepcopy(self, memo):
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key == "_parameters":
                value = {
                    name: None if p is None else nn.Parameter(p.detach().clone(), p.requires_grad)
                    for name, p in value.items()
                }
            else:
                value = copy.deepcopy(value, memo)
            object.__setattr__(clone, key, value)
        return clone

    nn.Module.__deepcopy__ = deepcopy


def _load_state_dict_assigns() -> None:
    load = nn.Module.load_state_dict

    def assigning(self, state_dict, strict=True, assign=True):
        return load(self, state_dict, strict=strict, assign=assign)

    nn.Module.load_state_dict = assigning


def _load_unpickles_by_default() -> None:
    """torch.load's default back to weights_only=False (the flip of 2.6 reverted)."""
    load = torch.load

    @functools.wraps(load)
    def unpickling(*args, **kwargs):
        kwargs.setdefault("weights_only", False)
        return load(*args, **kwargs)

    torch.load = unpickling


def _rand_stream_mirrored() -> None:
    """torch.rand gives 1 - u for the u it gave: another mapping of the generator's bits."""
    rand = torch.rand

    @functools.wraps(rand)
    def mirrored(*args, **kwargs):
        return 1 - rand(*args, **kwargs)

    torch.rand = mirrored


def _randperm_reversed() -> None:
    """torch.randperm (the DataLoader's shuffle) gives another permutation for the same seed."""
    randperm = torch.randperm

    @functools.wraps(randperm)
    def reversed_permutation(*args, **kwargs):
        return randperm(*args, **kwargs).flip(0)

    torch.randperm = reversed_permutation


def _data_loader_ignores_generator() -> None:
    """A DataLoader given a generator shuffles with the global RNG instead."""
    from torch.utils.data import DataLoader

    _without_keyword(DataLoader, "generator")


def _without_keyword(cls: type, keyword: str) -> None:
    init = cls.__init__

    @functools.wraps(init)
    def dropped(self, *args, **kwargs):
        kwargs.pop(keyword, None)
        init(self, *args, **kwargs)

    cls.__init__ = dropped


class _SeedsOneHigher:
    """A generator whose manual_seed(s) seeds s + 1; everything else is the generator's own."""

    def __init__(self, generator: torch.Generator):
        self._generator = generator

    def manual_seed(self, seed: int) -> torch.Generator:
        return self._generator.manual_seed(seed + 1)

    def __getattr__(self, name: str):
        return getattr(self._generator, name)


def _manual_seed_offset() -> None:
    """Seeding with s seeds s + 1: a change of how a seed becomes the generator's state, by both
    ways `seeding.seed_generators` seeds (torch.manual_seed, the CPU generator's own)."""
    manual_seed = torch.manual_seed
    torch.manual_seed = lambda seed: manual_seed(seed + 1)
    torch.default_generator = _SeedsOneHigher(torch.default_generator)


# --- the reference's own past breaks: each must fail the suite ------------------------------------


def _patch_everywhere(attribute: str, original, replacement) -> None:
    """Replace `attribute` in every reference module that imported `original` under that name."""
    import reference  # noqa: F401  (loads every topic module)

    for name, module in list(sys.modules.items()):
        if name.startswith("reference") and getattr(module, attribute, None) is original:
            setattr(module, attribute, replacement)


def _article_model_without_super_init() -> None:
    from reference import sharing_article

    def init(self):
        self.weight = nn.Parameter(torch.randn(10, 10))
        self.weight = nn.utils.weight_norm(self.weight)

    sharing_article.ArticleWeightNormModel.__init__ = init


def _seeded_without_fork_rng() -> None:
    from reference import seeding

    @contextlib.contextmanager
    def seeded(seed: int = seeding.SEED):
        torch.manual_seed(seed)
        yield

    _patch_everywhere("seeded", seeding.seeded, seeded)


def _parallel_data_ignores_seed() -> None:
    from reference import parallel_modules, seeding

    generator = parallel_modules.generator
    parallel_modules.generator = lambda seed=seeding.SEED: generator(seeding.SEED)


def _my_init_draws_unit_range() -> None:
    from reference import parameters

    def my_init(m):
        if type(m) == nn.Linear:  # noqa: E721
            nn.init.uniform_(m.weight, -1, 1)
            m.weight.data *= m.weight.data.abs() >= 5

    parameters.my_init = my_init


def _centered_over_wrong_dim() -> None:
    from reference import custom_layer

    custom_layer.CenteredLayer.forward = lambda self, X: X - X.mean(dim=0)


def _training_optimizers_with_duplicates() -> None:
    """The training examples build their optimizer from named_parameters(remove_duplicate=False)."""
    from reference import construction_exercises, parallel_modules

    def with_duplicates(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse, remove_duplicate=False))

    parallel_modules.SharedWeightNet.parameters = with_duplicates
    build = construction_exercises.shared_regression_net

    def shared_regression_net():
        net = build()
        net.parameters = types.MethodType(with_duplicates, net)
        return net

    construction_exercises.shared_regression_net = shared_regression_net


def _relu_after_shared_layer() -> None:
    from reference import parallel_modules

    cls = parallel_modules.SharedWeightNet
    init = cls.__init__

    def with_relu(self):
        init(self)
        self.net2 = nn.Sequential(self.shared_linear, nn.ReLU(), *list(self.net2)[1:])

    cls.__init__ = with_relu


def _tied_sequential_loses_its_tie() -> None:
    import reference

    example = reference.get("tied_sequential")
    build = example.build

    def untied():
        net = build()
        net[4] = copy.deepcopy(net[4])
        return net

    object.__setattr__(example, "build", untied)


# The smallest real changes, which tools/calibrate.py measures to set the tolerances. The harness
# (tools/mutants.py) reports them apart from the catching perturbations held out of calibration:
# that a tolerance set from a change catches that change is circular.
CALIBRATION_SIGNAL = (
    "sgd_lr_1pct",
    "adam_lr_1pct",
    "huber_delta_1pct",
    "init_scale_1pct",
    "one_weight_1e-3",
    "shared_stepped_per_name",
)

PERTURBATIONS: dict[str, Perturbation] = {
    p.name: p
    for p in (
        Perturbation("none", BENIGN, "nothing changed (the reference run)", _nothing),
        Perturbation(
            "isa_default",
            BENIGN,
            "another CPU: ATen's generic (non-vectorised) kernels",
            environment={"ATEN_CPU_CAPABILITY": "default"},
        ),
        Perturbation(
            "isa_avx2",
            BENIGN,
            "another CPU: ATen's AVX2 kernels",
            environment={"ATEN_CPU_CAPABILITY": "avx2"},
        ),
        Perturbation(
            "one_thread",
            BENIGN,
            "one intra-op thread (reductions split otherwise)",
            _one_thread,
            environment={"OMP_NUM_THREADS": "1"},
        ),
        Perturbation(
            "ulp_linear",
            BENIGN,
            "every F.linear output one float32 ulp higher",
            _one_ulp_on_linear_outputs,
        ),
        Perturbation(
            "sgd_lr_1pct",
            CATCHING,
            "SGD's learning rate 1% higher",
            lambda: _scale_keyword(torch.optim.SGD, "lr", 1, 1.01),
        ),
        Perturbation(
            "adam_lr_1pct",
            CATCHING,
            "Adam's learning rate 1% higher",
            lambda: _scale_keyword(torch.optim.Adam, "lr", 1, 1.01),
        ),
        Perturbation(
            "huber_delta_1pct",
            CATCHING,
            "HuberLoss's delta 1% higher",
            lambda: _scale_keyword(nn.HuberLoss, "delta", 1, 1.01),
        ),
        Perturbation(
            "init_scale_1pct",
            CATCHING,
            "the default and normal initialisers draw 1% wider",
            lambda: _scaled_initialisers(1.01),
        ),
        Perturbation(
            "one_weight_1e-3",
            CATCHING,
            "one weight of every Linear moved by a relative 1e-3",
            lambda: _one_linear_weight_moved(1e-3),
        ),
        Perturbation(
            "shared_stepped_per_name",
            CATCHING,
            "parameters() keeps duplicates: a shared parameter is stepped once per name",
            _parameters_with_duplicates,
        ),
        # What a release could change in PyTorch's defaults, bookkeeping, copying and random streams.
        Perturbation(
            "linear_init_a0",
            CATCHING,
            "Linear/Conv default init: kaiming_uniform_ with a=0, not a=sqrt(5)",
            _kaiming_without_sqrt5,
        ),
        Perturbation(
            "padding_row_gradient",
            CATCHING,
            "Embedding(padding_idx=...)'s padding row receives a gradient",
            _padding_row_gets_gradient,
        ),
        Perturbation(
            "mse_sum",
            CATCHING,
            "MSELoss's default reduction 'sum' instead of 'mean'",
            lambda: _keyword_default(nn.MSELoss, "reduction", "sum"),
        ),
        Perturbation(
            "adam_betas",
            CATCHING,
            "Adam's default betas (0.9, 0.99) instead of (0.9, 0.999)",
            lambda: _keyword_default(torch.optim.Adam, "betas", (0.9, 0.99)),
        ),
        Perturbation(
            "zero_grad_noop",
            CATCHING,
            "Optimizer.zero_grad does nothing: gradients accumulate",
            _optimizer_zero_grad_does_nothing,
        ),
        Perturbation(
            "named_parameters_reversed",
            CATCHING,
            "named_parameters (and parameters) in reverse registration order",
            _named_parameters_reversed,
        ),
        Perturbation(
            "state_dict_sorted",
            CATCHING,
            "state_dict keys sorted alphabetically, not in registration order",
            _state_dict_sorted,
        ),
        Perturbation(
            "state_dict_first_names",
            CATCHING,
            "state_dict lists a shared parameter under its first name only",
            _state_dict_drops_aliases,
        ),
        Perturbation(
            "parameter_assignment_copies",
            CATCHING,
            "assigning a Parameter to a module registers a copy",
            _parameter_assignment_copies,
        ),
        Perturbation(
            "sequential_copies",
            CATCHING,
            "nn.Sequential stores a copy of each module it is given",
            _sequential_copies_its_modules,
        ),
        Perturbation(
            "deepcopy_unties",
            CATCHING,
            "copy.deepcopy copies a Parameter once per reference",
            _deepcopy_forgets_shared_parameters,
        ),
        Perturbation(
            "load_assigns",
            CATCHING,
            "load_state_dict's default assign=True (tensors replaced, not copied into)",
            _load_state_dict_assigns,
        ),
        Perturbation(
            "load_unpickles",
            CATCHING,
            "torch.load's default weights_only=False again",
            _load_unpickles_by_default,
        ),
        Perturbation(
            "rand_stream",
            CATCHING,
            "torch.rand maps the generator's bits otherwise (1 - u)",
            _rand_stream_mirrored,
        ),
        Perturbation(
            "randperm_stream",
            CATCHING,
            "torch.randperm (the DataLoader's shuffle) permutes otherwise",
            _randperm_reversed,
        ),
        Perturbation(
            "loader_ignores_generator",
            CATCHING,
            "DataLoader shuffles with the global RNG, ignoring its generator",
            _data_loader_ignores_generator,
        ),
        Perturbation(
            "manual_seed_offset",
            CATCHING,
            "seeding with s (torch.manual_seed, the CPU generator's) gives the state of s + 1",
            _manual_seed_offset,
        ),
        # The reference's own breaks that once passed the whole suite.
        Perturbation(
            "article_no_super_init",
            CATCHING,
            "the weight_norm article model without super().__init__() (raises another error)",
            _article_model_without_super_init,
        ),
        Perturbation(
            "seeded_no_fork",
            CATCHING,
            "seeded() seeds the global RNG without fork_rng",
            _seeded_without_fork_rng,
        ),
        Perturbation(
            "parallel_data_unseeded",
            CATCHING,
            "parallel_modules' training data drawn at seed 0 whatever the seed",
            _parallel_data_ignores_seed,
        ),
        Perturbation(
            "my_init_unit_range",
            CATCHING,
            "my_init draws U(-1, 1) (so zeroes every weight)",
            _my_init_draws_unit_range,
        ),
        Perturbation(
            "centered_dim0",
            CATCHING,
            "CenteredLayer subtracts each column's mean (dim 0), not the mean of all",
            _centered_over_wrong_dim,
        ),
        Perturbation(
            "train_with_duplicates",
            CATCHING,
            "the training examples' optimizers get named_parameters(remove_duplicate=False)",
            _training_optimizers_with_duplicates,
        ),
        Perturbation(
            "net2_relu",
            CATCHING,
            "SharedWeightNet's net2 gets a ReLU after the shared layer",
            _relu_after_shared_layer,
        ),
        Perturbation(
            "tie_lost",
            CATCHING,
            "tied_sequential's second use becomes a copy (the example loses its tie)",
            _tied_sequential_loses_its_tie,
        ),
    )
}


def named_in_environment() -> Perturbation | None:
    """The perturbation REFERENCE_PERTURB names, if any. ValueError, saying which, for an unknown
    name or a variable it needs that is not set."""
    name = os.environ.get(VARIABLE)
    if not name:
        return None
    try:
        perturbation = PERTURBATIONS[name]
    except KeyError:
        raise ValueError(
            f"{VARIABLE}={name!r} is not a perturbation; known: {', '.join(PERTURBATIONS)}"
        ) from None
    for variable, value in perturbation.environment.items():
        if os.environ.get(variable) != value:
            raise ValueError(
                f"{VARIABLE}={name} needs {variable}={value} set before Python starts "
                "(torch reads it when it loads)"
            )
    return perturbation


def activate_from_environment() -> Perturbation | None:
    """Apply the perturbation named by REFERENCE_PERTURB, if any (call before any test runs)."""
    perturbation = named_in_environment()
    if perturbation is not None:
        perturbation.apply()
    return perturbation
