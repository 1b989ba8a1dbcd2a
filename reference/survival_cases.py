"""The tie survival table's data: the tied models, the operations, what each operation promises to
do to the values, and the citations that explain every surprising outcome.

Nothing here runs the table (`survival.py` does) or prints it (`survival_render.py`). An operation
is a function from a `TiedModel` to a `Result`: what the tie's two names are bound to afterwards,
and what an optimizer would be handed.

Citations are of three kinds, each with its state: a PyTorch tracker issue ("open", "closed"), a
release note ("changed in 2.6"), or the documentation of a behaviour that is by design ("documented;
no tracker issue found"). `KNOWN_ERRORS` names every exception the table has met by its type and a
phrase that every measured release's message contains (messages are reworded between releases, so
the whole text is never locked). `Earlier` entries say what a row was on releases before a change,
measured on those releases (docs/survival/<release>.json).
"""

from __future__ import annotations

import contextlib
import copy
import operator
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils import parametrize

from .memory import saved_to_memory
from .registry import get
from .seeding import seeded
from .tying import untie_registrations

# --- the tied models ------------------------------------------------------------------------------


class RegisteredLanguageModel(nn.Module):
    """tied_embeddings' language-model head tied the usual way: an `lm_head` Linear whose weight
    *is* the embedding table (`lm_head.weight = embed_tokens.weight`), so the tie has two names.
    """

    def __init__(self, embed_tokens: nn.Embedding, hidden: nn.Linear):
        super().__init__()
        self.embed_tokens = embed_tokens
        self.hidden = hidden
        vocabulary, dim = embed_tokens.weight.shape
        # Built on the meta device (nothing drawn); its weight is replaced by the table at once.
        self.lm_head = nn.Linear(dim, vocabulary, bias=False, device="meta")
        self.lm_head.weight = self.embed_tokens.weight

    def forward(self, tokens):
        return self.lm_head(torch.tanh(self.hidden(self.embed_tokens(tokens))))


def registered_lm_head(tied_embeddings: nn.Module) -> RegisteredLanguageModel:
    return RegisteredLanguageModel(tied_embeddings.embed_tokens, tied_embeddings.hidden)


class Transposed(nn.Module):
    """A parametrization: the weight it gives is the tensor it is registered on, transposed."""

    def forward(self, weight):
        return weight.t()


class ParametrizedAutoencoder(nn.Module):
    """tied_autoencoder with the tie made by `parametrize`: the decoder is a Linear whose weight is
    `Transposed()` of the encoder's Parameter, registered as the decoder's original.
    """

    def __init__(self, encoder: nn.Linear, decoder_bias: nn.Parameter):
        super().__init__()
        self.encoder = encoder
        hidden, in_features = encoder.weight.shape
        self.decoder = nn.Linear(hidden, in_features, device="meta")  # its tensors are replaced
        self.decoder.bias = decoder_bias
        del self.decoder.weight
        self.decoder.weight = encoder.weight
        # unsafe: the parametrized weight (in, hidden) has another shape than its original.
        parametrize.register_parametrization(self.decoder, "weight", Transposed(), unsafe=True)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def parametrized_autoencoder(tied_autoencoder: nn.Module) -> ParametrizedAutoencoder:
    return ParametrizedAutoencoder(tied_autoencoder.encoder, tied_autoencoder.decoder_bias)


def as_built(model: nn.Module) -> nn.Module:
    return model


@dataclass(frozen=True)
class TiedModel:
    """A model of the table: the registry example it is built from, the two names of its tie (one
    name twice for a tie made in forward), the modules holding them, and how it is tied.
    """

    name: str
    example: str
    names: tuple[str, str]
    holders: tuple[str, str]
    how: str
    rebuild: Callable[[nn.Module], nn.Module] = as_built

    def model(self) -> nn.Module:
        return self.rebuild(get(self.example).model())

    def model_on_meta(self) -> nn.Module:
        """The same model initialised on the meta device: shapes and ties, no storage."""
        with seeded(), torch.device("meta"):
            return self.rebuild(get(self.example).build())

    def input(self):
        return get(self.example).input()

    def untied(self, model: nn.Module) -> nn.Module:
        """A copy with one tensor per use, same values: the example's own `untie` for a tie made
        in forward, one clone per registration otherwise.
        """
        untie = get(self.example).untie if self.rebuild is as_built else None
        return (untie or untie_registrations)(model)[0]

    def tensor(self, model: nn.Module, name: str) -> torch.Tensor:
        return operator.attrgetter(name)(model)


