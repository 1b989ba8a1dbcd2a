"""The tying survival table: which PyTorch operations keep a tie, measured on the installed torch.

A tie is two names bound to one `Parameter` object. Some operations keep the binding; others split
it, silently: the two names then hold two objects, which either still share one storage (an
optimizer then updates that storage once per object) or are separate copies (they drift apart in
training). `table()` builds each tied model, applies each operation and looks: every row is the
outcome of running the operation, nothing is written by hand. `python -m reference survival
[--json]` prints it.

A row: `operation`, `model`, and
- `tied_after`: the two names are still one object after the operation (null: it raised);
- `storage_shared`: the two objects still share one storage (true wherever they are one object);
- `error`: the exception the operation raised, as `Type: first sentence of the message`.

Rows named "… + SGD step" run the operation, give every parameter an optimizer would be handed a
gradient of ones and take one `SGD(lr=1)` step: each update moves the weights by exactly 1, so the
move counts the updates. There `tied_after` is true when the tie moved once, as one parameter;
false with shared storage when it moved twice (two Parameter objects, or one listed twice, over one
storage: with plain SGD two partial gradients still add up to the tied gradient, but weight decay,
momentum and Adam's statistics act once per object); false without it when the two names moved as
separate copies.

The models. Two of the registry's ties are made *in forward* (`F.linear(x, embed_tokens.weight)`,
`F.linear(h, encoder.weight.t())`): one name, read twice, which no operation here can split. Two
more are built from registry examples, with the same values, to show ties made by *registration*:
`registered_lm_head` (tied_embeddings the way most language models tie, `lm_head.weight =
embed_tokens.weight`) and `parametrized_autoencoder` (tied_autoencoder with the decoder's weight a
`torch.nn.utils.parametrize` parametrization of the encoder's Parameter). `tied_sequential`
registers one module twice.

Where an outcome depends on the torch release, the operation says from which release and why
(`ReleaseChange`); `render` prints it beside the table.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import operator
import re
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils import parametrize

from .registry import get
from .seeding import seeded
from .tying import untie_registrations
from .why_share import memory_footprint

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


def local(tensor: torch.Tensor) -> torch.Tensor:
    """The tensor itself, or the local shard of a DTensor (what fully_shard leaves)."""
    return tensor.to_local() if hasattr(tensor, "to_local") else tensor


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    a, b = local(a), local(b)
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


@dataclass(frozen=True)
class Outcome:
    tied_after: bool | None
    storage_shared: bool | None
    error: str | None


def outcome_of(result: Result) -> Outcome:
    first, second = result.ends
    return Outcome(first is second, same_storage(first, second), None)


def moves_of_one_step(result: Result) -> Outcome:
    """Zero every trainable tensor, give it a gradient of ones and take one SGD(lr=1) step: each
    update moves a value from 0 to -1, so minus the value after the step counts the updates.
    """
    first, second = result.ends
    with torch.no_grad():
        for tensor in result.trainable:
            tensor.zero_()  # known values: to_empty leaves uninitialised memory
            tensor.grad = torch.ones_like(tensor)
    torch.optim.SGD(result.trainable, lr=1.0).step()
    moves = [round(-local(t).detach().double().mean().item()) for t in result.ends]
    shared = same_storage(first, second)
    return Outcome(shared and moves == [1, 1], shared, None)


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
MEMORY_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def error_text(error: BaseException) -> str:
    """`Type: first sentence`: stable across runs (no addresses, no temporary paths, and nothing
    after the first ': ', where messages list sets in arbitrary order).
    """
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    first = MEMORY_ADDRESS.sub("0x…", ANSI_ESCAPE.sub("", lines[0])) if lines else ""
    first = re.split(r"\. |: ", first, maxsplit=1)[0].rstrip(".:")
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


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
    model.load_state_dict(tied.model().state_dict())
    return module_result(model, tied)


def load_state_dict_assign(tied: TiedModel) -> Result:
    model = tied.model()
    model.load_state_dict(tied.model().state_dict(), assign=True)
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
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, **load_options)


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
        return mapping_result(load_file(path), tied)


def safetensors_model(tied: TiedModel) -> Result:
    from safetensors.torch import load_model, save_model

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "model.safetensors")
        save_model(tied.model(), path)
        model = tied.model()
        load_model(model, path)
        return module_result(model, tied)


def functional_call(tied: TiedModel, tie_weights: bool) -> Result:
    """Call the model with a plain tensor in place of the first name only; look, during the call,
    at what the two names are bound to.
    """
    model = tied.model()
    replacement = tied.tensor(model, tied.names[0]).detach().clone()
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


COMPILE_BACKEND = "aot_eager"


class CompiledGradientDiffers(AssertionError):
    pass


def compiled(tied: TiedModel) -> Result:
    """torch.compile with the "aot_eager" backend: Dynamo captures the graph and AOTAutograd traces
    forward and backward (where a parameter passed twice is deduplicated), then runs it eagerly; no
    compiler is needed. One forward and backward; its gradient must equal the eager one.
    """
    torch._dynamo.reset()  # earlier compiles of the same class must not count toward its recompiles
    model, eager, x = tied.model(), tied.model(), tied.input()
    compiled_model = torch.compile(model, backend=COMPILE_BACKEND)
    compiled_model(x).sum().backward()
    eager(x).sum().backward()
    name = tied.names[0]
    if not torch.allclose(tied.tensor(model, name).grad, tied.tensor(eager, name).grad):
        raise CompiledGradientDiffers(f"the compiled gradient of {name} differs from eager")
    return module_result(compiled_model, tied)


def init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)


def apply_init(tied: TiedModel) -> Result:
    model = tied.model()
    with seeded():
        model.apply(init_weights)
    return module_result(model, tied)


@contextlib.contextmanager
def process_group_of_one() -> Iterator[None]:
    """A gloo process group of one process, in memory (no port): enough for DDP and fully_shard to
    run; the group is destroyed after. An existing group is used as it is.
    """
    import torch.distributed as dist

    if dist.is_initialized():
        yield
        return
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def ddp(tied: TiedModel) -> Result:
    from torch.nn.parallel import DistributedDataParallel

    model = DistributedDataParallel(tied.model())
    model(tied.input()).sum().backward()
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
    model(tied.input()).sum().backward()
    return module_result(model, tied)


def holders(tied: TiedModel, model: nn.Module) -> list[nn.Module]:
    found = [model.get_submodule(name) for name in tied.holders]
    return found[:1] if found[0] is found[1] else found


def fully_shard_root(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [])


def fully_shard_separately(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [[m] for m in holders(tied, model)])


def fully_shard_together(tied: TiedModel) -> Result:
    return sharded(tied, lambda model: [holders(tied, model)])


@dataclass(frozen=True)
class ReleaseChange:
    """From release `since` on, the operation raises `error` for `models`; before, it did not."""

    since: tuple[int, int]
    error: str
    models: tuple[str, ...]
    before: str
    citation: str


LISTING = "the tie's entries in the listing; the step is handed the listing as it is"

# safetensors' torch functions convert through NumPy.
SAFETENSORS = ("safetensors", "numpy")


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[TiedModel], Result]
    note: str = ""
    change: ReleaseChange | None = None
    needs_process_group: bool = False
    needs: tuple[str, ...] = ()  # optional packages the operation imports
    trains: bool = True  # it leaves a module or a listing of parameters: an optimizer step follows
    once: bool = False  # deterministic and costly: run once per model and process (`kept_outcomes`)


OPERATIONS = (
    Operation("state_dict()", state_dict, trains=False),
    Operation("state_dict(keep_vars=True)", state_dict_keep_vars, trains=False),
    Operation("parameters()", parameters, LISTING),
    Operation("named_parameters()", named_parameters, LISTING),
    Operation(
        "named_parameters(remove_duplicate=False)", named_parameters_with_duplicates, LISTING
    ),
    Operation("load_state_dict(copy)", load_state_dict_copy, "into a fresh model"),
    Operation("load_state_dict(assign=True)", load_state_dict_assign, "into a fresh model"),
    Operation(".to(torch.float64)", to_float64),
    Operation(".half()", half),
    Operation(
        ".to(float64), overwrite flag",
        to_float64_overwriting,
        "torch.__future__.set_overwrite_module_params_on_conversion(True)",
    ),
    Operation(
        ".to(float64), swap flag",
        to_float64_swapping,
        "torch.__future__.set_swap_module_params_on_conversion(True)",
    ),
    Operation("to_empty from CPU", to_empty_from_cpu, "model on the CPU, to_empty(device='cpu')"),
    Operation(
        "to_empty from meta",
        to_empty_from_meta,
        "built under torch.device('meta'), to_empty(device='cpu')",
    ),
    Operation("copy.deepcopy", deepcopy),
    Operation("torch.save/load state_dict", torch_save_state_dict, trains=False),
    Operation(
        "torch.save/load module",
        torch_save_module,
        "torch.load with the installed release's default weights_only",
        change=ReleaseChange(
            since=(2, 6),
            error="UnpicklingError",
            # parametrized_autoencoder fails earlier, in torch.save (RuntimeError), on every release.
            models=("tied_embeddings", "tied_sequential", "tied_autoencoder", "registered_lm_head"),
            before="weights_only defaulted to False and the whole module loaded (pickle keeps "
            "the tie)",
            citation="torch.load's default flipped to weights_only=True in 2.6 "
            "(pytorch/pytorch#137602; 2.6 release notes)",
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
        "load_model into a fresh model",
        needs=SAFETENSORS,
    ),
    Operation(
        "functional_call(tie_weights=True)",
        functional_call_tied,
        "a tensor for the first name only; the names as seen during the call",
        trains=False,
    ),
    Operation(
        "functional_call(tie_weights=False)",
        functional_call_untied,
        "a tensor for the first name only; the names as seen during the call",
        trains=False,
    ),
    Operation(
        f"torch.compile(backend={COMPILE_BACKEND!r})",
        compiled,
        "one forward and backward; gradient checked against eager",
        once=True,
    ),
    Operation("apply(nn.init.normal_)", apply_init, "normal_ on every Linear/Embedding weight"),
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
        needs_process_group=True,
    ),
    Operation(
        "fully_shard(each holder), then root",
        fully_shard_separately,
        "the two holders of the tie in separate FSDP groups; a tie made in forward has one "
        "holder, whose group reshards after its own forward: the root's forward then reads the "
        "tied weight as a sharded DTensor",
        change=ReleaseChange(
            since=(2, 13),
            error="ValueError",
            models=("registered_lm_head", "parametrized_autoencoder"),
            before="no check: each group sharded its own copy of the tied Parameter and the tie "
            "split silently (with uneven shards the last rank's rows were never updated, "
            "pytorch/pytorch#176076)",
            citation="FSDP2 rejects a parameter managed by two FSDP groups at the first forward "
            "from 2.13 (pytorch/pytorch#176225, #176257; huggingface/accelerate#4171)",
        ),
        needs_process_group=True,
    ),
    Operation(
        "fully_shard([both holders]), then root",
        fully_shard_together,
        "the two holders of the tie in one FSDP group: the fix the error message gives",
        needs_process_group=True,
    ),
)

STEP = " + SGD step"


def operation(name: str) -> Operation:
    return next(o for o in OPERATIONS if o.name == name)


# --- the table ------------------------------------------------------------------------------------


def outcomes(op: Operation, tied: TiedModel) -> tuple[Outcome, Outcome | None]:
    """Run `op` on a fresh `tied` model: the outcome, then (where the operation leaves something to
    train) the outcome of one optimizer step after it.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # the table records outcomes; deprecation notes are noise
        if op.needs_process_group:
            stack.enter_context(process_group_of_one())
        try:
            result = op.run(tied)
        except Exception as error:
            failed = Outcome(None, None, error_text(error))
            return failed, (failed if op.trains else None)
        found = outcome_of(result)
        if not op.trains:
            return found, None
        try:
            return found, moves_of_one_step(result)
        except Exception as error:
            return found, Outcome(None, None, error_text(error))


