"""Seeding and determinism, in one place.

Every model is built inside `seeded()`, which forks the global RNG, seeds it and restores it on exit,
so building one example never changes what another one draws. Inputs come from an explicit
`torch.Generator` made by `generator()`, on the CPU, and are then moved to the device: the same seed
gives the same numbers on every device.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

SEED = 0


def configure_determinism() -> None:
    """Deterministic kernels, no TF32, one CPU thread. Must run before CUDA starts (cuBLAS reads the
    env var once).

    One intra-op thread: the models here are tiny, so a second thread only adds synchronisation,
    and on a busy machine (or under `pytest -n`, whose workers already fill the cores) waiting for
    it made training 3 to 10 times slower. Measured: every example's summary, output and trace are
    bit-identical with one thread and with two.
    """
    torch.set_num_threads(1)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = False


@contextlib.contextmanager
def seeded(seed: int = SEED) -> Iterator[None]:
    """Run the body with the CPU RNG seeded to `seed`; the caller's RNG state is untouched after."""
    with torch.random.fork_rng(devices=[]):
        seed_generators(seed)
        yield


def seed_generators(seed: int) -> None:
    """`torch.manual_seed(seed)` where CUDA can start; the CPU generator alone where it cannot.

    Without CUDA, torch.manual_seed still queues the seeding of CUDA (and XPU and MTIA) for a start
    that never comes, and records the caller's stack for it each time; the suite seeds often enough
    for that to show in its time.
    """
    if torch.cuda.is_available():
        torch.manual_seed(seed)
    else:
        torch.default_generator.manual_seed(seed)


def generator(seed: int = SEED) -> torch.Generator:
    """A CPU generator for inputs and data, independent of the global RNG."""
    return torch.Generator().manual_seed(seed)


def available_devices() -> list[str]:
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return devices
