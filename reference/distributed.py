"""Shared gradients under DistributedDataParallel: two CPU processes on gloo, checked against one.

A tied parameter under DDP is still one parameter: its gradient is the sum of its uses on each
rank, and DDP averages it across ranks like any other. With the batch split evenly between the
ranks and a mean loss, the average of the ranks' gradients is the gradient one process gets on the
whole batch. `gradients_on_two_processes()` returns what each rank has after one backward;
`single_process_gradients()` what one process has.

How the processes start (`start_method()`): forked from this process where that is safe. A forked
rank starts with every module this process has imported, torch and the compiler stack that DDP's
constructor imports among them, instead of importing them again: the costliest part of a start. A
fork copies only the thread that calls it: a lock that another
thread holds at that moment stays locked for ever in the child, and CUDA cannot be used in a forked
child at all. So the ranks are forked only on Linux from a process that has one thread (counted by
the kernel, native threads included: numpy's OpenBLAS pool counts, which is why the suite caps it at
one thread) and has not started CUDA. Elsewhere on Linux (a pytest-xdist worker has a thread of its
own) they come from a forkserver: a fresh single-threaded process that imports torch once and forks
both ranks, and serves later calls too. On other systems they are
spawned, as fresh interpreters. Each joins one gloo process group through a file in a fresh
temporary folder (no port is chosen in advance, so suites running side by side on one machine cannot
take each other's), with gloo bound to the loopback interface, runs every check in that one group,
writes its results into that folder, and leaves the group. The caller waits at most `timeout`
seconds (`DEADLINE_S`); past it, it kills both processes and raises `TimeoutError`. The test that
calls it gives pytest a longer limit than that, so that its own deadline is the one that fires and
the ranks are killed: pytest-timeout's way on Windows (a thread that ends the process with
`os._exit`) runs no `finally` and would leave them running.
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch

from .registry import get
from .tying import alias_groups

MODELS = ("tied_sequential", "tied_embeddings")
WORLD_SIZE = 2
# How long the caller waits for both ranks. Measured with the ranks spawned (as macOS and Windows
# start them; REFERENCE_START_METHOD=spawn) on the project's 2-core machine while other suites ran
# beside it: 23 to 30 s under -n 0 at a load of 11 to 17 (four runs), 45 s under -n 2 at a load of
# 16 to 18, the most seen. Twice the most seen, so that a slow runner passes and a hang still fails
# well before CI's job limit. The ranks' gloo group waits as long.
DEADLINE_S = 90.0


def loopback_interface() -> str | None:
    """The loopback interface's name ('lo' on Linux, 'lo0' on macOS), for gloo to bind to."""
    names = [name for _, name in socket.if_nameindex()]
    return next((n for n in ("lo", "lo0") if n in names), None)


def gloo_on_loopback() -> None:
    """Bind gloo to the loopback interface unless the caller chose one (GLOO_SOCKET_IFNAME):
    otherwise gloo resolves the host's name, which is slow or fails on some CI runners (macOS)."""
    interface = loopback_interface()
    if interface and "GLOO_SOCKET_IFNAME" not in os.environ:
        os.environ["GLOO_SOCKET_IFNAME"] = interface


def join_gloo_group(rank: int, world_size: int, folder: str, timeout: float) -> None:
    """Join a gloo group that meets through a file in `folder`, on the loopback interface; a rank
    waits on its peers `timeout` seconds at most."""
    import torch.distributed as dist

    gloo_on_loopback()
    dist.init_process_group(
        "gloo",
        init_method=Path(folder, "rendezvous").resolve().as_uri(),
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=timeout),
    )


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


def worker(rank: int, world_size: int, folder: str, timeout: float = DEADLINE_S) -> None:
    """One rank: for each model, DDP over the example, one backward on this rank's share."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)  # two processes share the machine's cores
    join_gloo_group(rank, world_size, folder, timeout)  # never waits on its peer past the deadline
    try:
        results = {}
        for name in MODELS:
            model = get(name).model()
            # Keep the wrapper alive through backward: its reducer's hooks all-reduce the gradients.
            ddp_model = DistributedDataParallel(model)
            ddp_model(batch_of(name, rank)).mean().backward()
            # ...and not a moment longer: a wrapper that outlives destroy_process_group is torn
            # down with the function's frame, and that teardown hung forked ranks (their main
            # thread waiting on gloo's threads) within seven runs, twice in two tries. Released
            # here, 300 runs of 300 finished.
            del ddp_model
            results[name] = {"gradients": gradients_of(model), "alias_groups": alias_groups(model)}
        torch.save(results, Path(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def threads_of_this_process() -> int | None:
    """How many threads the kernel counts in this process (native ones too); None where /proc does
    not say (not Linux)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


# Names a start method to use instead of the choice below: `spawn` runs the ranks as macOS and
# Windows do (the suite's portability env sets it).
START_METHOD_VARIABLE = "REFERENCE_START_METHOD"


def start_method() -> str:
    """`fork` where a forked child is safe (Linux, one thread, no CUDA); elsewhere on Linux
    `forkserver`, whose server process imports torch once for both ranks; `spawn` on other systems.
    REFERENCE_START_METHOD, where set, wins.
    """
    if chosen := os.environ.get(START_METHOD_VARIABLE):
        if chosen not in ("fork", "forkserver", "spawn"):
            raise ValueError(
                f"{START_METHOD_VARIABLE}={chosen!r}: expected fork, forkserver or spawn"
            )
        return chosen
    if sys.platform != "linux":
        return "spawn"
    if threads_of_this_process() == 1 and not torch.cuda.is_initialized():
        return "fork"
    return "forkserver"


def gradients_on_two_processes(timeout: float = DEADLINE_S) -> list[dict]:
    """Each rank's {model: {"gradients": ..., "alias_groups": ...}}, in rank order; past `timeout`
    seconds both ranks are killed and `TimeoutError` says so."""
    import torch.multiprocessing as mp

    # What the ranks import before they start: torch, this module and the compiler stack that DDP's
    # constructor imports, once for both ranks, not once per rank.
    preload = ["torch", "torch._dynamo", __name__]
    method = start_method()
    if method == "fork":
        for module in preload:
            importlib.import_module(module)
    elif method == "forkserver":  # the server starts with the first forkserver process
        mp.set_forkserver_preload(preload)

    with tempfile.TemporaryDirectory() as folder:
        context = mp.start_processes(
            worker,
            args=(WORLD_SIZE, folder, timeout),
            nprocs=WORLD_SIZE,
            join=False,
            start_method=method,
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
        # Tensors, lists and strings only: the safe loader reads them (and torch 2.5 asks for it).
        return [
            torch.load(Path(folder, f"rank{r}.pt"), weights_only=True) for r in range(WORLD_SIZE)
        ]