def row(op: Operation, then_step: bool, tied: TiedModel, found: Outcome) -> dict:
    return {
        "operation": op.name + (STEP if then_step else ""),
        "model": tied.name,
        "tied_after": found.tied_after,
        "storage_shared": found.storage_shared,
        "error": found.error,
    }


@functools.cache
def kept_outcomes(operation_name: str, model_name: str) -> tuple[Outcome, Outcome | None]:
    """`outcomes` of an operation marked `once`: a compile costs more than every other row
    together, and the suite asks for each compile row twice (its row, the command's table)."""
    return outcomes(operation(operation_name), tied_model(model_name))


def rows_of(op: Operation, tied: TiedModel) -> list[dict]:
    """The operation's row for `tied` and, where it trains, the row of the step after it."""
    found, stepped = kept_outcomes(op.name, tied.name) if op.once else outcomes(op, tied)
    return [row(op, False, tied, found)] + ([row(op, True, tied, stepped)] if stepped else [])


def rows() -> list[dict]:
    """Table order: each operation on every model, then its optimizer step on every model."""
    found = [rows_of(op, tied) for op in OPERATIONS for tied in MODELS]
    by_operation = [found[i : i + len(MODELS)] for i in range(0, len(found), len(MODELS))]
    return [pair[k] for group in by_operation for k in (0, 1) for pair in group if k < len(pair)]


