"""The tie survival table's rows and their reasons: each operation with its note and citations, the
errors the table has met, and what rows read on releases before a change. The tied models are in
`survival_models.py`, the operations' code in `survival_operations.py`.

Nothing here runs the table (`survival.py` does) or prints it (`survival_render.py`).

Citations are of three kinds, each with its state: a PyTorch tracker issue ("open", "closed"), a
release note ("changed in 2.6"), or the documentation of a behaviour that is by design ("documented;
no tracker issue found"). `KNOWN_ERRORS` names every exception the table has met by its type and a
phrase that every measured release's message contains (messages are reworded between releases, so
the whole text is never locked). `Earlier` entries say what a row was on releases before a change,
measured on those releases (docs/survival/<release>.json).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from .survival_models import TiedModel
from .survival_operations import (
    COMPILE_BACKEND,
    Result,
    apply_init,
    as_float64,
    as_half,
    assign_load_then_compile,
    assign_load_then_default_load,
    children,
    compiled,
    ddp,
    deepcopy,
    deepcopy_then_to_float64,
    distributed_checkpoint_flat_optimizer,
    distributed_checkpoint_model,
    distributed_checkpoint_optimizer,
    exported,
    exported_joint,
    fully_shard_root,
    fully_shard_separately,
    fully_shard_together,
    functional_call_then_module,
    functional_call_tied,
    functional_call_untied,
    half,
    handed_in,
    load_state_dict_assign,
    load_state_dict_copy,
    meta_fully_shard_root_then_to_empty,
    meta_fully_shard_separately_then_to_empty,
    modules,
    named_modules,
    named_modules_with_duplicates,
    named_parameters,
    named_parameters_with_duplicates,
    parameters,
    quantized_dynamic,
    safetensors_file,
    safetensors_model,
    state_dict,
    state_dict_keep_vars,
    to_empty_from_cpu,
    to_empty_from_meta,
    to_empty_then_load,
    to_float64,
    to_float64_overwriting,
    to_float64_swapping,
    torch_save_module,
    torch_save_module_unsafe,
    torch_save_state_dict,
    unchanged,
    unflattened,
)

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

JOINT_EXPORT_BEFORE_2_8 = Citation(
    "measured: docs/survival/2.5.1.json to 2.7.1.json",
    "changed in 2.6 and in 2.8; no tracker issue found",
    "the joint forward-backward traced every tie on 2.5; on 2.6 and 2.7 it failed the ties made in "
    "forward instead of the Sequential's",
)

FLAT_OPTIMIZER_STATE_BEFORE_2_7 = Citation(
    "pytorch/torchtitan#594, pytorch/pytorch#148825",
    "closed; measured: restored from 2.7",
    "set_state_dict with the optimizer state flattened looked up the state of the tie's second "
    "name, which get_state_dict had not written (Modalities/modalities#348 reports the same)",
    models=("registered_lm_head", "parametrized_autoencoder"),
    bug=True,
)

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
        once=True,
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
        once=True,
    ),
    Operation(
        "torch.export.export → _export_forward_backward",
        exported_joint,
        "experimental; the model's output summed as the loss; the joint program's state_dict "
        "entries for the two names",
        trains=False,
        citations=(JOINT_EXPORT_UNUSED_ALIAS.citation,),
        earlier=(
            Earlier((2, 6), "tied", JOINT_EXPORT_BEFORE_2_8),
            Earlier(
                (2, 8),
                "raises",
                JOINT_EXPORT_BEFORE_2_8,
                models=("tied_embeddings", "tied_autoencoder"),
                error=JOINT_EXPORT_UNUSED_ALIAS.text,
            ),
            Earlier((2, 8), "tied", JOINT_EXPORT_BEFORE_2_8, models=("tied_sequential",)),
        ),
        once=True,
    ),
    Operation(
        "dcp.save/load, model state",
        distributed_checkpoint_model,
        "torch.distributed.checkpoint, gloo, a group of one; into a fresh model's state_dict, "
        "from a model whose every parameter is one higher",
        promise=handed_in,
        needs_process_group=True,
        once=True,
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
        once=True,
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
        # The failure Modalities/modalities#348 reports, reproduced before pytorch/pytorch#148825.
        earlier=tuple(
            Earlier((2, 7), "raises", FLAT_OPTIMIZER_STATE_BEFORE_2_7, models=(model,), error=error)
            for model, error in (
                ("registered_lm_head", "KeyError: 'state.lm_head.weight.step'"),
                (
                    "parametrized_autoencoder",
                    "KeyError: 'state.decoder.parametrizations.weight.original.step'",
                ),
            )
        ),
        once=True,
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
