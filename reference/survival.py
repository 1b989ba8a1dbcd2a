"""The tying survival table: which PyTorch operations keep a tie, measured on the installed torch.

A tie is two names bound to one `Parameter` object. Some operations keep the binding; others split
it, silently: the two names then hold two objects, which either still share one storage (an
optimizer then updates that storage once per object) or are separate copies (they drift apart in
training). `table()` builds each tied model (`survival_models.MODELS`), applies each operation
(`survival_cases.OPERATIONS`) and looks: every row is the outcome of running the operation, nothing
is written by hand. `python -m reference survival [--json]` prints it (`survival_render.py`).

A row: `operation`, `model`, and
- `outcome`: on an operation's row `tied` (one object), `split, shared` (two objects over one
  storage) or `split` (two separate tensors); on its "+ SGD step" row `once`, `twice` (the shared
  storage took two updates) or `apart` (the names moved as separate copies); `raises` where it
  raised; `not installed: pip install …` where it (or torch, for it, on the installed release)
  needs an absent optional package (`Operation.needs`);
- `tied_after`, `storage_shared`: the two facts the outcome is read from (null where it raised);
- `same_values`: the two names hold equal values (None after an operation that leaves two separate
  tensors of uninitialised memory: their values are chance);
- `promised_values`: the first name holds what the operation promises (the values it had, the ones
  loaded or handed in, converted where it converts; null where it promises none); on a step row,
  every name took exactly one update;
- `updates`: on a step row, how many updates each name took;
- `error`: `Type: phrase` for a known exception (`survival_cases.KNOWN_ERRORS`, which cites why),
  `Type: first sentence of the message` for one the table has not met before.

Rows named "… + SGD step" run the operation, zero every tensor an optimizer would be handed, give
each a gradient of ones and take one `SGD(lr=1)` step: each update moves a value by exactly 1, so
the move counts the updates.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.util
import os
import platform
import re
import sys
import time
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date

import torch

from .distributed import gloo_on_loopback, join_gloo_group
from .memory import memory_footprint, saved_to_memory
from .releases import torch_release
from .survival_cases import OPERATIONS, STEP, Operation, known_error, operation
from .survival_models import MODELS, TiedModel, tied_model
from .survival_operations import Result

__all__ = ["MODELS", "OPERATIONS", "STEP", "operation", "rows_of", "table", "tied_model"]

# --- what an operation leaves ---------------------------------------------------------------------


def local(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor itself, or the local shard of a DTensor (what fully_shard leaves)."""
    return tensor.to_local() if hasattr(tensor, "to_local") else tensor


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """One storage under both. On meta there is no memory (every data pointer is 0): one storage
    is one object there."""
    a, b = local(a), local(b)
    if a.is_meta or b.is_meta:
        return a.untyped_storage()._cdata == b.untyped_storage()._cdata
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def whole(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor's values: a DTensor's full tensor where it is sharded over several ranks (every
    rank calls this in the same order), its local shard in a group of one."""
    import torch.distributed as dist

    if hasattr(tensor, "full_tensor") and dist.is_initialized() and dist.get_world_size() > 1:
        return tensor.full_tensor()
    return local(tensor)


def same_values(a: torch.Tensor, b: torch.Tensor) -> bool | None:
    """Equal values through both names; the same memory read the same way is equal even where it
    holds NaN (to_empty leaves uninitialised memory).
    """
    a, b = whole(a).detach(), whole(b).detach()
    view = (a.shape, a.stride(), a.storage_offset(), a.dtype)
    if a.is_meta or b.is_meta:
        # No values on meta: one view of one storage reads the same; anything else is unknown.
        same_view = view == (b.shape, b.stride(), b.storage_offset(), b.dtype)
        return True if same_view and same_storage(a, b) else None
    if (a.data_ptr(), a.shape, a.stride(), a.dtype) == (b.data_ptr(), b.shape, b.stride(), b.dtype):
        return True
    return a.shape == b.shape and torch.equal(a.double(), b.double())


def outcome_of(result: Result, op: Operation, tied: TiedModel) -> dict:
    first, second = result.ends
    tied_after, shared = first is second, same_storage(first, second)
    promised = None
    if op.promise is not None:
        before = tied.tensor(tied.model(), tied.names[0]).detach()
        expected = op.promise(before)
        found = whole(first).detach()
        promised = found.dtype == expected.dtype and torch.equal(found, expected)
    return {
        "outcome": "tied" if tied_after else ("split, shared" if shared else "split"),
        "tied_after": tied_after,
        "storage_shared": shared,
        # Uninitialised memory in two separate tensors is equal or not by chance (found: one row
        # flipped between runs on torch 2.13): no fact to record.
        "same_values": None if op.uninitialised and not shared else same_values(first, second),
        "promised_values": promised,
        **({} if result.visits is None else {"visits": count_label(result.visits)}),
        **({} if result.signature is None else {"signature": result.signature}),
        **({} if result.backend is None else {"backend": result.backend}),
    }


COUNT_WORDS = {1: "once", 2: "twice"}


def count_label(count: int) -> str:
    return COUNT_WORDS.get(count, f"{count} times")


def step_label(shared: bool, updates: list[int]) -> str:
    if not shared:
        return "apart"
    return COUNT_WORDS.get(updates[0], "moved {}/{}".format(*updates))


def outcome_of_one_step(result: Result) -> dict:
    """Zero every trainable tensor, give it a gradient of ones and take one SGD(lr=1) step: each
    update moves a value from 0 to -1, so minus the value after the step counts the updates.
    """
    first, second = result.ends
    with torch.no_grad():
        for tensor in result.trainable:
            tensor.zero_()  # known values: to_empty leaves uninitialised memory
            tensor.grad = torch.ones_like(tensor)
    torch.optim.SGD(result.trainable, lr=1.0).step()
    updates = [round(-local(t).detach().double().mean().item()) for t in result.ends]
    shared = same_storage(first, second)
    return {
        "outcome": step_label(shared, updates),
        "tied_after": shared and updates == [1, 1],
        "storage_shared": shared,
        "same_values": same_values(first, second),
        "promised_values": updates == [1, 1],
        "updates": updates,
    }


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
MEMORY_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def error_text(error: BaseException) -> str:
    """`Type: phrase` for a known error (the phrase every measured release's message holds);
    otherwise `Type: first sentence`, stable across runs (no addresses, no temporary paths, and
    nothing after the first ': ', where messages list sets in arbitrary order).
    """
    type_name = type(error).__name__
    known = known_error(type_name, ANSI_ESCAPE.sub("", str(error)))
    if known:
        return known.text
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = MEMORY_ADDRESS.sub("0x…", ANSI_ESCAPE.sub("", lines[0])) if lines else ""
    first = re.split(r"\. |: ", first, maxsplit=1)[0].rstrip(".:")
    return f"{type_name}: {first}" if first else type_name


def raised(error: BaseException) -> dict:
    """A row that raised: the error, and what the operation measured before it (`row_facts`: an
    export's signature; for the pipeline row, what each order of a set gave)."""
    facts = {
        key: "; ".join(f"{k}: {fact_text(v)}" for k, v in value.items())
        if isinstance(value, dict)
        else value
        for key, value in getattr(error, "row_facts", {}).items()
    }
    return {"outcome": "raises", "error": error_text(error), **facts}


def fact_text(value) -> str:
    return error_text(value) if isinstance(value, BaseException) else str(value)


# --- running an operation -------------------------------------------------------------------------


def stdout_to_stderr() -> contextlib.AbstractContextManager[None]:
    """Send what is written to file descriptor 1 to 2 for the body: gloo's C++ side prints
    "[Gloo] Rank 0 is connected to 0 peer ranks" on stdout in some releases (2.8-2.10), which
    `contextlib.redirect_stdout` cannot see and which would corrupt `survival --json`.
    """
    return file_descriptor_1_to(2)


@contextlib.contextmanager
def file_descriptor_1_to(target: int) -> Iterator[None]:
    """What is written to file descriptor 1 (C and C++ write there, not to `sys.stdout`) goes to
    the file descriptor `target` for the body; flushed before and after, so nothing crosses over."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(target, 1)
        yield
    finally:
        flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def flush_c_stdio() -> None:
    """Flush C's stdout buffer, so that nothing written during the body leaks out after it."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def process_group_of_one() -> Iterator[None]:
    """A gloo process group of one process, in memory (no port): enough for DDP and fully_shard to
    run; the group is destroyed after. An existing group is used as it is.
    """
    import torch.distributed as dist

    if dist.is_initialized():
        yield
        return
    gloo_on_loopback()
    # init_process_group wraps sys.excepthook to prefix "[rank0]: " to every traceback line, and
    # destroying the group leaves it wrapped: one prefix more per group, for the process's life.
    excepthook = sys.excepthook
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()
        sys.excepthook = excepthook


def missing_packages(op: Operation) -> list[str]:
    """What to pip install for `op` on the installed release: its requirements whose module is
    absent, each named once."""
    needed = op.needed_on(torch_release())
    return list(dict.fromkeys(r.pip for r in needed if importlib.util.find_spec(r.module) is None))


def outcomes(op: Operation, tied: TiedModel) -> tuple[dict, dict | None]:
    """Run `op` on a fresh `tied` model: the outcome, then (where the operation leaves something to
    train) the outcome of one optimizer step after it. An operation on several ranks runs in
    processes of its own (`on_ranks`), unless this is one of them.
    """
    import torch.distributed as dist

    missing = missing_packages(op)
    if missing:
        absent = {"outcome": f"not installed: pip install {' '.join(missing)}"}
        return absent, (absent if op.trains else None)
    if op.ranks > 1 and not dist.is_initialized():
        return on_ranks(op, (tied,))[tied.name]
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # the table records outcomes; deprecation notes are noise
        if op.needs_process_group:
            stack.enter_context(stdout_to_stderr())
            stack.enter_context(process_group_of_one())
        try:
            result = op.run(tied)
        except Exception as error:
            failed = raised(error)
            return failed, (failed if op.trains else None)
        found = outcome_of(result, op, tied)
        if not op.trains:
            return found, None
        try:
            return found, outcome_of_one_step(result)
        except Exception as error:
            return found, raised(error)


ROW_KEYS = (
    "outcome",
    "tied_after",
    "storage_shared",
    "same_values",
    "promised_values",
    "updates",
    "error",
)


# Facts only some operations record (visits: a visiting operation; signature: an export; backend:
# a compile whose backend depends on the machine; set_orders: a pipeline row whose outcome depends on
# a set's order): the other rows stay as they were.
FACT_KEYS = ("visits", "signature", "backend", "set_orders")


def row(op: Operation, then_step: bool, tied: TiedModel, found: dict) -> dict:
    return {
        "operation": op.name + (STEP if then_step else ""),
        "model": tied.name,
        **{key: found.get(key) for key in ROW_KEYS},
        **{key: found[key] for key in FACT_KEYS if key in found and not then_step},
    }


@functools.cache
def kept_outcomes(operation_name: str, model_name: str) -> tuple[dict, dict | None]:
    """`outcomes` of an operation marked `once`: a compile costs more than every other row
    together, and the suite asks for each compile row twice (its row, the command's table)."""
    return outcomes(operation(operation_name), tied_model(model_name))


@functools.cache
def kept_outcomes_on_ranks(operation_name: str) -> dict[str, tuple[dict, dict | None]]:
    """`outcomes` of an operation on several ranks, for every built-in model: the ranks are started
    once for all five (starting them costs seconds)."""
    return on_ranks(operation(operation_name), MODELS)


def rows_of(op: Operation, tied: TiedModel) -> list[dict]:
    """The operation's row for `tied` and, where it trains, the row of the step after it."""
    built_in = tied in MODELS  # a user's own model is not cached by name
    if op.ranks > 1 and built_in and not missing_packages(op):
        found, stepped = kept_outcomes_on_ranks(op.name)[tied.name]
    elif op.once and built_in:
        found, stepped = kept_outcomes(op.name, tied.name)
    else:
        found, stepped = outcomes(op, tied)
    return [row(op, False, tied, found)] + ([row(op, True, tied, stepped)] if stepped else [])


# --- an operation on several ranks ------------------------------------------------------------------

RANKS_TIMEOUT = 300.0  # seconds for every model on the ranks; a model takes about 5 s each


class RanksFailed(RuntimeError):
    pass


def model_named(name: str):
    """A built-in tied model by name, or a user's by its `package.module:factory`."""
    if ":" in name:
        from .own_model import own_tied_model

        return own_tied_model(name)
    return tied_model(name)


def rank_worker(rank: int, world_size: int, folder: str, operation_name: str, names: list) -> None:
    """One rank: join the gloo group through a file in `folder`, run the operation on each model
    (every rank the same code, in the same order: the collectives meet), write its rows there."""
    import json
    from pathlib import Path

    import torch.distributed as dist

    os.dup2(2, 1)  # what gloo's C++ side prints must not reach the table's standard output
    torch.set_num_threads(1)  # the ranks share the machine's cores
    join_gloo_group(rank, world_size, folder, timeout=60)
    try:
        op = operation(operation_name)
        found = {name: outcomes(op, model_named(name)) for name in names}
        Path(folder, f"rank{rank}.json").write_text(json.dumps(found), encoding="utf-8")
    finally:
        dist.destroy_process_group()


def on_ranks(op: Operation, models) -> dict[str, tuple[dict, dict | None]]:
    """`outcomes` of `op` for each model, measured on `op.ranks` processes joined in one gloo group
    (started as distributed.start_method says: forked where safe, else from a fresh interpreter).
    Each model's rows are rank 0's, which every rank must agree with; a rank that dies or a group
    that does not finish makes every row read so."""
    import json
    import tempfile
    from pathlib import Path

    import torch.multiprocessing as mp

    from .distributed import start_method

    names = [m.name for m in models]
    sys.stdout.flush()  # a forked rank must not write out what this process had buffered
    method = start_method()
    if method == "forkserver":
        mp.set_forkserver_preload(["torch", __name__])
    with tempfile.TemporaryDirectory() as folder:
        context = mp.start_processes(
            rank_worker,
            args=(op.ranks, folder, op.name, names),
            nprocs=op.ranks,
            join=False,
            start_method=method,
        )
        try:
            deadline = time.monotonic() + RANKS_TIMEOUT
            while not context.join(timeout=max(0.0, deadline - time.monotonic())):
                if time.monotonic() >= deadline:
                    raise RanksFailed(
                        f"the {op.ranks} ranks did not finish in {RANKS_TIMEOUT:.0f} s"
                    )
            ranks = [json.loads(Path(folder, f"rank{r}.json").read_text(encoding="utf-8")) for r in range(op.ranks)]  # fmt: skip
        except (RanksFailed, mp.ProcessExitedException, mp.ProcessRaisedException) as error:
            failed = raised(RanksFailed(str(error).splitlines()[0]))
            return {name: (failed, failed if op.trains else None) for name in names}
        finally:
            for process in context.processes:
                if process.is_alive():
                    process.kill()
                    process.join(5)
    found = {}
    for name in names:
        first, *others = (tuple(rank[name]) for rank in ranks)
        if any(other != first for other in others):
            differ = raised(RanksFailed("the ranks' rows differ"))
            first = (differ, differ if op.trains else None)
        found[name] = first
    return found


def rows(operations=OPERATIONS, models=MODELS) -> list[dict]:
    """Table order: each operation on every model, then its optimizer step on every model."""
    found = [rows_of(op, tied) for op in operations for tied in models]
    by_operation = [found[i : i + len(models)] for i in range(0, len(found), len(models))]
    return [pair[k] for group in by_operation for k in (0, 1) for pair in group if k < len(pair)]


def environment() -> dict:
    """When and on what the table was measured: the matrix's column headers say it."""
    return {
        "date": date.today().isoformat(),
        "torch": torch.__version__,
        "cuda_build": torch.version.cuda,
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu": platform.machine() + (f", {cpu_model()}" if cpu_model() else ""),
    }


def cpu_model() -> str:
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info,
    ):
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""


def table(operations=OPERATIONS, models=MODELS) -> dict:
    """What was measured on the installed torch (the release, the environment, each model's kind of
    tie and how it is tied, the rows), and what `survival_render.described` says of it: the legend,
    the models, the errors and the notes, for the operations and models shown only."""
    from .survival_render import tie_entry, with_described

    measured = {
        "torch": torch.__version__,
        "release": list(torch_release()),
        "environment": environment(),
        "ties": {m.name: tie_entry(m) for m in models},
        "rows": rows(operations, models),
    }
    return with_described(measured)


# --- memory ---------------------------------------------------------------------------------------


def saved_storage_bytes(model: torch.nn.Module) -> int:
    """The bytes of the storages `torch.save` writes for the state_dict (the archive's data
    records), one record per storage however many keys share it. The whole file's size is not
    locked: its fixed records differ between releases (measured: every archive is 397 bytes smaller
    on torch 2.5.1 than on 2.13.0, whatever the model).
    """
    with zipfile.ZipFile(saved_to_memory(model.state_dict())) as archive:
        return sum(i.file_size for i in archive.infolist() if i.filename.split("/")[-2:-1] == ["data"])  # fmt: skip


def footprint(model: torch.nn.Module) -> dict[str, int]:
    figures = memory_footprint(model)
    del figures["state_dict_bytes_saved"]
    return {**figures, "state_dict_storage_bytes": saved_storage_bytes(model)}


def memory() -> list[dict]:
    """The documents' "sharing saves memory", measured: parameter bytes counted once per object and
    once per name, and the storage bytes of the saved state_dict, for each tied model and its
    untied copy.
    """
    return [
        {"model": tied.name, "tied": footprint(model), "untied": footprint(tied.untied(model))}
        for tied in MODELS
        for model in [tied.model()]
    ]
