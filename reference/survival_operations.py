"""The survival table's operations: each is a function from a `TiedModel` to a `Result`, what the
tie's two names are bound to afterwards and what an optimizer would be handed; and what each
promises to do to the values."""

from __future__ import annotations

import contextlib
import copy
import functools
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
    # For an export: the parameter inputs its graph signature keeps for the tie's names, each with
    # how many graph nodes read it ('embed_tokens.weight ×0, lm_head.weight ×2').
    signature: str | None = None
    # For a compile whose backend depends on the machine: the backend that ran.
    backend: str | None = None


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


def gradients_agree(found: torch.Tensor, expected: torch.Tensor, tolerance: float | None) -> bool:
    """`torch.allclose`'s defaults, or, with `tolerance`, a relative difference of the two
    gradients (by norm) of at most that much."""
    if tolerance is None:
        return torch.allclose(found, expected)
    return found.shape == expected.shape and bool(
        (found - expected).norm() <= tolerance * expected.norm()
    )


# Inductor sums in its own order: measured on 2.13.0, its gradients differ from eager's by a relative
# 1.1e-7 to 1.9e-7 (tiny GPT-2, Llama, T5; the five tied models exactly) and by 4.3e-7 on
# pytorch#193061's pattern (2.5.1, 2.13.0, 2.15.0), which allclose's atol of 1e-8 refuses for T5's
# entries near zero. A broken tie loses one use's gradient: a relative 0.56 (Llama) to 1.03.
INDUCTOR_TOLERANCE = 1e-4


