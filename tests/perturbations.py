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

import functools
import os
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
    )
}


def activate_from_environment() -> Perturbation | None:
    """Apply the perturbation named by REFERENCE_PERTURB, if any (call before any test runs)."""
    name = os.environ.get(VARIABLE)
    if not name:
        return None
    try:
        perturbation = PERTURBATIONS[name]
    except KeyError:
        raise SystemExit(
            f"{VARIABLE}={name!r} is not a perturbation; known: {', '.join(PERTURBATIONS)}"
        ) from None
    for variable, value in perturbation.environment.items():
        if os.environ.get(variable) != value:
            raise SystemExit(
                f"{VARIABLE}={name} needs {variable}={value} set before Python starts "
                "(torch reads it when it loads)"
            )
    perturbation.apply()
    return perturbation
