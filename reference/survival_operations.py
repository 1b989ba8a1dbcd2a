"""The survival table's operations: each is a function from a `TiedModel` to a `Result`, what the
tie's two names are bound to afterwards and what an optimizer would be handed; and what each
promises to do to the values."""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .memory import saved_to_memory
from .seeding import seeded
from .survival_models import TiedModel

# --- what an operation leaves ---------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What the tie's two names are bound to after an operation, and what an optimizer would be
    handed afterwards (None where the operation leaves nothing to train: a state_dict, a file).
    """

    ends: tuple[torch.Tensor, torch.Tensor]
    trainable: list[torch.Tensor] | None
    # For an operation that visits modules: how many times it reached a module holding the tie.
    visits: int | None = None


def module_result(model: nn.Module, tied: TiedModel) -> Result:
    ends = (tied.tensor(model, tied.names[0]), tied.tensor(model, tied.names[1]))
    return Result(ends, list(model.parameters()))


def mapping_result(tensors: dict[str, torch.Tensor], tied: TiedModel) -> Result:
    return Result((tensors[tied.names[0]], tensors[tied.names[1]]), None)


def listing_result(listing: list[torch.Tensor], model: nn.Module, tied: TiedModel) -> Result:
    """A listing of parameters: the tie's ends are the entries that are the tie's objects (one entry
    where the listing holds the tie once); an optimizer would be handed the listing as it is.
    """
    tie = [tied.tensor(model, name) for name in tied.names]
    entries = [p for p in listing if any(p is t for t in tie)]
    return Result((entries[0], entries[-1]), listing)


# --- what an operation promises to do to the values -----------------------------------------------
# A promise maps the tie's values before the operation (its first name, freshly built) to the values
# the first name must hold after it. None: the operation promises no values (to_empty leaves
# uninitialised memory; an init draws new ones).


def unchanged(weight: torch.Tensor) -> torch.Tensor:
    return weight


def handed_in(weight: torch.Tensor) -> torch.Tensor:
    """What a load or a functional call hands in: the values plus one (`shifted`)."""
    return weight + 1


def as_float64(weight: torch.Tensor) -> torch.Tensor:
    return weight.double()


def as_half(weight: torch.Tensor) -> torch.Tensor:
    return weight.half()


def shifted(model: nn.Module) -> nn.Module:
    """The model with one added to every parameter: a source whose values a fresh model lacks, so
    that a load can be seen to have loaded.
    """
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(1)
    return model


# --- the operations -------------------------------------------------------------------------------


def state_dict(tied: TiedModel) -> Result:
    return mapping_result(tied.model().state_dict(), tied)


def state_dict_keep_vars(tied: TiedModel) -> Result:
    return mapping_result(tied.model().state_dict(keep_vars=True), tied)


def parameters(tied: TiedModel) -> Result:
    model = tied.model()
    return listing_result(list(model.parameters()), model, tied)


def named_parameters(tied: TiedModel) -> Result:
    model = tied.model()
    return listing_result([p for _, p in model.named_parameters()], model, tied)


def named_parameters_with_duplicates(tied: TiedModel) -> Result:
    model = tied.model()
    listing = [p for _, p in model.named_parameters(remove_duplicate=False)]
    return listing_result(listing, model, tied)


def load_state_dict_copy(tied: TiedModel) -> Result:
    model = tied.model()
    model.load_state_dict(shifted(tied.model()).state_dict())
    return module_result(model, tied)


def load_state_dict_assign(tied: TiedModel) -> Result:
    model = tied.model()
    model.load_state_dict(shifted(tied.model()).state_dict(), assign=True)
    return module_result(model, tied)


def to_float64(tied: TiedModel) -> Result:
    return module_result(tied.model().to(torch.float64), tied)


def half(tied: TiedModel) -> Result:
    return module_result(tied.model().half(), tied)


@contextlib.contextmanager
def future_flag(setter: Callable[[bool], None], getter: Callable[[], bool]) -> Iterator[None]:
    """One of torch.__future__'s conversion flags set for the body, restored after."""
    was = getter()
    setter(True)
    try:
        yield
    finally:
        setter(was)