MODELS = (
    TiedModel(
        name="tied_embeddings",
        example="tied_embeddings",
        names=("embed_tokens.weight", "embed_tokens.weight"),
        holders=("embed_tokens", "embed_tokens"),
        how="in forward: F.linear(x, embed_tokens.weight)",
    ),
    TiedModel(
        name="tied_sequential",
        example="tied_sequential",
        names=("2.weight", "4.weight"),  # and 2.bias / 4.bias, tied the same way
        holders=("2", "4"),
        how="one Linear registered twice in a Sequential",
    ),
    TiedModel(
        name="tied_autoencoder",
        example="tied_autoencoder",
        names=("encoder.weight", "encoder.weight"),
        holders=("encoder", "encoder"),
        how="in forward: F.linear(h, encoder.weight.t())",
    ),
    TiedModel(
        name="registered_lm_head",
        example="tied_embeddings",
        names=("embed_tokens.weight", "lm_head.weight"),
        holders=("embed_tokens", "lm_head"),
        how="registration: lm_head.weight = embed_tokens.weight",
        rebuild=registered_lm_head,
    ),
    TiedModel(
        name="parametrized_autoencoder",
        example="tied_autoencoder",
        names=("encoder.weight", "decoder.parametrizations.weight.original"),
        holders=("encoder", "decoder"),
        how="parametrize: decoder.weight = Transposed()(encoder.weight)",
        rebuild=parametrized_autoencoder,
    ),
)


def tied_model(name: str) -> TiedModel:
    return next(m for m in MODELS if m.name == name)


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


def sharded(tied: TiedModel, groups: Callable[[nn.Module], list[list[nn.Module]]]) -> Result:
    """fully_shard each group of modules (one FSDP group each), then the root; one forward and
    backward (FSDP checks its groups at the first forward).
    """
    from torch.distributed.device_mesh import init_device_mesh

    fully_shard = fully_shard_function()
    mesh = init_device_mesh("cpu", (1,))
    model = tied.model()
    for group in groups(model):
        fully_shard(group if len(group) > 1 else group[0], mesh=mesh)
    fully_shard(model, mesh=mesh)
    output_scalar(model(tied.input())).backward()
    return module_result(model, tied)


def holders(tied: TiedModel, model: nn.Module) -> list[nn.Module]:
    found = [model.get_submodule(name) for name in tied.holders]
    return found[:1] if found[0] is found[1] else found


def sharded_on_meta_then_to_empty(
    tied: TiedModel, groups: Callable[[nn.Module], list[list[nn.Module]]]
) -> Result:
    """The large-model start: built on meta, fully_shard each group and the root, then to_empty
    gives the shards memory; one forward and backward."""
    from torch.distributed.device_mesh import init_device_mesh

    fully_shard = fully_shard_function()
    mesh = init_device_mesh("cpu", (1,))
    model = tied.model_on_meta()
    for group in groups(model):
        fully_shard(group if len(group) > 1 else group[0], mesh=mesh)
    fully_shard(model, mesh=mesh)
    model.to_empty(device="cpu")
    output_scalar(model(tied.input())).backward()
    return module_result(model, tied)


def meta_fully_shard_root_then_to_empty(tied: TiedModel) -> Result:
    return sharded_on_meta_then_to_empty(tied, lambda model: [])


def meta_fully_shard_separately_then_to_empty(tied: TiedModel) -> Result:
    return sharded_on_meta_then_to_empty(tied, lambda model: [[m] for m in holders(tied, model)])


def fully_shard_root(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [])


def fully_shard_separately(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [[m] for m in holders(tied, model)])


def fully_shard_together(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [holders(tied, model)])


