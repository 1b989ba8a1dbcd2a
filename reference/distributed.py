"""Shared gradients under DistributedDataParallel: two CPU processes on gloo, checked against one.

A tied parameter under DDP is still one parameter: its gradient is the sum of its uses on each
rank, and DDP averages it across ranks like any other. With the batch split evenly between the
ranks and a mean loss, the average of the ranks' gradients is the gradient one process gets on the
whole batch. `gradients_on_two_processes()` returns what each rank has after one backward;
`single_process_gradients()` what one process has.

How the processes start: the caller binds port 0 on 127.0.0.1 to find a free port, then
`torch.multiprocessing.start_processes(..., start_method="forkserver")` forks the two ranks from a
server process that imports torch, this package and the compiler stack DDP touches
(`RANK_IMPORTS`) once and does nothing else: the ranks inherit those imports and no state of the
caller (not a fork of the caller itself: a test runner has threads and sockets of its own). Where
there is no forkserver (Windows) they are spawned. Each joins one gloo process group over
`tcp://127.0.0.1:<port>` with gloo bound to the loopback interface, runs every check in that one
group, writes its results into a temporary folder, and leaves the group. The caller waits at most
`timeout` seconds; past it, it ends both processes and raises `TimeoutError`.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch

from .registry import get
from .tying import alias_groups

MODELS = ("tied_sequential", "tied_embeddings")
WORLD_SIZE = 2

# What the forkserver imports before it forks the ranks: a spawned rank paid for these itself, and
# DistributedDataParallel's constructor imports torch._dynamo (several seconds per process).
RANK_IMPORTS = ["reference.distributed", "torch._dynamo", "torch.nn.parallel"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_interface() -> str | None:
    """The loopback interface's name ('lo' on Linux, 'lo0' on macOS), for gloo to bind to."""
    names = [name for _, name in socket.if_nameindex()]
    return next((n for n in ("lo", "lo0") if n in names), None)


def batch_of(name: str, rank: int | None = None) -> torch.Tensor:
    """The example's input; with a rank, that rank's equal share of it (split along the batch)."""
    x = get(name).input()
    return x if rank is None else x.chunk(WORLD_SIZE)[rank]


def gradients_of(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def single_process_gradients(name: str) -> dict[str, torch.Tensor]:
    """One process, the whole batch, the mean of the output as the loss."""
    model = get(name).model()
    model(batch_of(name)).mean().backward()
    return gradients_of(model)


def worker(rank: int, world_size: int, port: int, folder: str) -> None:
    """One rank: for each model, DDP over the example, one backward on this rank's share."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)  # two processes share the machine's cores
    interface = loopback_interface()
    if interface and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = interface
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=60),
    )
    try:
        results = {}
        for name in MODELS:
            model = get(name).model()
            # Keep the wrapper alive through backward: its reducer's hooks all-reduce the gradients.
            ddp_model = DistributedDataParallel(model)
            ddp_model(batch_of(name, rank)).mean().backward()
            results[name] = {"gradients": gradients_of(model), "alias_groups": alias_groups(model)}
        torch.save(results, Path(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def rank_start_method() -> str:
    """How the ranks start: from the forkserver, its imports set (they take effect when this
    process starts its server), or spawned where there is no forkserver."""
    import torch.multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return "spawn"
    mp.set_forkserver_preload(RANK_IMPORTS)
    return "forkserver"


def start_rank_server() -> None:
    """Start the forkserver now: it imports `RANK_IMPORTS` in the background, on another core, and
    `gradients_on_two_processes()` finds it ready. Optional; a no-op where there is no forkserver.
    """
    from multiprocessing import forkserver

    if rank_start_method() == "forkserver":
        forkserver.ensure_running()


def gradients_on_two_processes(timeout: float = 120.0) -> list[dict]:
    """Each rank's {model: {"gradients": ..., "alias_groups": ...}}, in rank order."""
    import torch.multiprocessing as mp

    start_method = rank_start_method()
    with tempfile.TemporaryDirectory() as folder:
        context = mp.start_processes(
            worker,
            args=(WORLD_SIZE, free_port(), folder),
            nprocs=WORLD_SIZE,
            join=False,
            start_method=start_method,
        )
        deadline = time.monotonic() + timeout
        try:
            while not context.join(timeout=max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"the {WORLD_SIZE} processes did not finish in {timeout} s")
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
                    process.join(5)
        return [torch.load(Path(folder, f"rank{r}.pt")) for r in range(WORLD_SIZE)]