def to_float64_overwriting(tied: TiedModel) -> Result:
    future = torch.__future__
    with future_flag(
        future.set_overwrite_module_params_on_conversion,
        future.get_overwrite_module_params_on_conversion,
    ):
        return module_result(tied.model().to(torch.float64), tied)


def to_float64_swapping(tied: TiedModel) -> Result:
    future = torch.__future__
    with future_flag(
        future.set_swap_module_params_on_conversion, future.get_swap_module_params_on_conversion
    ):
        return module_result(tied.model().to(torch.float64), tied)


def to_empty_from_cpu(tied: TiedModel) -> Result:
    return module_result(tied.model().to_empty(device="cpu"), tied)


def to_empty_from_meta(tied: TiedModel) -> Result:
    return module_result(tied.model_on_meta().to_empty(device="cpu"), tied)


def deepcopy(tied: TiedModel) -> Result:
    return module_result(copy.deepcopy(tied.model()), tied)


def saved_and_loaded(obj, **load_options):
    return torch.load(saved_to_memory(obj), **load_options)


def torch_save_state_dict(tied: TiedModel) -> Result:
    return mapping_result(saved_and_loaded(tied.model().state_dict()), tied)


def torch_save_module(tied: TiedModel) -> Result:
    return module_result(saved_and_loaded(tied.model()), tied)


def torch_save_module_unsafe(tied: TiedModel) -> Result:
    return module_result(saved_and_loaded(tied.model(), weights_only=False), tied)


def safetensors_file(tied: TiedModel) -> Result:
    from safetensors.torch import load_file, save_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "model.safetensors")
        save_file(tied.model().state_dict(), path)
        mapped = load_file(path)
        # load_file maps the file: copy into memory (deepcopy keeps which tensors share storage)
        # and let go of the map before the folder goes, which Windows refuses while it is mapped
        # (safetensors#574).
        in_memory = copy.deepcopy(mapped)
        del mapped
        return mapping_result(in_memory, tied)


def safetensors_model(tied: TiedModel) -> Result:
    from safetensors.torch import load_model, save_model

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "model.safetensors")
        save_model(shifted(tied.model()), path)
        model = tied.model()
        load_model(model, path)
        return module_result(model, tied)


def functional_call(tied: TiedModel, tie_weights: bool) -> Result:
    """Call the model with a plain tensor in place of the first name only; look, during the call,
    at what the two names are bound to.
    """
    model = tied.model()
    replacement = handed_in(tied.tensor(model, tied.names[0]).detach())
    seen = {}

    def look(module, args):
        seen.update({name: tied.tensor(module, name) for name in tied.names})

    handle = model.register_forward_pre_hook(look)
    try:
        torch.func.functional_call(
            model, {tied.names[0]: replacement}, (tied.input(),), tie_weights=tie_weights
        )
    finally:
        handle.remove()
    return mapping_result(seen, tied)


def functional_call_tied(tied: TiedModel) -> Result:
    return functional_call(tied, tie_weights=True)


def functional_call_untied(tied: TiedModel) -> Result:
    return functional_call(tied, tie_weights=False)


def functional_call_then_module(tied: TiedModel) -> Result:
    """The module itself after a functional_call(tie_weights=True): the call must leave it as it
    was, its own Parameters with their own values.
    """
    model = tied.model()
    replacement = handed_in(tied.tensor(model, tied.names[0]).detach())
    torch.func.functional_call(model, {tied.names[0]: replacement}, (tied.input(),))
    return module_result(model, tied)


COMPILE_BACKEND = "aot_eager"


class CompiledGradientDiffers(AssertionError):
    pass