# --- why an outcome is what it is ----------------------------------------------------------------

ALL_MODELS = ("tied_embeddings", "tied_sequential", "tied_autoencoder", "registered_lm_head", "parametrized_autoencoder")  # fmt: skip
# Ties made by registration: two names, which an operation that treats names one by one can split.
REGISTERED = ("tied_sequential", "registered_lm_head", "parametrized_autoencoder")
# Two names held by two different modules (tied_sequential's names are one module's, twice).
TWO_HOLDERS = ("registered_lm_head", "parametrized_autoencoder")


@dataclass(frozen=True)
class Citation:
    """What explains an outcome: `source` (a tracker issue as owner/repo#N, a release note or a
    documentation page), its `state` ("open", "closed", "changed in 2.6", "documented; no tracker
    issue found"), and what it `says`, for the `models` whose rows it explains.
    """

    source: str
    state: str
    says: str
    models: tuple[str, ...] = ALL_MODELS
    bug: bool = False  # a PyTorch bug the table reproduces (not a behaviour by design)

    def line(self) -> str:
        return f"{self.source} ({self.state}): {self.says}"


@dataclass(frozen=True)
class KnownError:
    """An exception the table has met: its type, a phrase every measured release's message holds,
    and why it is raised. A row records it as `Type: phrase`.
    """

    type: str
    phrase: str
    citation: Citation
    # The operation is not supported where it ran (FSDP2 on the CPU before 2.7): no tie broke.
    unsupported: bool = False

    @property
    def text(self) -> str:
        return f"{self.type}: {self.phrase}"


FSDP2_ON_CPU = Citation(
    "pytorch/pytorch#145935",
    "merged; FSDP2 runs on the CPU from 2.7",
    "FSDP2 needed CUDA streams (2.5) and then a CPU Stream without record_event (2.6); the PR "
    "made the CPU stream's record_event/wait_event no-ops",
)

WEIGHTS_ONLY_REFUSES_A_MODULE = KnownError(
    "UnpicklingError",
    "Weights only load failed",
    Citation(
        "PyTorch 2.6 release notes",
        "changed in 2.6",
        "torch.load defaults to weights_only=True, which refuses to unpickle a module",
    ),
)
SHARED_ACROSS_FSDP_GROUPS = KnownError(
    "ValueError",
    "is shared with a parameter already managed by another FSDP group",
    Citation(
        "pytorch/pytorch#176225",
        "merged; the check is in 2.12.0 and later",
        "FSDP2 rejects a parameter managed by two FSDP groups at the first forward (before, each "
        "group sharded it on its own: pytorch/pytorch#176076; the fix downstream: "
        "huggingface/accelerate#4171)",
        models=TWO_HOLDERS,
    ),
)

JOINT_EXPORT_UNUSED_ALIAS = KnownError(
    "AssertionError",
    "Found a parameter that did not receive a gradient",
    Citation(
        "pytorch/pytorch#147380",
        "open; the fixes proposed, pytorch/pytorch#185803 and #186542, were closed",
        "export keeps one parameter input per name of a tied Parameter and the graph reads only "
        "one of them; the joint decomposition treats the other as a parameter of its own that "
        "received no gradient",
        models=REGISTERED,
        bug=True,
    ),
)

UNFLATTEN_CANNOT_OUTLINE = KnownError(
    "RuntimeError",
    "is not a descendant of parent",
    Citation(
        "pytorch/pytorch#130931",
        "closed; measured: unflatten succeeds from 2.8",
        "unflatten could not outline a Sequential's children (nor, on 2.6 and 2.7, a module the "
        "exported graph calls by a second path, parametrize's decoder@1)",
        models=("tied_sequential", "parametrized_autoencoder"),
    ),
)