def table() -> dict:
    return {"torch": torch.__version__, "rows": rows()}


# --- memory ---------------------------------------------------------------------------------------


def memory() -> list[dict]:
    """The documents' "sharing saves memory", measured: parameter bytes counted once per object and
    once per name, and the bytes of the saved state_dict, for each tied model and its untied copy.
    """
    figures = []
    for tied in MODELS:
        model = tied.model()
        figures.append(
            {
                "model": tied.name,
                "tied": memory_footprint(model),
                "untied": memory_footprint(tied.untied(model)),
            }
        )
    return figures


# --- the text form --------------------------------------------------------------------------------


def cell(found: dict) -> str:
    if found["error"] is not None:
        return "raises " + found["error"].split(":", 1)[0]
    if found["operation"].endswith(STEP):
        return {True: "once", False: "twice" if found["storage_shared"] else "apart"}[
            found["tied_after"]
        ]
    if found["tied_after"]:
        return "tied"
    return "split, shared" if found["storage_shared"] else "split"


LEGEND = (
    "tied: the two names are one object | split, shared: two objects over one storage | "
    "split: two separate tensors\n"
    "+ SGD step (gradient of ones, lr=1): once: the tie moved once | twice: its storage moved twice "
    "| apart: the names moved as separate copies"
)


