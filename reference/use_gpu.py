"""d2l, 深度学习计算 · use-gpu: English edition §6.7 GPUs: which device to compute on.

`try_gpu` and `try_all_gpus` are the book's helpers: use a GPU when there is one and fall back to
the CPU, so the same code runs on a laptop and on a machine with several GPUs. `count` is the number
of CUDA devices to assume; it defaults to what torch sees, and passing it shows what the helpers do
on a machine with zero, one or several GPUs without needing one.
"""

from __future__ import annotations

import torch


def cpu() -> torch.device:
    return torch.device("cpu")


def gpu(i: int = 0) -> torch.device:
    return torch.device(f"cuda:{i}")


def num_gpus() -> int:
    return torch.cuda.device_count()


def try_gpu(i: int = 0, count: int | None = None) -> torch.device:
    """GPU i if it exists, otherwise the CPU."""
    if i < 0:
        raise ValueError(f"a GPU index is 0 or more, got {i}")
    if count is None:
        count = num_gpus()
    return gpu(i) if i < count else cpu()


def try_all_gpus(count: int | None = None) -> list[torch.device]:
    """Every GPU, or [cpu] when there is none."""
    if count is None:
        count = num_gpus()
    return [gpu(i) for i in range(count)] or [cpu()]