KNOWN_ERRORS = (
    WEIGHTS_ONLY_REFUSES_A_MODULE,
    KnownError(
        "RuntimeError",
        "Serialization of parametrized modules is only supported through state_dict()",
        Citation(
            "torch.nn.utils.parametrize (docs: Saving and loading models)",
            "documented; no tracker issue found",
            "a parametrized module pickles only through its state_dict",
        ),
    ),
    KnownError(
        "RuntimeError",
        "Some tensors share memory",
        Citation(
            "safetensors docs: torch_shared_tensors",
            "documented; no tracker issue found",
            "save_file refuses tensors that share storage; save_model/load_model handle ties",
        ),
    ),
    KnownError(
        "RuntimeError",
        "got mixed torch.Tensor and DTensor",
        Citation(
            "FSDP2 fully_shard docs (one FSDP group per shared parameter)",
            "documented; the same error in another setting: pytorch/pytorch#153354 (closed)",
            "a tie made in forward read outside the group that manages it: that group resharded "
            "it after its own forward, so the root reads a sharded DTensor beside plain tensors",
            models=("tied_embeddings", "tied_autoencoder"),
        ),
    ),
    SHARED_ACROSS_FSDP_GROUPS,
    JOINT_EXPORT_UNUSED_ALIAS,
    KnownError(
        "AssertionError",
        "from_float only works for",
        Citation(
            "docs: torch.ao.quantization.quantize_dynamic",
            "documented; no tracker issue found",
            "quantize_dynamic swaps modules whose type is exactly a listed one; parametrize makes "
            "the decoder a generated subclass (ParametrizedLinear), which from_float refuses",
            models=("parametrized_autoencoder",),
        ),
    ),
    UNFLATTEN_CANNOT_OUTLINE,
    KnownError("RuntimeError", "FSDP requires CUDA for streams", FSDP2_ON_CPU, unsupported=True),
    KnownError(
        "AttributeError", "object has no attribute 'record_event'", FSDP2_ON_CPU, unsupported=True
    ),
)


def known_error(type_name: str, message: str) -> KnownError | None:
    return next((k for k in KNOWN_ERRORS if k.type == type_name and k.phrase in message), None)


@dataclass(frozen=True)
class Earlier:
    """On releases before `until`, the operation's rows for `models` read `outcome` (and `error`)
    instead of what the snapshots lock; `citation` says what changed at `until`.
    """

    until: tuple[int, int]
    outcome: str
    citation: Citation
    models: tuple[str, ...] = ALL_MODELS
    error: str | None = None


FSDP2_BEFORE_CPU_SUPPORT = (
    Earlier((2, 6), "raises", FSDP2_ON_CPU, error="RuntimeError: FSDP requires CUDA for streams"),
    Earlier(
        (2, 7),
        "raises",
        FSDP2_ON_CPU,
        error="AttributeError: object has no attribute 'record_event'",
    ),
)


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[TiedModel], Result]
    note: str = ""
    promise: Callable[[torch.Tensor], torch.Tensor] | None = unchanged
    citations: tuple[Citation, ...] = ()
    earlier: tuple[Earlier, ...] = ()
    needs_process_group: bool = False
    needs: tuple[str, ...] = ()  # optional packages the operation imports
    trains: bool = True  # it leaves a module or a listing of parameters: an optimizer step follows
    once: bool = False  # deterministic and costly: run once per model and process (`kept_outcomes`)
    # It leaves uninitialised memory (to_empty): two separate tensors' values are whatever was there.
    uninitialised: bool = False

    def earlier_on(self, release: tuple[int, int], model: str) -> Earlier | None:
        """What the row read on `release`, where that release predates a change to it."""
        return next(
            (e for e in sorted(self.earlier, key=lambda e: e.until) if release < e.until and model in e.models),
            None,
        )  # fmt: skip

    def citation_for(self, model: str) -> Citation | None:
        """What explains this operation's row for `model`: its citation, or else, on a release
        before a cited change, what changed (the step row after an earlier split included)."""
        cited = next((c for c in self.citations if model in c.models), None)
        earlier = next((e.citation for e in self.earlier if model in e.models), None)
        return cited or earlier


LISTING = "the tie's entries in the listing; the step is handed the listing as it is"

# safetensors' torch functions convert through NumPy.
SAFETENSORS = ("safetensors", "numpy")

STATE_DICT_DETACHES = Citation(
    "docs: torch.nn.Module.state_dict",
    "documented; no tracker issue found",
    "each key holds the tensor detached (a new object per name over the shared storage) unless "
    "keep_vars=True",
    models=REGISTERED,
)