def render(table: dict) -> str:
    models = list(dict.fromkeys(r["model"] for r in table["rows"]))
    operations = list(dict.fromkeys(r["operation"] for r in table["rows"]))
    found = {(r["operation"], r["model"]): r for r in table["rows"]}
    grid = [[name] + [cell(found[name, m]) if (name, m) in found else "" for m in models] for name in operations]  # fmt: skip
    header = ["", *models]
    widths = [max(len(line[i]) for line in [header, *grid]) for i in range(len(header))]
    lines = [f"Tie survival on torch {table['torch']} (compile backend: {COMPILE_BACKEND})", ""]
    for line in [header, *grid]:
        lines.append("  ".join(t.ljust(w) for t, w in zip(line, widths, strict=True)).rstrip())
    lines += ["", LEGEND, "", "Models:"]
    lines += [f"  {m.name}: {m.how} ({m.names[0]} / {m.names[1]})" for m in MODELS if m.name in models]  # fmt: skip
    errors = sorted({r["error"] for r in table["rows"] if r["error"]})
    if errors:
        lines += ["", "Errors:"] + [f"  {e}" for e in errors]
    lines += ["", "Notes:"]
    for op in OPERATIONS:
        if op.note:
            lines.append(f"  {op.name}: {op.note}")
        if op.change:
            change = op.change
            lines.append(
                f"  {op.name}: from torch {change.since[0]}.{change.since[1]}, {change.error} "
                f"for {', '.join(change.models)}; before: {change.before}. {change.citation}"
            )
    lines += ["", "Memory (bytes): parameters once per object / once per name / saved state_dict"]
    for figure in memory():
        tied, untied = figure["tied"], figure["untied"]
        lines.append(
            f"  {figure['model']}: tied {tied['parameter_bytes_unique']} / "
            f"{tied['parameter_bytes_total']} / {tied['state_dict_bytes_saved']}; untied "
            f"{untied['parameter_bytes_unique']} / {untied['parameter_bytes_total']} / "
            f"{untied['state_dict_bytes_saved']}"
        )
    return "\n".join(lines)