def compiled(
    tied: TiedModel,
    build: Callable[[], nn.Module] | None = None,
    backend: str = COMPILE_BACKEND,
    tolerance: float | None = None,
) -> Result:
    """torch.compile, by default with the "aot_eager" backend: Dynamo captures the graph and
    AOTAutograd traces forward and backward (where a parameter passed twice is deduplicated), then
    runs it eagerly; no compiler is needed. One forward and backward; its gradient must equal the
    eager one (`build`, if given, makes both models instead of the fresh one). Both run from the
    same RNG state, so that a model with dropout (a real language model in train mode)
    draws the same masks in both: randomness is not taken for a broken tie.
    """
    torch._dynamo.reset()  # earlier compiles of the same class must not count toward its recompiles
    build = build or tied.model
    model, eager, x = build(), build(), tied.input()
    compiled_model = torch.compile(model, backend=backend)
    with seeded():
        output_scalar(compiled_model(x)).backward()
    with seeded():
        output_scalar(eager(x)).backward()
    name = tied.names[0]
    compiled_grad, eager_grad = tied.tensor(model, name).grad, tied.tensor(eager, name).grad
    # No gradient in both is agreement: a name the forward does not read (after a load that split
    # a tie of several names) gets none in either.
    if (compiled_grad is None) != (eager_grad is None) or (
        eager_grad is not None and not gradients_agree(compiled_grad, eager_grad, tolerance)
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


def signature_reads(program: torch.export.ExportedProgram, tied: TiedModel) -> str:
    """The parameter inputs the graph signature keeps for the tie's names, in input order, each
    with how many graph nodes read its placeholder: 'embed_tokens.weight ×0, lm_head.weight ×2'."""
    reads = {n.name: len(n.users) for n in program.graph.nodes if n.op == "placeholder"}
    kept = program.graph_signature.inputs_to_parameters.items()
    # Every input the signature keeps is a placeholder of the graph: each has its count.
    return ", ".join(f"{name} ×{reads[node]}" for node, name in kept if name in tied.names)


def exported_module(tied: TiedModel, strict: bool) -> Result:
    """`ExportedProgram.module()` of a strict or a non-strict export: the graph with the parameters
    registered under the names its signature keeps. Where the module lacks one of the tie's names,
    the error is raised with the signature read before it."""
    program = torch.export.export(tied.model(), (tied.input(),), strict=strict)
    signature = signature_reads(program, tied)
    try:
        return replace(module_result(program.module(), tied), signature=signature)
    except AttributeError as error:
        error.row_facts = {"signature": signature}  # type: ignore[attr-defined]
        raise


def exported_strict(tied: TiedModel) -> Result:
    return exported_module(tied, strict=True)


def exported_non_strict(tied: TiedModel) -> Result:
    return exported_module(tied, strict=False)


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


# --- torch.compile with inductor ---------------------------------------------------------------------


@functools.cache
def inductor_runs() -> bool:
    """Inductor compiles C++ for the CPU: whether it does here, tried once on a tiny function (a
    missing or broken compiler raises; a wrong value counts as not working)."""
    torch._dynamo.reset()
    x = torch.arange(4.0)
    try:
        found = torch.compile(lambda t: (t * 2).sin().sum(), backend="inductor")(x)
    except Exception:
        return False
    finally:
        torch._dynamo.reset()
    return bool(torch.allclose(found, (x * 2).sin().sum()))


def compiled_by_inductor(tied: TiedModel) -> Result:
    """`compiled` with inductor where a C++ compiler works, aot_eager elsewhere, both models in
    eval mode; the row records which backend ran."""
    backend = "inductor" if inductor_runs() else "aot_eager"
    # Both models in eval mode: inductor draws dropout's masks its own way (measured on 2.5.1: not
    # eager's, even with fallback_random), and a mask drawn otherwise is no broken tie.
    tolerance = INDUCTOR_TOLERANCE if backend == "inductor" else None
    found = compiled(tied, build=lambda: tied.model().eval(), backend=backend, tolerance=tolerance)
    return replace(found, backend=backend)


# --- pipeline parallel's split backward -------------------------------------------------------------


class SplitGradientDiffers(AssertionError):
    pass


class SplitDependsOnSetOrder(AssertionError):
    pass


# The two orders a set of two autograd nodes can be iterated in, by the order the forward created
# them (their sequence numbers): the pipelining code builds its parameter groups from such sets.
SET_ORDERS = ("forward", "backward")


class InOrder(set):
    """A set whose iteration follows a given order (its elements and membership are a set's)."""

    def __init__(self, ordered: list):
        super().__init__(ordered)
        self.ordered = ordered

    def __iter__(self):
        return iter(self.ordered)


@contextlib.contextmanager
def set_order_pinned(order: str) -> Iterator[None]:
    """Make `_backward.reverse_closure`'s set of reached nodes iterate in forward order (the node
    the forward created first, first) or backward order; restored after. Unpinned, the order is
    that of the nodes' hashes, their addresses: chance."""
    from torch.distributed.pipelining import _backward

    unpinned = _backward.reverse_closure

    def pinned(*args, **kwargs):
        closure, reached = unpinned(*args, **kwargs)
        ordered = sorted(reached, key=lambda node: node._sequence_nr(), reverse=order == "backward")
        return closure, InOrder(ordered)

    _backward.reverse_closure = pinned
    try:
        yield
    finally:
        _backward.reverse_closure = unpinned


def stage_input(tied: TiedModel) -> Any:
    """The stage's input: a floating-point input carries a gradient (a stage after the first);
    token ids cannot (a first stage)."""
    x = tied.input()
    return x.requires_grad_() if x.is_floating_point() else x


def schedule_backward(model: nn.Module, x: Any) -> None:
    """One forward, then the backward a ZeroBubble schedule runs (PipelineStage.backward_one_chunk
    and backward_weight_one_chunk): a stage whose input carries a gradient is split into the input
    gradient (dI, stage_backward_input) and, later, the weight gradient (dW,
    stage_backward_weight); a first stage runs one full stage_backward, since dI would capture no
    parameter groups for it."""
    from torch.distributed.pipelining import _backward

    loss = output_scalar(model(x))
    if isinstance(x, torch.Tensor) and x.requires_grad:
        # positional: the first parameter is `stage_outputs` in 2.5, `stage_outputs_or_loss` later
        _, param_groups = _backward.stage_backward_input([loss], None, [x], model.parameters())
        _backward.stage_backward_weight(model.parameters(), param_groups)
    else:
        _backward.stage_backward(loss, None, [x])


def split_backward_once(tied: TiedModel, order: str) -> nn.Module:
    """The schedule's backward with the sets pinned to `order`; the gradient of the tie's first
    name must be eager's (the sum over both uses)."""
    model, eager = tied.model(), tied.model()
    # Both from the same RNG state: dropout (a language model in train mode) draws the same masks.
    with set_order_pinned(order), seeded():
        schedule_backward(model, stage_input(tied))
    with seeded():
        output_scalar(eager(stage_input(tied))).backward()
    name = tied.names[0]
    found, expected = tied.tensor(model, name).grad, tied.tensor(eager, name).grad
    if found is None or not torch.allclose(found, expected):
        raise SplitGradientDiffers(f"the split-backward gradient of {name} differs from eager")
    return model


def pipeline_split_backward(tied: TiedModel) -> Result:
    """The split backward run in both orders a set of autograd nodes can take (pinned, so the row
    does not depend on chance): where both agree, their outcome; where they differ, the row says so
    and records what each order gave (`row_facts`)."""
    found: dict[str, Any] = {}
    for order in SET_ORDERS:
        try:
            found[order] = split_backward_once(tied, order)
        except Exception as error:
            found[order] = error
    first, second = (found[order] for order in SET_ORDERS)
    errors = [f for f in (first, second) if isinstance(f, Exception)]
    if not errors:
        return module_result(first, tied)
    # One error beside a module is a difference too: their types differ.
    if (type(first), str(first)) == (type(second), str(second)):
        raise first
    differs = SplitDependsOnSetOrder(
        "the outcome depends on the order of a set of autograd nodes, which follows their addresses"
    )
    # What each order gave: an error, or eager's gradient.
    differs.row_facts = {  # type: ignore[attr-defined]
        "set_orders": {
            k: v if isinstance(v, Exception) else "eager's gradient" for k, v in found.items()
        }
    }
    raise differs


# --- FSDP2's rank-0 load (verl) and accelerate's empty model ----------------------------------------


def built_by_init_empty_weights(tied: TiedModel) -> nn.Module:
    """The model built inside accelerate's init_empty_weights(), as transformers builds a model
    for a large load (and verl on ranks other than 0)."""
    from accelerate import init_empty_weights

    return tied.model_within(init_empty_weights())


def init_empty_weights_on_meta(tied: TiedModel) -> Result:
    """The model as init_empty_weights leaves it, on meta: the tie by identity."""
    model = built_by_init_empty_weights(tied)
    return Result((tied.tensor(model, tied.names[0]), tied.tensor(model, tied.names[1])), None)


def rank0_load(tied: TiedModel, empty: nn.Module) -> Result:
    """verl's load (verl/utils/fsdp_utils.py): the model built empty, sharded by fully_shard on the
    root alone (verl keeps a tied embedding in the root's group), given memory by to_empty, then
    set_model_state_dict of a full state dict broadcast from rank 0 (here the one rank: a model
    one higher); one forward and backward."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict
    from torch.distributed.device_mesh import init_device_mesh

    full_state = shifted(tied.model()).state_dict()
    fully_shard_function()(empty, mesh=init_device_mesh("cpu", (1,)))
    empty.to_empty(device="cpu")
    options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True)
    set_model_state_dict(empty, full_state, options=options)
    output_scalar(empty(tied.input())).backward()
    return module_result(empty, tied)


def meta_rank0_load(tied: TiedModel) -> Result:
    return rank0_load(tied, tied.model_on_meta())


def init_empty_weights_rank0_load(tied: TiedModel) -> Result:
    return rank0_load(tied, built_by_init_empty_weights(tied))


# --- tensor parallel ---------------------------------------------------------------------------------


def tensor_parallel_plan(tied: TiedModel, model: nn.Module) -> dict[str, Any]:
    """A language model's usual styles for the modules holding the tie, by every path that reaches
    them: an Embedding row-wise (the vocabulary sharded, its output replicated), a Linear
    column-wise (its output replicated)."""
    try:
        from torch.distributed.tensor import Replicate
    except ImportError:  # 2.5 kept it private
        from torch.distributed._tensor import Replicate
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel

    holders = [model.get_submodule(name) for name in tied.holders]
    plan: dict[str, Any] = {}
    for path, module in model.named_modules(remove_duplicate=False):
        if any(module is holder for holder in holders) and module is not model:
            if isinstance(module, nn.Embedding):
                plan[path] = RowwiseParallel(input_layouts=Replicate(), output_layouts=Replicate())
            elif isinstance(module, nn.Linear):
                plan[path] = ColwiseParallel(output_layouts=Replicate())
    if not plan:
        raise ValueError("tensor parallel: no Embedding or Linear below the root holds the tie")
    return plan


def tensor_parallel(tied: TiedModel) -> Result:
    """parallelize_module over every rank of the process group (two, spawned), with
    `tensor_parallel_plan`; one forward and backward."""
    import torch.distributed as dist
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor.parallel import parallelize_module

    model = tied.model()
    mesh = init_device_mesh("cpu", (dist.get_world_size(),))
    parallelize_module(model, mesh, tensor_parallel_plan(tied, model))
    output_scalar(model(tied.input())).backward()
    return module_result(model, tied)