ASSIGN_SPLITS = Citation(
    "pytorch/pytorch#188346",
    "closed on the tracker; its fix, pytorch/pytorch#188347, is open and the tie still splits on "
    "2.15.0",
    "assign=True sets each name to its own loaded object, so tied names stop aliasing and an "
    "optimizer steps the shared storage twice",
    models=TWO_HOLDERS,
    bug=True,
)

TO_EMPTY_SPLITS = Citation(
    "Modalities/modalities#357, verl-project/verl#7835",
    "open downstream (#7835 re-ties after to_empty); no pytorch/pytorch tracker issue found",
    "a meta tensor cannot take new storage in place, so _apply gives each name its own new "
    "Parameter: the tie splits; re-tie after to_empty",
    models=TWO_HOLDERS,
    bug=True,
)

EXPORT_OF_A_TIE_IN_FORWARD = Citation(
    "pytorch/pytorch#127357",
    "open; reported on torch 2.3.0",
    "export raised on this very model (a tie made in forward: F.linear(h, encoder.weight.t())); "
    "here it exports and the tie holds",
    models=("tied_autoencoder",),
)

OPTIMIZER_STATE_OF_A_TIE = Citation(
    "Modalities/modalities#348; pytorch/torchtitan#594",
    "#348 open, #594 closed; #594 traced the failure to _unflatten_optim_state_dict, which "
    "pytorch/pytorch#148825 (closed) changed for shared parameters",
    "both report set_optimizer_state_dict failing on a model with tied weights sharded by FSDP, "
    "its optimizer state flattened; here, without FSDP, the one Parameter's state is restored "
    "and both names reach it",
)

VISITS = "counts the visits that reach a module holding the tie's Parameter"

EXPORTED_MODULE_ONE_NAME = Citation(
    "measured: docs/survival/2.5.1.json to 2.7.1.json",
    "changed in 2.8; no tracker issue found",
    "before 2.8 the exported program's module registers a Parameter shared by two names under "
    "one of them only: reading the other raises AttributeError",
    models=REGISTERED,
)

TWO_HOLDERS_REACHED_TWICE = Citation(
    "docs: torch.nn.Module.modules",
    "documented; no tracker issue found",
    "each module object is visited once, and two holders of one Parameter are two modules: "
    "whatever runs per module reaches the Parameter twice",
    models=TWO_HOLDERS,
)