def output_scalar(output: Any) -> torch.Tensor:
    """A scalar to run backward from: the output, its `logits`, or its first tensor, summed."""
    if isinstance(output, torch.Tensor):
        return output.sum()
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits.sum()
    values = output.values() if isinstance(output, dict) else output
    return next(v for v in values if isinstance(v, torch.Tensor)).sum()


def compiled(tied: TiedModel, build: Callable[[], nn.Module] | None = None) -> Result:
    """torch.compile with the "aot_eager" backend: Dynamo captures the graph and AOTAutograd traces
    forward and backward (where a parameter passed twice is deduplicated), then runs it eagerly; no
    compiler is needed. One forward and backward; its gradient must equal the eager one (`build`, if
    given, makes both models instead of the fresh one). Both run
    from the same RNG state, so that a model with dropout (a real language model in train mode)
    draws the same masks in both: randomness is not taken for a broken tie.
    """
    torch._dynamo.reset()  # earlier compiles of the same class must not count toward its recompiles
    build = build or tied.model
    model, eager, x = build(), build(), tied.input()
    compiled_model = torch.compile(model, backend=COMPILE_BACKEND)
    with seeded():
        output_scalar(compiled_model(x)).backward()
    with seeded():
        output_scalar(eager(x)).backward()
    name = tied.names[0]
    compiled_grad, eager_grad = tied.tensor(model, name).grad, tied.tensor(eager, name).grad
    # No gradient in both is agreement: a name the forward does not read (after a load that split
    # a tie of several names) gets none in either.
    if (compiled_grad is None) != (eager_grad is None) or (
        eager_grad is not None and not torch.allclose(compiled_grad, eager_grad)
    ):
        raise CompiledGradientDiffers(f"the compiled gradient of {name} differs from eager")
    return module_result(compiled_model, tied)


def init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)


def tie_visits(tied: TiedModel, model: nn.Module, reached: Iterable[nn.Module]) -> int:
    """How many of the modules an operation reached hold the tie's Parameter as their own (a
    holder reached twice counts twice; two holders reached once each count two)."""
    tie = tied.tensor(model, tied.names[0])
    return sum(any(p is tie for p in m.parameters(recurse=False)) for m in reached)


def visited(tied: TiedModel, reach: Callable[[nn.Module], Iterable[nn.Module]]) -> Result:
    model = tied.model()
    reached = list(reach(model))
    return replace(module_result(model, tied), visits=tie_visits(tied, model, reached))


def apply_init(tied: TiedModel) -> Result:
    """`apply` an initialiser, counting the modules it is called on."""
    model, reached = tied.model(), []

    def init_and_count(module: nn.Module) -> None:
        reached.append(module)
        init_weights(module)

    with seeded():
        model.apply(init_and_count)
    return replace(module_result(model, tied), visits=tie_visits(tied, model, reached))


def modules(tied: TiedModel) -> Result:
    return visited(tied, lambda model: model.modules())


def named_modules(tied: TiedModel) -> Result:
    return visited(tied, lambda model: (m for _, m in model.named_modules()))


def named_modules_with_duplicates(tied: TiedModel) -> Result:
    return visited(tied, lambda model: (m for _, m in model.named_modules(remove_duplicate=False)))


def children(tied: TiedModel) -> Result:
    return visited(tied, lambda model: model.children())


# --- operations in sequence -------------------------------------------------------------------------


def assign_load_then_default_load(tied: TiedModel) -> Result:
    """The same state_dict loaded twice: with assign=True, then by the default copy."""
    model, loaded = tied.model(), shifted(tied.model()).state_dict()
    model.load_state_dict(loaded, assign=True)
    model.load_state_dict(loaded)
    return module_result(model, tied)


def to_empty_then_load(tied: TiedModel) -> Result:
    """Built on meta, given memory by to_empty, then a checkpoint loaded: the usual large-model
    start."""
    model = tied.model_on_meta().to_empty(device="cpu")
    model.load_state_dict(shifted(tied.model()).state_dict())
    return module_result(model, tied)


def deepcopy_then_to_float64(tied: TiedModel) -> Result:
    return module_result(copy.deepcopy(tied.model()).to(torch.float64), tied)


def assign_load_then_compile(tied: TiedModel) -> Result:
    def assign_loaded() -> nn.Module:
        model = tied.model()
        model.load_state_dict(shifted(tied.model()).state_dict(), assign=True)
        return model

    return compiled(tied, build=assign_loaded)


# --- export, distributed checkpoints, quantization -------------------------------------------------


def exported_program(tied: TiedModel) -> torch.export.ExportedProgram:
    return torch.export.export(tied.model(), (tied.input(),))


def exported(tied: TiedModel) -> Result:
    """`ExportedProgram.module()`: the graph with the parameters registered under their names."""
    return module_result(exported_program(tied).module(), tied)


def unflattened(tied: TiedModel) -> Result:
    """`torch.export.unflatten`: the graph split back into the model's module hierarchy."""
    return module_result(torch.export.unflatten(exported_program(tied)), tied)


class SummedOutput(nn.Module):
    """The model with its output summed: a joint export needs a scalar loss to differentiate."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        return output_scalar(self.model(x))


def exported_joint(tied: TiedModel) -> Result:
    """The experimental `_export_forward_backward`: the exported forward and its backward in one
    graph. The tie's ends are the joint program's state_dict entries for the two names."""
    from torch.export.experimental import _export_forward_backward

    program = torch.export.export(SummedOutput(tied.model()), (tied.input(),))
    joint = _export_forward_backward(program)
    state = {name.removeprefix("model."): t for name, t in joint.state_dict.items()}
    return mapping_result(state, tied)


def distributed_checkpoint_model(tied: TiedModel) -> Result:
    """dcp.save of a shifted model's state_dict, dcp.load into a fresh one's, then loaded."""
    import torch.distributed.checkpoint as dcp

    model = tied.model()
    with tempfile.TemporaryDirectory() as folder:
        dcp.save(shifted(tied.model()).state_dict(), checkpoint_id=folder)
        state = model.state_dict()
        dcp.load(state, checkpoint_id=folder)
    model.load_state_dict(state)
    return module_result(model, tied)


def adam_after_one_step(tied: TiedModel) -> tuple[nn.Module, torch.optim.Optimizer]:
    model = tied.model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    output_scalar(model(tied.input())).backward()
    optimizer.step()
    return model, optimizer


class RestoredStateDiffers(AssertionError):
    pass


def named_states(model: nn.Module, optimizer: torch.optim.Optimizer, options) -> dict[str, Any]:
    from torch.distributed.checkpoint.state_dict import get_state_dict

    found = get_state_dict(model, optimizer, options=options)
    return dict(zip(("model", "optim"), found, strict=True))


def distributed_checkpoint_optimizer(tied: TiedModel, flatten: bool = False) -> Result:
    """A model and its Adam state after one step, saved through get_state_dict and dcp.save, then
    restored into a fresh model and optimizer through dcp.load and set_state_dict (`flatten`: with
    flatten_optimizer_state_dict, torchtitan's default). The tie's ends are the Adam moment
    (`exp_avg`) each name reaches in the restored optimizer; it must equal the saved one, or the
    tie would survive with nothing restored."""
    import torch.distributed.checkpoint as dcp
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

    options = StateDictOptions(flatten_optimizer_state_dict=flatten)
    source = adam_after_one_step(tied)
    model = tied.model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    with tempfile.TemporaryDirectory() as folder:
        dcp.save(named_states(*source, options), checkpoint_id=folder)
        state = named_states(model, optimizer, options)
        dcp.load(state, checkpoint_id=folder)
    set_state_dict(
        model,
        optimizer,
        model_state_dict=state["model"],
        optim_state_dict=state["optim"],
        options=options,
    )
    moments = tuple(optimizer.state[tied.tensor(model, name)]["exp_avg"] for name in tied.names)
    source_model, source_optimizer = source
    saved_moment = source_optimizer.state[tied.tensor(source_model, tied.names[0])]["exp_avg"]
    if not torch.equal(moments[0], saved_moment):
        raise RestoredStateDiffers(f"the restored Adam moment of {tied.names[0]} differs")
    return Result(moments, None)


def distributed_checkpoint_flat_optimizer(tied: TiedModel) -> Result:
    return distributed_checkpoint_optimizer(tied, flatten=True)


def quantized_dynamic(tied: TiedModel) -> Result:
    """quantize_dynamic of every Linear to qint8. A quantized Linear's `weight` is a method that
    unpacks its packed weight: the tie's end is what the holder unpacks, one tensor per holder."""
    model = torch.ao.quantization.quantize_dynamic(tied.model(), {nn.Linear}, dtype=torch.qint8)
    unpacked: dict[int, torch.Tensor] = {}

    def end(name: str) -> torch.Tensor:
        holder_name, _, attribute = name.rpartition(".")
        holder = model.get_submodule(holder_name)
        weight = getattr(holder, attribute)
        if not callable(weight):
            return weight
        return unpacked.setdefault(id(holder), weight().dequantize())

    return Result((end(tied.names[0]), end(tied.names[1])), None)


def ddp(tied: TiedModel) -> Result:
    from torch.nn.parallel import DistributedDataParallel

    model = DistributedDataParallel(tied.model())
    output_scalar(model(tied.input())).backward()
    return module_result(model.module, tied)


def fully_shard_function():
    try:
        from torch.distributed.fsdp import fully_shard  # public here from 2.6
    except ImportError:
        from torch.distributed._composable.fsdp import fully_shard  # 2.5
    return fully_shard


def sharded(
    tied: TiedModel, groups: Callable[[nn.Module], list[list[nn.Module]]], from_meta: bool = False
) -> Result:
    """fully_shard each group of modules (one FSDP group each), then the root; one forward and
    backward (FSDP checks its groups at the first forward). `from_meta`: the large-model start,
    built on meta and sharded there, then given memory by to_empty.
    """
    from torch.distributed.device_mesh import init_device_mesh

    fully_shard = fully_shard_function()
    mesh = init_device_mesh("cpu", (1,))
    model = tied.model_on_meta() if from_meta else tied.model()
    for group in groups(model):
        fully_shard(group if len(group) > 1 else group[0], mesh=mesh)
    fully_shard(model, mesh=mesh)
    if from_meta:
        model.to_empty(device="cpu")
    output_scalar(model(tied.input())).backward()
    return module_result(model, tied)


def holders_below_root(tied: TiedModel, model: nn.Module) -> list[nn.Module]:
    """The distinct modules holding the tie, the root left out: the root is sharded last in any
    case, and a composable API applied to one module twice raises ("can only be applied to a
    module once"). A tie the root holds itself has no holder below it."""
    found: list[nn.Module] = []
    for name in tied.holders:
        module = model.get_submodule(name)
        if module is not model and not any(module is m for m in found):
            found.append(module)
    return found


def each_holder(tied: TiedModel) -> Callable[[nn.Module], list[list[nn.Module]]]:
    return lambda model: [[m] for m in holders_below_root(tied, model)]


def all_holders(tied: TiedModel) -> Callable[[nn.Module], list[list[nn.Module]]]:
    return lambda model: [found] if (found := holders_below_root(tied, model)) else []


def meta_fully_shard_root_then_to_empty(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [], from_meta=True)


def meta_fully_shard_separately_then_to_empty(tied: TiedModel) -> Result:
    return sharded(tied, each_holder(tied), from_meta=True)


def fully_shard_root(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [])


def fully_shard_separately(tied: TiedModel) -> Result:
    return sharded(tied, each_holder(tied))


def fully_shard_together(tied: TiedModel) -> Result:
    return sharded(tied, all_holders(tied))