OPERATIONS = (
    Operation("state_dict()", state_dict, trains=False, citations=(STATE_DICT_DETACHES,)),
    Operation("state_dict(keep_vars=True)", state_dict_keep_vars, trains=False),
    Operation("parameters()", parameters, LISTING),
    Operation("named_parameters()", named_parameters, LISTING),
    Operation(
        "named_parameters(remove_duplicate=False)",
        named_parameters_with_duplicates,
        LISTING,
        citations=(
            Citation(
                "docs: torch.nn.Module.named_parameters",
                "documented; no tracker issue found",
                "remove_duplicate=False lists a shared Parameter once per name, so an optimizer "
                "handed the listing steps it once per name",
                models=REGISTERED,
            ),
        ),
    ),
    Operation(
        "load_state_dict(copy)",
        load_state_dict_copy,
        "into a fresh model, from a model whose every parameter is one higher",
        promise=handed_in,
    ),
    Operation(
        "load_state_dict(assign=True)",
        load_state_dict_assign,
        "into a fresh model, from a model whose every parameter is one higher",
        promise=handed_in,
        citations=(ASSIGN_SPLITS,),
    ),
    Operation(".to(torch.float64)", to_float64, promise=as_float64),
    Operation(".half()", half, promise=as_half),
    Operation(
        ".to(float64), overwrite flag",
        to_float64_overwriting,
        "torch.__future__.set_overwrite_module_params_on_conversion(True)",
        promise=as_float64,
        citations=(
            Citation(
                "docs: torch.__future__.set_overwrite_module_params_on_conversion",
                "documented; no tracker issue found",
                "the flag assigns each name a new Parameter instead of setting .data in place, "
                "one per name",
                models=TWO_HOLDERS,
            ),
        ),
    ),
    Operation(
        ".to(float64), swap flag",
        to_float64_swapping,
        "torch.__future__.set_swap_module_params_on_conversion(True)",
        promise=as_float64,
    ),
    Operation(
        "to_empty from CPU",
        to_empty_from_cpu,
        "model on the CPU, to_empty(device='cpu')",
        promise=None,
        uninitialised=True,
    ),
    Operation(
        "to_empty from meta",
        to_empty_from_meta,
        "built under torch.device('meta'), to_empty(device='cpu')",
        promise=None,
        uninitialised=True,
        citations=(TO_EMPTY_SPLITS,),
    ),
    Operation("copy.deepcopy", deepcopy),
    Operation(
        "torch.save/load state_dict",
        torch_save_state_dict,
        trains=False,
        citations=(STATE_DICT_DETACHES,),
    ),
    Operation(
        "torch.save/load module",
        torch_save_module,
        "torch.load with the installed release's default weights_only",
        earlier=(
            Earlier(
                (2, 6),
                "tied",
                WEIGHTS_ONLY_REFUSES_A_MODULE.citation,
                # parametrized_autoencoder fails in torch.save on every release
                models=tuple(m for m in ALL_MODELS if m != "parametrized_autoencoder"),
            ),
        ),
    ),
    Operation("torch.save/load module, weights_only=False", torch_save_module_unsafe),
    Operation(
        "safetensors save_file/load_file",
        safetensors_file,
        "of the state_dict",
        needs=SAFETENSORS,
        trains=False,
    ),
    Operation(
        "safetensors save_model/load_model",
        safetensors_model,
        "load_model into a fresh model, from a model whose every parameter is one higher",
        promise=handed_in,
        needs=SAFETENSORS,
    ),
    Operation(
        "functional_call(tie_weights=True)",
        functional_call_tied,
        "a tensor one higher for the first name only; the names as seen during the call",
        promise=handed_in,
        trains=False,
    ),
    Operation(
        "functional_call(tie_weights=False)",
        functional_call_untied,
        "a tensor one higher for the first name only; the names as seen during the call",
        promise=handed_in,
        trains=False,
        citations=(
            Citation(
                "docs: torch.func.functional_call",
                "documented; no tracker issue found",
                "tie_weights=False replaces only the name it is given; the other name keeps the "
                "module's tensor",
                models=TWO_HOLDERS,
            ),
        ),
    ),
    Operation(
        "functional_call(tie_weights=True), the module after",
        functional_call_then_module,
        "the module's own names once the call has returned",
        trains=False,
        citations=(
            Citation(
                "pytorch/pytorch#164759",
                "open; its fix, pytorch/pytorch#195593, is open",
                "a submodule reachable by two paths is swapped twice and restored wrongly: after "
                "the call the module holds the tensor handed in instead of its own Parameter",
                models=("tied_sequential",),
                bug=True,
            ),
        ),
    ),
    Operation(
        f"torch.compile(backend={COMPILE_BACKEND!r})",
        compiled,
        "one forward and backward; gradient checked against eager, both from the same RNG state",
        once=True,
    ),
    Operation(
        "apply(nn.init.normal_)",
        apply_init,
        "normal_ on every Linear/Embedding weight; " + VISITS,
        promise=None,
        citations=(
            Citation(
                "docs: torch.nn.Module.apply",
                "documented; no tracker issue found",
                "apply calls fn once per submodule: with two holders the shared Parameter is "
                "initialised twice, the second draw overwriting the first",
                models=TWO_HOLDERS,
            ),
        ),
    ),
    Operation("modules()", modules, VISITS, trains=False, citations=(TWO_HOLDERS_REACHED_TWICE,)),
    Operation(
        "named_modules()",
        named_modules,
        VISITS,
        trains=False,
        citations=(TWO_HOLDERS_REACHED_TWICE,),
    ),
    Operation(
        "named_modules(remove_duplicate=False)",
        named_modules_with_duplicates,
        VISITS,
        trains=False,
        citations=(
            Citation(
                "docs: torch.nn.Module.named_modules",
                "documented; no tracker issue found",
                "remove_duplicate=False yields a module once per path, so a module registered "
                "twice is visited twice",
                models=("tied_sequential",),
            ),
            TWO_HOLDERS_REACHED_TWICE,
        ),
    ),
    Operation(
        "children()",
        children,
        VISITS + " (the direct children only)",
        trains=False,
        # parametrized_autoencoder's decoder is reached, but the Parameter is held one level down
        # (decoder.parametrizations.weight), where children() does not reach: once.
        citations=(replace(TWO_HOLDERS_REACHED_TWICE, models=("registered_lm_head",)),),
    ),
    Operation(
        "DistributedDataParallel",
        ddp,
        "gloo, a group of one process; one forward and backward",
        needs_process_group=True,
    ),
    Operation(
        "fully_shard(root)",
        fully_shard_root,
        "FSDP2 on the CPU, gloo, a group of one; one forward and backward",
        earlier=FSDP2_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "fully_shard(each holder), then root",
        fully_shard_separately,
        "the two holders of the tie in separate FSDP groups; a tie made in forward has one "
        "holder, whose group reshards after its own forward",
        earlier=(
            *FSDP2_BEFORE_CPU_SUPPORT,
            Earlier((2, 12), "split", SHARED_ACROSS_FSDP_GROUPS.citation, models=TWO_HOLDERS),
        ),
        needs_process_group=True,
    ),
    Operation(
        "fully_shard([both holders]), then root",
        fully_shard_together,
        "the two holders of the tie in one FSDP group: the fix the error message gives",
        earlier=FSDP2_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "meta → fully_shard(root) → to_empty",
        meta_fully_shard_root_then_to_empty,
        "built on meta, sharded, given memory by to_empty; one forward and backward",
        promise=None,
        uninitialised=True,
        earlier=FSDP2_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "meta → fully_shard(each holder) → to_empty",
        meta_fully_shard_separately_then_to_empty,
        "as NVIDIA-NeMo/Automodel#2213 starts from scratch: built on meta, each holder sharded, "
        "then the root, given memory by to_empty; one forward and backward",
        promise=None,
        uninitialised=True,
        earlier=(
            *FSDP2_BEFORE_CPU_SUPPORT,
            # Measured on 2.7.1 and 2.8.0: the from-scratch start splits the tie, silently.
            Earlier((2, 12), "split", SHARED_ACROSS_FSDP_GROUPS.citation, models=TWO_HOLDERS),
        ),
        needs_process_group=True,
        citations=(
            Citation(
                "NVIDIA-NeMo/Automodel#2213",
                "open pull request; it re-ties after initialising (init_weights, tie_weights)",
                "says fully_shard() breaks the tie of a model trained from scratch by replacing "
                "shared parameters with separate DTensors: what sharding the two holders apart did "
                "before torch 2.12 (pytorch/pytorch#176076); from 2.12 FSDP rejects it at the "
                "first forward (pytorch/pytorch#176225), and fully_shard(root) keeps the tie",
                models=TWO_HOLDERS,
            ),
        ),
    ),
    Operation(
        "torch.export.export → .module()",
        exported,
        "one input; the exported program's module, its parameters under their names",
        citations=(EXPORT_OF_A_TIE_IN_FORWARD,),
        earlier=tuple(
            Earlier((2, 8), "raises", EXPORTED_MODULE_ONE_NAME, models=(model,), error=error)
            for model, error in (
                ("tied_sequential", "AttributeError: 'GraphModule' object has no attribute '2'"),
                (
                    "registered_lm_head",
                    "AttributeError: 'GraphModule' object has no attribute 'embed_tokens'",
                ),
                (
                    "parametrized_autoencoder",
                    "AttributeError: 'Module' object has no attribute 'weight'",
                ),
            )
        ),
    ),
    Operation(
        "torch.export.export → unflatten",
        unflattened,
        "the exported program split back into the model's module hierarchy",
        citations=(EXPORT_OF_A_TIE_IN_FORWARD,),
        earlier=(
            Earlier(
                (2, 8),
                "raises",
                UNFLATTEN_CANNOT_OUTLINE.citation,
                models=("tied_sequential",),
                error=UNFLATTEN_CANNOT_OUTLINE.text,
            ),
            # 2.5 outlined parametrize's decoder; 2.6 and 2.7 did not.
            Earlier(
                (2, 6),
                "tied",
                UNFLATTEN_CANNOT_OUTLINE.citation,
                models=("parametrized_autoencoder",),
            ),
            Earlier(
                (2, 8),
                "raises",
                UNFLATTEN_CANNOT_OUTLINE.citation,
                models=("parametrized_autoencoder",),
                error=UNFLATTEN_CANNOT_OUTLINE.text,
            ),
        ),
    ),
    Operation(
        "torch.export.export → _export_forward_backward",
        exported_joint,
        "experimental; the model's output summed as the loss; the joint program's state_dict "
        "entries for the two names",
        trains=False,
        citations=(JOINT_EXPORT_UNUSED_ALIAS.citation,),
    ),
    Operation(
        "dcp.save/load, model state",
        distributed_checkpoint_model,
        "torch.distributed.checkpoint, gloo, a group of one; into a fresh model's state_dict, "
        "from a model whose every parameter is one higher",
        promise=handed_in,
        needs_process_group=True,
    ),
    Operation(
        "dcp.save/load, optimizer state",
        distributed_checkpoint_optimizer,
        "Adam after one step, through get_state_dict/set_state_dict; the ends are the Adam "
        "moment each name reaches in the restored optimizer, checked against the saved one",
        promise=None,
        trains=False,
        needs_process_group=True,
        citations=(OPTIMIZER_STATE_OF_A_TIE,),
    ),
    Operation(
        "dcp.save/load, flattened optimizer state",
        distributed_checkpoint_flat_optimizer,
        "as dcp.save/load, optimizer state, with StateDictOptions(flatten_optimizer_state_dict="
        "True), torchtitan's default",
        promise=None,
        trains=False,
        needs_process_group=True,
        citations=(OPTIMIZER_STATE_OF_A_TIE,),
    ),
    Operation(
        "quantize_dynamic(nn.Linear, qint8)",
        quantized_dynamic,
        "torch.ao.quantization; the ends are what each holder's weight unpacks, one per holder",
        promise=None,
        trains=False,
        citations=(
            Citation(
                "docs: torch.ao.quantization.quantize_dynamic; huggingface/transformers#37905",
                "documented; transformers unties on purpose to quantize the embedding alone "
                "(merged)",
                "quantize_dynamic replaces each Linear by a quantized copy, once per name; an "
                "Embedding is left as it is, so a Linear holding the table gets its own weight",
                models=("tied_sequential", "registered_lm_head"),
            ),
        ),
    ),
    Operation(
        "load(assign=True) → load_state_dict()",
        assign_load_then_default_load,
        "the same state_dict, from a model whose every parameter is one higher, loaded twice",
        promise=handed_in,
        citations=(ASSIGN_SPLITS,),
    ),
    Operation(
        "to_empty from meta → load_state_dict()",
        to_empty_then_load,
        "from a model whose every parameter is one higher: the values are right, the tie is not",
        promise=handed_in,
        citations=(TO_EMPTY_SPLITS,),
    ),
    Operation("copy.deepcopy → .to(torch.float64)", deepcopy_then_to_float64, promise=as_float64),
    Operation(
        "load(assign=True) → torch.compile",
        assign_load_then_compile,
        f"backend={COMPILE_BACKEND!r}; one forward and backward; gradient checked against eager, "
        "both assign-loaded",
        promise=handed_in,
        once=True,
        citations=(ASSIGN_SPLITS,),
    ),
)

STEP = " + SGD step"


def operation(name: str) -> Operation:
    return next(o for o in OPERATIONS if o.name == name)


def reproduced_bugs() -> list[tuple[Operation, Citation]]:
    """The PyTorch bugs the table reproduces, with the operation whose rows show them."""
    return [(op, c) for op in OPERATIONS for c in op.citations if c.bug]
