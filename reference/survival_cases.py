"""The tie survival table's rows and their reasons: each operation with its note, what it needs, the
reasons that explain its rows, the errors the table has met, and what rows read on releases before a
change. The tied models are in `survival_models.py`, the operations' code in `survival_operations.py`.

Nothing here runs the table (`survival.py`) or prints it (`survival_render.py`).

A reason (`Reason`) says why rows read what they read and rests on references, each rated by what
it is to the row: it reports this row, is the fix, is the change, documents it, is context, or shows
the same error elsewhere. A `Why` attaches a reason to rows: to a kind of tie (`Ties`, read from the
model by `survival_models.tie_of`, never a model's name), to an outcome (`Outcomes`) and to the
releases it covers (`Releases`). A row's reasons are every `Why` that matches it on its release:
nothing is chosen by being first. `KNOWN_ERRORS` names every exception the table has met by its type
and a phrase every measured release's message holds; `ERROR_WHYS` explain them wherever they occur.
`Earlier` entries say what a row read on releases before a change, measured on those releases
(docs/survival/<release>.json) and checked there by the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .releases import SUPPORTED_FLOOR, releases_before
from .survival_models import Tie, TiedModel
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
    compiled_by_inductor,
    ddp,
    deepcopy,
    deepcopy_then_to_float64,
    distributed_checkpoint_flat_optimizer,
    distributed_checkpoint_model,
    distributed_checkpoint_optimizer,
    exported_joint,
    exported_non_strict,
    exported_strict,
    fully_shard_root,
    fully_shard_separately,
    fully_shard_together,
    functional_call_then_module,
    functional_call_tied,
    functional_call_untied,
    half,
    handed_in,
    init_empty_weights_on_meta,
    init_empty_weights_rank0_load,
    load_state_dict_assign,
    load_state_dict_copy,
    meta_fully_shard_root_then_to_empty,
    meta_fully_shard_separately_then_to_empty,
    meta_rank0_load,
    modules,
    named_modules,
    named_modules_with_duplicates,
    named_parameters,
    named_parameters_with_duplicates,
    parameters,
    pipeline_split_backward,
    quantized_dynamic,
    safetensors_file,
    safetensors_model,
    state_dict,
    state_dict_keep_vars,
    tensor_parallel,
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

STEP = " + SGD step"

# --- references, rated -----------------------------------------------------------------------------

# What a reference is to the row it is cited for.
REPORTS = "reports this row"
THE_FIX = "the fix"
THE_CHANGE = "the change"
DOCUMENTS = "documents it"
CONTEXT = "context"
SAME_ERROR = "same error elsewhere"
RATINGS = (REPORTS, THE_FIX, THE_CHANGE, DOCUMENTS, CONTEXT, SAME_ERROR)


@dataclass(frozen=True)
class Reference:
    """A tracker thread (owner/repo#N), a release note or a documentation page, its `state` on the
    tracker ("open", "closed", "merged"; empty for a page) and its `rating` for the row. `bug`: it
    reports a PyTorch bug (rated REPORTS), which is what makes a split "split by a PyTorch bug"."""

    source: str
    state: str
    rating: str
    bug: bool = False

    def text(self) -> str:
        return f"{self.source} ({'; '.join(part for part in (self.state, self.rating) if part)})"


@dataclass(frozen=True)
class Reason:
    """Why rows read what they read, and the references that say so. `unsupported`: the operation
    is not supported there (FSDP2 on the CPU before 2.7): no tie broke."""

    says: str
    references: tuple[Reference, ...]
    unsupported: bool = False

    @property
    def pytorch_bug(self) -> bool:
        return any(r.bug and r.rating == REPORTS for r in self.references)

    def line(self) -> str:
        return "; ".join(r.text() for r in self.references) + ": " + self.says


Release = tuple[int, int]


@dataclass(frozen=True)
class Releases:
    """The releases a reason covers: from `since` (included) up to `until` (excluded); None: open."""

    since: Release | None = None
    until: Release | None = None

    def covers(self, release: Release) -> bool:
        return (self.since is None or release >= self.since) and (
            self.until is None or release < self.until
        )

    def words(self) -> str:
        """'' for every release; else 'on torch 2.7–2.11', 'from torch 2.12', 'on torch 2.5–2.7'."""
        if self.until is not None:
            return "on " + releases_before(self.until, self.since or SUPPORTED_FLOOR)
        if self.since is not None:
            return f"from torch {self.since[0]}.{self.since[1]}"
        return ""


EVERY_RELEASE = Releases()

# --- what a reason attaches to: a kind of tie, an outcome --------------------------------------------


@dataclass(frozen=True)
class Ties:
    """A kind of tie, in words, and the test that picks it out of a `Tie`."""

    words: str
    test: Callable[[Tie], bool]


ANY_TIE = Ties("", lambda tie: True)  # no kind to name
TWO_NAMES = Ties("a tie with two names", lambda tie: tie.names > 1)
TWO_HOLDERS = Ties("a tie held by two modules", lambda tie: tie.holders > 1)
MODULE_TWICE = Ties("one module under two names", lambda tie: tie.module_twice)
IN_FORWARD = Ties("a tie made in forward (one name)", lambda tie: tie.names == 1)
HELD_BY_ROOT = Ties("a tie held by the root itself", lambda tie: tie.held_by_root)
HELD_BELOW_ROOT = Ties("a tie held below the root", lambda tie: not tie.held_by_root)


def visits_count(row: dict) -> int | None:
    """How many times a visiting operation reached the tie (None: it does not visit, or raised)."""
    label = row.get("visits")
    if label is None:
        return None
    return {"once": 1, "twice": 2}.get(label) or int(label.split()[0])


def broke(row: dict) -> bool:
    """The tie split (two objects), or a step moved it more than once or its names apart."""
    outcome = row["outcome"]
    return outcome in ("split", "split, shared", "apart", "twice") or outcome.startswith("moved ")


@dataclass(frozen=True)
class Outcomes:
    """The rows a reason speaks of, in words, and the test that picks them out."""

    words: str
    test: Callable[[dict], bool]


BROKE = Outcomes("the tie split", lambda row: not row.get("error") and broke(row))
REACHED_TWICE = Outcomes("reached twice", lambda row: (visits_count(row) or 0) > 1)
REACHED_NEVER = Outcomes("never reached", lambda row: visits_count(row) == 0)
OTHER_VALUES = Outcomes(
    "values other than promised",
    lambda row: row.get("promised_values") is False and not row["operation"].endswith(STEP),
)
ANY_OUTCOME = Outcomes("any outcome", lambda row: True)


def raises(phrase: str) -> Outcomes:
    """Rows whose error holds `phrase` (errors read `Type: phrase`)."""
    return Outcomes(f"raises {phrase}", lambda row: phrase in (row.get("error") or ""))


@dataclass(frozen=True)
class Why:
    """`reason` explains the rows of `outcomes` for ties of kind `ties`, on the releases it covers.
    A `context` reason explains nothing surprising: it is a note beside rows that read as expected
    (a report this table measures otherwise, a tie the operation handles its own way)."""

    reason: Reason
    ties: Ties
    outcomes: Outcomes
    releases: Releases = EVERY_RELEASE
    context: bool = False

    def matches(self, row: dict, tie: Tie, release: Release) -> bool:
        return self.releases.covers(release) and self.ties.test(tie) and self.outcomes.test(row)


# --- errors the table has met ---------------------------------------------------------------------


@dataclass(frozen=True)
class KnownError:
    """An exception the table has met: its type and a phrase every measured release's message
    holds. A row records it as `Type: phrase`."""

    type: str
    phrase: str

    @property
    def text(self) -> str:
        return f"{self.type}: {self.phrase}"


WEIGHTS_ONLY = KnownError("UnpicklingError", "Weights only load failed")
PARAMETRIZED_PICKLE = KnownError(
    "RuntimeError", "Serialization of parametrized modules is only supported through state_dict()"
)
SHARED_MEMORY = KnownError("RuntimeError", "Some tensors share memory")
MIXED_DTENSOR = KnownError("RuntimeError", "got mixed torch.Tensor and DTensor")
SHARED_ACROSS_FSDP_GROUPS = KnownError(
    "ValueError", "is shared with a parameter already managed by another FSDP group"
)
JOINT_EXPORT_UNUSED_ALIAS = KnownError(
    "AssertionError", "Found a parameter that did not receive a gradient"
)
FROM_FLOAT = KnownError("AssertionError", "from_float only works for")
UNFLATTEN_CANNOT_OUTLINE = KnownError("RuntimeError", "is not a descendant of parent")
FSDP_NEEDS_CUDA = KnownError("RuntimeError", "FSDP requires CUDA for streams")
NO_RECORD_EVENT = KnownError("AttributeError", "object has no attribute 'record_event'")
BACKWARD_TWICE = KnownError("RuntimeError", "Trying to backward through the graph a second time")
# What the strict export's module lacks on the newest releases (the whole message: the attribute
# named is the name the graph signature dropped; earlier releases dropped others, see Earlier).
EXPORTED_MODULE_LACKS = tuple(
    KnownError("AttributeError", f"'{kind}' object has no attribute '{name}'")
    for kind, name in (
        ("GraphModule", "4"),
        ("GraphModule", "lm_head"),
        ("Module", "parametrizations"),
    )
)
SPLIT_SET_ORDER = KnownError(
    "SplitDependsOnSetOrder", "the outcome depends on the order of a set of autograd nodes"
)

KNOWN_ERRORS = (
    WEIGHTS_ONLY,
    PARAMETRIZED_PICKLE,
    SHARED_MEMORY,
    MIXED_DTENSOR,
    SHARED_ACROSS_FSDP_GROUPS,
    JOINT_EXPORT_UNUSED_ALIAS,
    FROM_FLOAT,
    UNFLATTEN_CANNOT_OUTLINE,
    FSDP_NEEDS_CUDA,
    NO_RECORD_EVENT,
    BACKWARD_TWICE,
    SPLIT_SET_ORDER,
    *EXPORTED_MODULE_LACKS,
)


def known_error(type_name: str, message: str) -> KnownError | None:
    return next((k for k in KNOWN_ERRORS if k.type == type_name and k.phrase in message), None)


# The same error has three causes in the table: each operation that meets it says which.
RESHARDED_AFTER_ITS_GROUPS_FORWARD = Why(
    Reason(
        "the group holding a tie made in forward reshards it after its own forward (the "
        "registered parameters are then the sharded ones), so the read outside that group "
        "meets a sharded DTensor beside plain tensors",
        (
            Reference(
                "docs: torch.distributed.fsdp.fully_shard (reshard_after_forward)",
                "",
                DOCUMENTS,
            ),
            Reference("pytorch/pytorch#153354", "closed", SAME_ERROR),
        ),
    ),
    ANY_TIE,
    raises(MIXED_DTENSOR.text),
)

FSDP2_ON_CPU = Reason(
    "FSDP2 needed CUDA streams (2.5), then a CPU Stream without record_event (2.6); the PR made the "
    "CPU stream's record_event/wait_event no-ops",
    (Reference("pytorch/pytorch#145935", "merged", THE_FIX),),
    unsupported=True,
)

SPLIT_ACROSS_FSDP_GROUPS = Reference(
    "pytorch/pytorch#176076",
    "closed",
    REPORTS,
    bug=True,
)

# Explained wherever they occur, whatever the operation.
ERROR_WHYS = (
    Why(
        Reason(
            "torch.load defaults to weights_only=True, which refuses to unpickle a module",
            (Reference("PyTorch 2.6 release notes", "", THE_CHANGE),),
        ),
        ANY_TIE,
        raises(WEIGHTS_ONLY.text),
        Releases(since=(2, 6)),
    ),
    Why(
        Reason(
            "a parametrized module pickles only through its state_dict: the class parametrize "
            "generates refuses __getstate__ (deepcopy is still allowed)",
            (Reference("torch/nn/utils/parametrize.py", "read in the source", DOCUMENTS),),
        ),
        ANY_TIE,
        raises(PARAMETRIZED_PICKLE.text),
    ),
    Why(
        Reason(
            "save_file refuses tensors that share storage; save_model/load_model handle ties",
            (Reference("safetensors docs: torch_shared_tensors", "", DOCUMENTS),),
        ),
        ANY_TIE,
        raises(SHARED_MEMORY.text),
    ),
    Why(
        Reason(
            "FSDP2 rejects, at the first forward, a Parameter that two FSDP groups manage; before "
            "the check each group sharded it on its own (pytorch/pytorch#176076). The check is in "
            "torch 2.12.0's source, not 2.11.0's",
            (
                Reference("pytorch/pytorch#176225", "closed; landed", THE_FIX),
                Reference(
                    "huggingface/accelerate#4171",
                    "merged; dates the check to torch >= 2.13, one release late",
                    CONTEXT,
                ),
                Reference("NVIDIA/Model-Optimizer#2059", "open; met on 2.12.0a0", CONTEXT),
            ),
        ),
        ANY_TIE,
        raises(SHARED_ACROSS_FSDP_GROUPS.text),
        Releases(since=(2, 12)),
    ),
    Why(
        Reason(
            "the dynamic quantized Linear's from_float takes a module whose type is exactly a "
            "listed one; parametrize makes the decoder a generated subclass (ParametrizedLinear), "
            "which it refuses",
            (
                Reference(
                    "torch/ao/nn/quantized/dynamic/modules/linear.py (from_float)",
                    "read in the source",
                    DOCUMENTS,
                ),
            ),
        ),
        ANY_TIE,
        raises(FROM_FLOAT.text),
    ),
    Why(
        Reason(
            "unflatten could not outline a Sequential's children (the report's own repro), nor a "
            "module the exported graph calls by a second path (parametrize's decoder@1)",
            (Reference("pytorch/pytorch#130931", "closed", REPORTS, bug=True),),
        ),
        ANY_TIE,
        raises(UNFLATTEN_CANNOT_OUTLINE.text),
        Releases(until=(2, 8)),
    ),
    Why(FSDP2_ON_CPU, ANY_TIE, raises(FSDP_NEEDS_CUDA.text), Releases(until=(2, 6))),
    Why(FSDP2_ON_CPU, ANY_TIE, raises(NO_RECORD_EVENT.text), Releases((2, 6), (2, 7))),
)

# --- what an operation needs --------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """An optional package an operation imports or torch reaches for: `module` to import, what to
    `pip install`, why, and the releases that need it."""

    module: str
    pip: str
    why: str
    releases: Releases = EVERY_RELEASE


SAFETENSORS = Requirement("safetensors", "safetensors", "the file format")
# safetensors' torch functions convert through NumPy.
SAFETENSORS_NUMPY = Requirement("numpy", "numpy", "safetensors.torch converts through NumPy")
OBJECT_COLLECTIVES_NUMPY = Requirement(
    "numpy",
    "numpy",
    "dcp exchanges its plans through torch.distributed's object collectives, which unpickle "
    "through tensor.numpy() (read in the source of torch 2.5.1 to 2.15.0); torch does not install "
    "NumPy",
)

ACCELERATE = Requirement(
    "accelerate",
    "accelerate",
    "init_empty_weights is accelerate's (the hf extra: pip install -e '.[hf]')",
)

# --- what rows read before a change -------------------------------------------------------------------


@dataclass(frozen=True)
class Earlier:
    """On releases before `until`, the operation's rows for `models` read `outcome` (and `error`,
    and the `facts` the row records, as (key, value) pairs: an export's signature) instead of what
    the snapshots lock (their reasons are the `Why`s that match them there)."""

    until: Release
    outcome: str
    models: tuple[str, ...]
    error: str | None = None
    facts: tuple[tuple[str, str], ...] = ()

    def read(self) -> tuple[str, str | None, dict[str, str]]:
        """What the row reads: its outcome, its error and its facts."""
        return self.outcome, self.error, dict(self.facts)


ALL_MODELS = ("tied_embeddings", "tied_sequential", "tied_autoencoder", "registered_lm_head", "parametrized_autoencoder")  # fmt: skip
TWO_HOLDER_MODELS = ("registered_lm_head", "parametrized_autoencoder")


def fsdp2_before_cpu_support(models: tuple[str, ...]) -> tuple[Earlier, ...]:
    return (
        Earlier((2, 6), "raises", models, FSDP_NEEDS_CUDA.text),
        Earlier((2, 7), "raises", models, NO_RECORD_EVENT.text),
    )


FSDP2_BEFORE_CPU_SUPPORT = fsdp2_before_cpu_support(ALL_MODELS)
# The rank-0 loads: tied_sequential's load fails before FSDP2 meets the CPU, on every release.
RANK0_LOAD_BEFORE_CPU_SUPPORT = fsdp2_before_cpu_support(
    tuple(m for m in ALL_MODELS if m != "tied_sequential")
)


def signature_before(
    until: Release, model: str, signature: str, error: str | None = None
) -> Earlier:
    """An export row's reading before a change: tied (or `error`), with the graph signature it
    kept."""
    return Earlier(
        until, "raises" if error else "tied", (model,), error, (("signature", signature),)
    )


def no_attribute(kind: str, name: str) -> str:
    return f"AttributeError: '{kind}' object has no attribute '{name}'"


PARAMETRIZED_ORIGINAL = "decoder.parametrizations.weight.original"
# Measured on every release: strict export kept the later name of a two-name tie up to 2.8 and the
# first from 2.9; it listed a tie's parameter twice on 2.5 (one read each) and on 2.6-2.9 (the
# second unread), once from 2.10.
STRICT_EXPORT_BEFORE = (
    signature_before((2, 6), "tied_embeddings", "embed_tokens.weight ×1, embed_tokens.weight ×1"),
    signature_before((2, 10), "tied_embeddings", "embed_tokens.weight ×0, embed_tokens.weight ×2"),
    signature_before((2, 6), "tied_autoencoder", "encoder.weight ×1, encoder.weight ×1"),
    signature_before((2, 10), "tied_autoencoder", "encoder.weight ×0, encoder.weight ×2"),
    signature_before((2, 9), "tied_sequential", "4.weight ×2", no_attribute("GraphModule", "2")),
    signature_before(
        (2, 6),
        "registered_lm_head",
        "lm_head.weight ×1, lm_head.weight ×1",
        no_attribute("GraphModule", "embed_tokens"),
    ),
    signature_before(
        (2, 9),
        "registered_lm_head",
        "lm_head.weight ×0, lm_head.weight ×2",
        no_attribute("GraphModule", "embed_tokens"),
    ),
    signature_before(
        (2, 10),
        "registered_lm_head",
        "embed_tokens.weight ×0, embed_tokens.weight ×2",
        no_attribute("GraphModule", "lm_head"),
    ),
    signature_before(
        (2, 6),
        "parametrized_autoencoder",
        f"{PARAMETRIZED_ORIGINAL} ×1, {PARAMETRIZED_ORIGINAL} ×1",
        no_attribute("Module", "weight"),
    ),
    signature_before(
        (2, 9),
        "parametrized_autoencoder",
        f"{PARAMETRIZED_ORIGINAL} ×0, {PARAMETRIZED_ORIGINAL} ×2",
        no_attribute("Module", "weight"),
    ),
    signature_before(
        (2, 10),
        "parametrized_autoencoder",
        "encoder.weight ×0, encoder.weight ×2",
        no_attribute("Module", "parametrizations"),
    ),
)
# Non-strict export read each name of a two-holder tie once on 2.5; from 2.6 both uses read the last.
NON_STRICT_EXPORT_BEFORE = (
    signature_before((2, 6), "registered_lm_head", "embed_tokens.weight ×1, lm_head.weight ×1"),
    signature_before(
        (2, 6), "parametrized_autoencoder", f"encoder.weight ×1, {PARAMETRIZED_ORIGINAL} ×1"
    ),
)


def split_differs(name: str) -> str:
    return f"SplitGradientDiffers: the split-backward gradient of {name} differs from eager"


# Before the fix (2.13), the split counted a weight used on one path twice (#180952); in
# tied_autoencoder's other set order too.
SPLIT_BACKWARD_BEFORE = (
    Earlier((2, 13), "raises", ("tied_sequential",), split_differs("2.weight")),
    Earlier((2, 13), "raises", ("parametrized_autoencoder",), split_differs("encoder.weight")),
    Earlier(
        (2, 13),
        "raises",
        ("tied_autoencoder",),
        SPLIT_SET_ORDER.text,
        (
            (
                "set_orders",
                f"forward: {BACKWARD_TWICE.text}; backward: {split_differs('encoder.weight')}",
            ),
        ),
    ),
)

# --- the operations -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[TiedModel], Result]
    note: str = ""
    promise: Callable[[torch.Tensor], torch.Tensor] | None = unchanged
    whys: tuple[Why, ...] = ()
    earlier: tuple[Earlier, ...] = ()
    needs_process_group: bool = False
    needs: tuple[Requirement, ...] = ()  # optional packages it (or torch, for it) imports
    trains: bool = True  # it leaves a module or a listing of parameters: an optimizer step follows
    once: bool = False  # deterministic and costly: run once per model and process (`kept_outcomes`)
    ranks: int = 1  # more than one: run in that many processes joined in a gloo group (spawned)
    # It costs seconds a model (ranks started, inductor's compile): `survival --quick` leaves it
    # out, and so does the default suite, which checks its stored rows instead.
    slow: bool = False
    # It leaves uninitialised memory (to_empty): two separate tensors' values are whatever was there.
    uninitialised: bool = False

    def earlier_on(self, release: Release, model: str) -> Earlier | None:
        """What the row read on `release`, where that release predates a change to it."""
        return next(
            (e for e in sorted(self.earlier, key=lambda e: e.until) if release < e.until and model in e.models),
            None,
        )  # fmt: skip

    def needed_on(self, release: Release) -> tuple[Requirement, ...]:
        return tuple(r for r in self.needs if r.releases.covers(release))


def documented(page: str, says: str) -> Reason:
    """A behaviour by design, as its documentation page says."""
    return Reason(says, (Reference(f"docs: {page}", "", DOCUMENTS),))


LISTING = "the tie's entries in the listing; the step is handed the listing as it is"
VISITS = "counts the visits that reach a module holding the tie's Parameter"
LOADED = "into a fresh model, from a model whose every parameter is one higher"

STATE_DICT_DETACHES = Why(
    documented(
        "torch.nn.Module.state_dict",
        "each key holds the tensor detached (a new object per name over the shared storage) "
        "unless keep_vars=True",
    ),
    TWO_NAMES,
    BROKE,
)

ASSIGN_SPLITS = Why(
    Reason(
        "assign=True sets each name to its own loaded object, so tied names stop aliasing and an "
        "optimizer steps the shared storage twice",
        (
            Reference("pytorch/pytorch#188346", "closed", REPORTS, bug=True),
            Reference("pytorch/pytorch#188347", "open", THE_FIX),
        ),
    ),
    TWO_HOLDERS,
    BROKE,
)

TO_EMPTY_SPLITS = Why(
    Reason(
        "a meta tensor cannot take new storage in place, so to_empty gives each holder a new "
        "Parameter of its own: the tie splits, silently; re-tie after to_empty. No pytorch/pytorch "
        "bug report found",
        (
            Reference("Modalities/modalities#357", "open", REPORTS),
            Reference("huggingface/accelerate#3154", "merged; re-ties after to_empty", CONTEXT),
            Reference("pytorch/pytorch#143181", "closed; a comment traces a hang to it", CONTEXT),
        ),
    ),
    TWO_HOLDERS,
    BROKE,
)

EXPORT_OF_A_TIE_IN_FORWARD = Why(
    Reason(
        "export raised on a tie made in forward (F.linear(h, encoder.weight.t()), "
        "tied_autoencoder's own form) on torch 2.3.0; here it exports and the tie holds",
        (Reference("pytorch/pytorch#127357", "open", CONTEXT),),
    ),
    IN_FORWARD,
    ANY_OUTCOME,
    context=True,
)

STRICT_EXPORT_KEEPS_ONE_NAME = Why(
    Reason(
        "strict export (Dynamo) keeps the tied Parameter under one of its names (the later up "
        "to 2.8, the first from 2.9: the row's signature says which), so the exported module "
        "lacks the other and reading it raises; strict=True was export's default up to 2.7",
        (
            Reference("pytorch/pytorch#160600", "closed, not merged", REPORTS, bug=True),
            Reference(
                "pytorch/pytorch#148790",
                "closed; torch 2.7.1 reads strict=True, 2.8.0 strict=False",
                THE_CHANGE,
            ),
        ),
    ),
    TWO_NAMES,
    raises("AttributeError: "),
)


def reads_a_name_never(row: dict) -> bool:
    """An export whose graph signature keeps a name of the tie that no graph node reads."""
    return any(part.endswith(" ×0") for part in (row.get("signature") or "").split(", "))


NON_STRICT_EXPORT_READS_ONE_NAME = Why(
    Reason(
        "non-strict export keeps a parameter input for each name of a tied Parameter, but both "
        "uses read one of them (the last name) and the other is never read (from 2.6; 2.5 read "
        "each name once, a Sequential's repeated module aside): a pass that maps the graph's "
        "reads back to names finds the input embedding reading the output projection; the tie "
        "itself holds",
        (
            Reference("huggingface/transformers#47979", "open", REPORTS),
            Reference(
                "pytorch/pytorch#185803",
                "closed, not merged; describes the unused duplicate placeholder",
                CONTEXT,
            ),
        ),
    ),
    TWO_NAMES,
    Outcomes("a name kept but never read", reads_a_name_never),
    context=True,
)

JOINT_EXPORT_ONE_INPUT_PER_NAME = Why(
    Reason(
        "non-strict export (the default from 2.8) keeps one parameter input per name of a tied "
        "Parameter and the graph reads one of them; the joint decomposition asserts on the other, "
        "which receives no gradient (measured on 2.13: strict export keeps one name and the joint "
        "traces)",
        (
            Reference("pytorch/pytorch#147380", "open", REPORTS, bug=True),
            Reference("pytorch/pytorch#185803", "closed, not merged", THE_FIX),
        ),
    ),
    TWO_NAMES,
    raises(JOINT_EXPORT_UNUSED_ALIAS.text),
    Releases(since=(2, 8)),
)

JOINT_EXPORT_UNDER_STRICT = Why(
    Reason(
        "the joint decomposition asserts on a parameter without a gradient; the report (filed "
        "when strict export was the default) shows this failure on a tied lm_head; the mechanism "
        "under strict export is not traced here",
        (Reference("pytorch/pytorch#147380", "open", REPORTS, bug=True),),
    ),
    TWO_NAMES,
    raises(JOINT_EXPORT_UNUSED_ALIAS.text),
    Releases((2, 6), (2, 8)),
)

JOINT_EXPORT_OF_A_TIE_IN_FORWARD = Why(
    Reason(
        "the same assertion on a tie made in forward, which has one name; its cause is not traced",
        (Reference("pytorch/pytorch#101192", "open", SAME_ERROR),),
    ),
    IN_FORWARD,
    raises(JOINT_EXPORT_UNUSED_ALIAS.text),
    Releases((2, 6), (2, 8)),
)

OPTIMIZER_STATE_OF_A_TIE = Why(
    Reason(
        "both report set_optimizer_state_dict failing on a model with tied weights sharded by "
        "FSDP, its optimizer state flattened; here, without FSDP, the one Parameter's state is "
        "restored and both names reach it",
        (
            Reference("Modalities/modalities#348", "open", CONTEXT),
            Reference("pytorch/torchtitan#594", "closed", CONTEXT),
        ),
    ),
    ANY_TIE,
    Outcomes("restored", lambda row: row["outcome"] == "tied"),
    context=True,
)

FLAT_OPTIMIZER_STATE_OF_THE_SECOND_NAME = Why(
    Reason(
        "set_state_dict with the optimizer state flattened looked up the state of the tie's "
        "second name, which get_state_dict had not written",
        (
            Reference("pytorch/torchtitan#594", "closed", REPORTS, bug=True),
            Reference("pytorch/pytorch#148825", "merged", THE_FIX),
            Reference("Modalities/modalities#348", "open", REPORTS),
            Reference("Modalities/modalities#381", "open", SAME_ERROR),
        ),
    ),
    TWO_HOLDERS,
    raises("KeyError: 'state."),
    Releases(until=(2, 7)),
)

REACHED_PER_HOLDER = Why(
    documented(
        "torch.nn.Module.modules",
        "each module object is visited once, and two holders of one Parameter are two modules: "
        "whatever runs per module reaches the Parameter twice",
    ),
    TWO_HOLDERS,
    REACHED_TWICE,
)

SHARDED_APART = Why(
    Reason(
        "each FSDP group shards the shared Parameter on its own: the names end as two DTensors, "
        "updated apart",
        (SPLIT_ACROSS_FSDP_GROUPS,),
    ),
    TWO_HOLDERS,
    BROKE,
    Releases((2, 7), (2, 12)),
)

SHARDED_APART_FROM_SCRATCH = Why(
    Reason(
        "built on meta with each holder in its own FSDP group, the holders get separate DTensors "
        "that to_empty materialises apart; re-tie after initialising",
        (
            Reference("pytorch/torchtitan#2252", "open", REPORTS),
            SPLIT_ACROSS_FSDP_GROUPS,
            Reference("NVIDIA-NeMo/Automodel#2213", "open pull request; re-ties", CONTEXT),
        ),
    ),
    TWO_HOLDERS,
    BROKE,
    Releases((2, 7), (2, 12)),
)

HELD_BY_ROOT_HAS_ONE_GROUP = Why(
    Reason(
        "the root holds the tie itself: there is no holder below it to shard apart, so the root's "
        "group is the only one (a composable API applies to a module once)",
        (Reference("torch.distributed._composable.contract", "read in the source", CONTEXT),),
    ),
    HELD_BY_ROOT,
    ANY_OUTCOME,
    context=True,
)

TO_EMPTY_AFTER_ROOT_SHARDING = Why(
    Reason(
        "verl#7835 reports to_empty untying lm_head under FSDP2 with the root's group, which this "
        "row measures tied; accelerate#3668: a tie made inside init_empty_weights is lost before "
        "to_empty is reached",
        (
            Reference("verl-project/verl#7835", "open pull request", CONTEXT),
            Reference("huggingface/accelerate#3668", "open", CONTEXT),
        ),
    ),
    TWO_HOLDERS,
    Outcomes("tied", lambda row: row["outcome"] in ("tied", "once")),
    context=True,
)

INDUCTOR_ON_THE_CPU = Why(
    Reason(
        "inductor computed wrong gradients for slices of one shared scale/shift table read by two "
        "chained LayerNorms (2.10 until its fix, pytorch/pytorch#193103): the bug is in Triton's "
        "mix-order reduction, GPU code that the CPU backend does not have, so no CPU row can show "
        "it; compiled for the CPU, the report's pattern gives eager's gradient "
        "(tests/test_survival_slow.py)",
        (Reference("pytorch/pytorch#193061", "closed; GPU only", CONTEXT),),
    ),
    ANY_TIE,
    ANY_OUTCOME,
    context=True,
)

SPLIT_BACKWARD_COUNTS_TWICE = Why(
    Reason(
        "stage_backward_weight starts the weight gradient from each saved intermediate of a "
        "parameter group; when the weight's two uses lie on one path, the later use's gradient "
        "also flows into the earlier one, counting it twice",
        (
            Reference("pytorch/pytorch#180952", "open", REPORTS, bug=True),
            Reference("pytorch/pytorch#181365", "closed", THE_FIX),
        ),
    ),
    ANY_TIE,
    raises("SplitGradientDiffers"),
    Releases(until=(2, 13)),
)

SPLIT_BACKWARD_SET_ORDER = Why(
    Reason(
        "get_param_groups groups parameters by the intermediates they reach, iterating each "
        "parameter's set of them; where a parameter earlier in parameters() (tied_autoencoder's "
        "decoder_bias) has taken one of the tied weight's two intermediates, the weight joins its "
        "group only if the set yields that node first: otherwise the weight ends in two groups, "
        "and the second dW pass meets the graph the first freed (Trying to backward through the "
        "graph a second time). The set's order follows the nodes' addresses: unpinned, a run "
        "fails by chance (measured here, 20 runs in one process: from 0 to 12 failing on 2.13.0, 0 "
        "to 2 on 2.15.0, 5 to 7 on 2.5.1). No tracker issue found",
        (
            Reference(
                "torch/distributed/pipelining/_backward.py (get_param_groups)",
                "read in the source of 2.13.0",
                CONTEXT,
            ),
        ),
    ),
    ANY_TIE,
    raises(SPLIT_SET_ORDER.text),
)

EMPTY_BY_INIT_EMPTY_WEIGHTS = Reason(
    "init_empty_weights registers every Parameter anew on meta (a new Parameter each time one is "
    "registered), so a tie made by registration inside it is two objects before anything else "
    "runs; to_empty and the load keep them two: the values load right, the tie is gone",
    (
        Reference("huggingface/accelerate#3668", "open", REPORTS),
        Reference("huggingface/accelerate#3752", "open pull request", THE_FIX),
        Reference("verl-project/verl#7834", "open; the rank-0 load unties silently", REPORTS),
        Reference(
            "verl-project/verl#7835",
            "open pull request; re-ties after to_empty, which it blames: measured here, the tie is "
            "gone inside init_empty_weights",
            CONTEXT,
        ),
    ),
)

ROOT_GROUP_LOAD_KEEPS_THE_TIE = Why(
    Reason(
        "verl#7835 blames to_empty for untying lm_head in this load; with the tie in the root's "
        "FSDP group (as verl groups a tied embedding), FSDP2 keeps one sharded Parameter per tie "
        "through to_empty and set_model_state_dict: tied. The split verl met comes from building "
        "the empty model with accelerate's init_empty_weights (the row after)",
        (
            Reference("verl-project/verl#7834", "open", CONTEXT),
            Reference("verl-project/verl#7835", "open pull request; measured otherwise", CONTEXT),
        ),
    ),
    TWO_HOLDERS,
    Outcomes("tied", lambda row: row["outcome"] in ("tied", "once")),
    context=True,
)

LOAD_INTO_A_MODULE_REGISTERED_TWICE = Why(
    Reason(
        "set_model_state_dict shards the full state dict's entries into DTensors, one name per "
        "parameter; a module registered under two names keeps its second name's entries plain, "
        "and load_state_dict copies them into the sharded Parameters (measured on 2.13.0: "
        "raised copying 4.bias). No tracker issue found",
        (
            Reference(
                "torch/distributed/checkpoint/state_dict.py (set_model_state_dict)",
                "read in the source of 2.13.0",
                CONTEXT,
            ),
        ),
    ),
    MODULE_TWICE,
    raises(MIXED_DTENSOR.text),
)

RANK0_LOAD = (
    "verl's rank-0 load on one rank (gloo, a group of one): fully_shard on the root alone, "
    "to_empty(device='cpu'), set_model_state_dict(StateDictOptions(full_state_dict=True, "
    "broadcast_from_rank0=True)) of a model whose every parameter is one higher; one forward and "
    "backward"
)

TENSOR_PARALLEL_SPLITS = Why(
    Reason(
        "parallelize_module replaces each holder's Parameter with a DTensor of its own: a tie of "
        "two holders ends as two Parameters, each trained on its own use only. Re-tie after "
        "parallelize_module (a DTensor assigned to both holders stays one)",
        (
            Reference("NVIDIA-NeMo/RL#227", "closed", REPORTS),
            Reference("pytorch/pytorch#116475", "closed; ties after sharding", CONTEXT),
        ),
    ),
    TWO_HOLDERS,
    BROKE,
)

TENSOR_PARALLEL_IN_FORWARD = Why(
    Reason(
        "the plan shards the holder's own use; the forward's second read (F.linear with the same "
        "weight) gets the DTensor beside plain activations",
        (Reference("NVIDIA-NeMo/RL#227", "closed", CONTEXT),),
    ),
    IN_FORWARD,
    raises(MIXED_DTENSOR.text),
)

TENSOR_PARALLEL_PARAMETRIZED = Why(
    Reason(
        "ColwiseParallel registers the sharded weight under the module's parameter names, and a "
        "parametrized weight's is parametrizations.weight.original, which register_parameter "
        "refuses",
        (
            Reference(
                "torch/distributed/tensor/parallel/style.py (ColwiseParallel)",
                "read in the source of 2.13.0",
                CONTEXT,
            ),
        ),
    ),
    ANY_TIE,
    # KeyError's text is its key's repr: 'parameter name can\'t contain "."'
    raises("KeyError: 'parameter name can"),
)

OPERATIONS = (
    Operation("state_dict()", state_dict, trains=False, whys=(STATE_DICT_DETACHES,)),
    Operation("state_dict(keep_vars=True)", state_dict_keep_vars, trains=False),
    Operation("parameters()", parameters, LISTING),
    Operation("named_parameters()", named_parameters, LISTING),
    Operation(
        "named_parameters(remove_duplicate=False)",
        named_parameters_with_duplicates,
        LISTING,
        whys=(
            Why(
                documented(
                    "torch.nn.Module.named_parameters",
                    "remove_duplicate=False lists a shared Parameter once per name, so an "
                    "optimizer handed the listing steps it once per name",
                ),
                TWO_NAMES,
                BROKE,
            ),
        ),
    ),
    Operation("load_state_dict(copy)", load_state_dict_copy, LOADED, promise=handed_in),
    Operation(
        "load_state_dict(assign=True)",
        load_state_dict_assign,
        LOADED,
        promise=handed_in,
        whys=(ASSIGN_SPLITS,),
    ),
    Operation(".to(torch.float64)", to_float64, promise=as_float64),
    Operation(".half()", half, promise=as_half),
    Operation(
        ".to(float64), overwrite flag",
        to_float64_overwriting,
        "torch.__future__.set_overwrite_module_params_on_conversion(True)",
        promise=as_float64,
        whys=(
            Why(
                documented(
                    "torch.__future__.set_overwrite_module_params_on_conversion",
                    "the flag assigns each holder a new Parameter instead of setting .data in "
                    "place",
                ),
                TWO_HOLDERS,
                BROKE,
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
        whys=(TO_EMPTY_SPLITS,),
    ),
    Operation("copy.deepcopy", deepcopy),
    Operation(
        "torch.save/load state_dict",
        torch_save_state_dict,
        trains=False,
        whys=(STATE_DICT_DETACHES,),
    ),
    Operation(
        "torch.save/load module",
        torch_save_module,
        "torch.load with the installed release's default weights_only",
        # parametrized_autoencoder fails in torch.save on every release
        earlier=(Earlier((2, 6), "tied", ALL_MODELS[:4]),),
    ),
    Operation("torch.save/load module, weights_only=False", torch_save_module_unsafe),
    Operation(
        "safetensors save_file/load_file",
        safetensors_file,
        "of the state_dict",
        needs=(SAFETENSORS, SAFETENSORS_NUMPY),
        trains=False,
    ),
    Operation(
        "safetensors save_model/load_model",
        safetensors_model,
        "load_model " + LOADED,
        promise=handed_in,
        needs=(SAFETENSORS, SAFETENSORS_NUMPY),
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
        whys=(
            Why(
                documented(
                    "torch.func.functional_call",
                    "tie_weights=False replaces only the name it is given; the other holder "
                    "keeps the module's tensor",
                ),
                TWO_HOLDERS,
                BROKE,
            ),
        ),
    ),
    Operation(
        "functional_call(tie_weights=True), the module after",
        functional_call_then_module,
        "the module's own names once the call has returned",
        trains=False,
        whys=(
            Why(
                Reason(
                    "a submodule reachable by two paths is swapped twice and restored wrongly: "
                    "after the call the module holds the tensor handed in instead of its own "
                    "Parameter",
                    (
                        Reference(
                            "pytorch/pytorch#164759",
                            "open; this cause traced in a comment",
                            REPORTS,
                            bug=True,
                        ),
                        Reference("pytorch/pytorch#195593", "open", THE_FIX),
                    ),
                ),
                MODULE_TWICE,
                OTHER_VALUES,
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
        "torch.compile(backend='inductor')",
        compiled_by_inductor,
        "inductor where a C++ compiler works, else aot_eager: backend says which ran; one forward "
        "and backward, both models in eval mode (inductor draws dropout's masks its own way); "
        "gradient checked against eager's, within a relative 1e-4 (inductor sums in its own order)",
        whys=(INDUCTOR_ON_THE_CPU,),
        once=True,
        slow=True,
    ),
    Operation(
        "pipelining stage_backward_input → stage_backward_weight",
        pipeline_split_backward,
        "the model as one pipeline stage, its backward as a ZeroBubble schedule runs it: the input "
        "gradient, then the weight gradient, where the input carries a gradient; one full backward "
        "for token input (a first stage); run in both orders a set of autograd nodes can take "
        "(set_orders: what each gave where they differ); the tie's gradient checked against eager",
        whys=(SPLIT_BACKWARD_COUNTS_TWICE, SPLIT_BACKWARD_SET_ORDER),
        earlier=SPLIT_BACKWARD_BEFORE,
    ),
    Operation(
        "apply(nn.init.normal_)",
        apply_init,
        "normal_ on every Linear/Embedding weight; " + VISITS,
        promise=None,
        whys=(
            Why(
                documented(
                    "torch.nn.Module.apply",
                    "apply calls fn once per submodule: with two holders the shared Parameter is "
                    "initialised twice, the second draw overwriting the first",
                ),
                TWO_HOLDERS,
                REACHED_TWICE,
            ),
        ),
    ),
    Operation("modules()", modules, VISITS, trains=False, whys=(REACHED_PER_HOLDER,)),
    Operation("named_modules()", named_modules, VISITS, trains=False, whys=(REACHED_PER_HOLDER,)),
    Operation(
        "named_modules(remove_duplicate=False)",
        named_modules_with_duplicates,
        VISITS,
        trains=False,
        whys=(
            Why(
                documented(
                    "torch.nn.Module.named_modules",
                    "remove_duplicate=False yields a module once per path, so a module "
                    "registered twice is visited twice",
                ),
                MODULE_TWICE,
                REACHED_TWICE,
            ),
            REACHED_PER_HOLDER,
        ),
    ),
    Operation(
        "children()",
        children,
        VISITS + " (the direct children only)",
        trains=False,
        # parametrized_autoencoder's decoder is reached, but the Parameter is held one level down
        # (decoder.parametrizations.weight), where children() does not reach: once.
        whys=(
            REACHED_PER_HOLDER,
            Why(
                documented(
                    "torch.nn.Module.children",
                    "children() yields the root's direct children, never the root itself: a "
                    "Parameter the root holds is reached by none of them",
                ),
                HELD_BY_ROOT,
                REACHED_NEVER,
            ),
            Why(
                documented(
                    "torch.nn.Module.children",
                    "children() yields the direct children only; the modules holding the tie "
                    "sit deeper",
                ),
                HELD_BELOW_ROOT,
                REACHED_NEVER,
            ),
        ),
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
        "the holders of the tie below the root in separate FSDP groups; a tie made in forward has "
        "one holder, whose group reshards after its own forward",
        whys=(SHARDED_APART, HELD_BY_ROOT_HAS_ONE_GROUP, RESHARDED_AFTER_ITS_GROUPS_FORWARD),
        earlier=(
            *FSDP2_BEFORE_CPU_SUPPORT,
            Earlier((2, 12), "split", TWO_HOLDER_MODELS),
        ),
        needs_process_group=True,
    ),
    Operation(
        "fully_shard([both holders]), then root",
        fully_shard_together,
        "the holders of the tie below the root in one FSDP group: the fix the error message gives",
        whys=(HELD_BY_ROOT_HAS_ONE_GROUP, RESHARDED_AFTER_ITS_GROUPS_FORWARD),
        earlier=FSDP2_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "meta → fully_shard(root) → to_empty",
        meta_fully_shard_root_then_to_empty,
        "built on meta, sharded, given memory by to_empty; one forward and backward",
        promise=None,
        uninitialised=True,
        whys=(TO_EMPTY_AFTER_ROOT_SHARDING,),
        earlier=FSDP2_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "meta → fully_shard(each holder) → to_empty",
        meta_fully_shard_separately_then_to_empty,
        "the start from scratch: built on meta, each holder below the root sharded, then the root, "
        "given memory by to_empty; one forward and backward",
        promise=None,
        uninitialised=True,
        whys=(
            SHARDED_APART_FROM_SCRATCH,
            HELD_BY_ROOT_HAS_ONE_GROUP,
            RESHARDED_AFTER_ITS_GROUPS_FORWARD,
        ),
        earlier=(
            *FSDP2_BEFORE_CPU_SUPPORT,
            # Measured on 2.7.1 to 2.11.0: the from-scratch start splits the tie, silently.
            Earlier((2, 12), "split", TWO_HOLDER_MODELS),
        ),
        needs_process_group=True,
    ),
    Operation(
        "accelerate.init_empty_weights",
        init_empty_weights_on_meta,
        "the model built inside init_empty_weights(), as transformers builds one for a large "
        "load; looked at on meta, where only identity tells a tie",
        promise=None,
        trains=False,
        needs=(ACCELERATE,),
        whys=(Why(EMPTY_BY_INIT_EMPTY_WEIGHTS, TWO_HOLDERS, BROKE),),
    ),
    Operation(
        "meta → fully_shard(root) → to_empty → set_model_state_dict, from rank 0",
        meta_rank0_load,
        RANK0_LOAD + "; built under torch.device('meta')",
        promise=handed_in,
        whys=(ROOT_GROUP_LOAD_KEEPS_THE_TIE, LOAD_INTO_A_MODULE_REGISTERED_TWICE),
        earlier=RANK0_LOAD_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "init_empty_weights → fully_shard(root) → to_empty → set_model_state_dict, from rank 0",
        init_empty_weights_rank0_load,
        RANK0_LOAD + "; built inside accelerate's init_empty_weights() (verl's ranks other than 0)",
        promise=handed_in,
        needs=(ACCELERATE,),
        whys=(
            Why(EMPTY_BY_INIT_EMPTY_WEIGHTS, TWO_HOLDERS, BROKE),
            LOAD_INTO_A_MODULE_REGISTERED_TWICE,
        ),
        earlier=RANK0_LOAD_BEFORE_CPU_SUPPORT,
        needs_process_group=True,
    ),
    Operation(
        "parallelize_module, 2 ranks",
        tensor_parallel,
        "tensor parallel (DTensor) on two processes, gloo, spawned: an Embedding holding the tie "
        "row-wise, a Linear column-wise, by every path to it, outputs replicated; one forward and "
        "backward; values read as full tensors",
        whys=(TENSOR_PARALLEL_SPLITS, TENSOR_PARALLEL_IN_FORWARD, TENSOR_PARALLEL_PARAMETRIZED),
        ranks=2,
        slow=True,
    ),
    Operation(
        "torch.export.export(strict=True) → .module()",
        exported_strict,
        "one input; Dynamo traces the forward (export's default up to 2.7); the exported "
        "program's module. signature: the parameter inputs the graph signature keeps for the "
        "tie's names, each with how many graph nodes read it",
        whys=(EXPORT_OF_A_TIE_IN_FORWARD, STRICT_EXPORT_KEEPS_ONE_NAME),
        earlier=STRICT_EXPORT_BEFORE,
        once=True,
    ),
    Operation(
        "torch.export.export(strict=False) → .module()",
        exported_non_strict,
        "one input; traced by running the model's Python (export's default from 2.8); the "
        "exported program's module. signature: as for strict=True",
        whys=(EXPORT_OF_A_TIE_IN_FORWARD, NON_STRICT_EXPORT_READS_ONE_NAME),
        earlier=NON_STRICT_EXPORT_BEFORE,
        once=True,
    ),
    Operation(
        "torch.export.export → unflatten",
        unflattened,
        "the exported program split back into the model's module hierarchy",
        whys=(EXPORT_OF_A_TIE_IN_FORWARD,),
        earlier=(
            Earlier((2, 8), "raises", ("tied_sequential",), UNFLATTEN_CANNOT_OUTLINE.text),
            # 2.5 outlined parametrize's decoder; 2.6 and 2.7 did not.
            Earlier((2, 6), "tied", ("parametrized_autoencoder",)),
            Earlier((2, 8), "raises", ("parametrized_autoencoder",), UNFLATTEN_CANNOT_OUTLINE.text),
        ),
        once=True,
    ),
    Operation(
        "torch.export.export → _export_forward_backward",
        exported_joint,
        "experimental; the model's output summed as the loss; the joint program's state_dict "
        "entries for the two names",
        trains=False,
        whys=(
            JOINT_EXPORT_ONE_INPUT_PER_NAME,
            JOINT_EXPORT_UNDER_STRICT,
            JOINT_EXPORT_OF_A_TIE_IN_FORWARD,
        ),
        earlier=(
            Earlier((2, 6), "tied", ALL_MODELS),
            Earlier(
                (2, 8),
                "raises",
                ("tied_embeddings", "tied_autoencoder"),
                JOINT_EXPORT_UNUSED_ALIAS.text,
            ),
            Earlier((2, 8), "tied", ("tied_sequential",)),
        ),
        once=True,
    ),
    Operation(
        "dcp.save/load, model state",
        distributed_checkpoint_model,
        "torch.distributed.checkpoint, gloo, a group of one; into a fresh model's state_dict, "
        "from a model whose every parameter is one higher",
        promise=handed_in,
        needs=(OBJECT_COLLECTIVES_NUMPY,),
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
        needs=(OBJECT_COLLECTIVES_NUMPY,),
        needs_process_group=True,
        whys=(OPTIMIZER_STATE_OF_A_TIE,),
        once=True,
    ),
    Operation(
        "dcp.save/load, flattened optimizer state",
        distributed_checkpoint_flat_optimizer,
        "as dcp.save/load, optimizer state, with StateDictOptions(flatten_optimizer_state_dict="
        "True), torchtitan's default",
        promise=None,
        trains=False,
        needs=(OBJECT_COLLECTIVES_NUMPY,),
        needs_process_group=True,
        whys=(OPTIMIZER_STATE_OF_A_TIE, FLAT_OPTIMIZER_STATE_OF_THE_SECOND_NAME),
        earlier=tuple(
            Earlier((2, 7), "raises", (model,), error)
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
        whys=(
            Why(
                Reason(
                    "quantize_dynamic replaces each Linear by a quantized copy, once per path; an "
                    "Embedding is left as it is, so a Linear holding the table gets a weight of "
                    "its own",
                    (
                        Reference("docs: torch.ao.quantization.quantize_dynamic", "", DOCUMENTS),
                        Reference(
                            "vllm-project/llm-compressor#2835",
                            "merged; re-ties tied embeddings quantized alike",
                            CONTEXT,
                        ),
                    ),
                ),
                TWO_NAMES,
                BROKE,
            ),
        ),
    ),
    Operation(
        "load(assign=True) → load_state_dict()",
        assign_load_then_default_load,
        "the same state_dict, from a model whose every parameter is one higher, loaded twice",
        promise=handed_in,
        whys=(ASSIGN_SPLITS,),
    ),
    Operation(
        "to_empty from meta → load_state_dict()",
        to_empty_then_load,
        "from a model whose every parameter is one higher: the values are right, the tie is not",
        promise=handed_in,
        whys=(TO_EMPTY_SPLITS,),
    ),
    Operation("copy.deepcopy → .to(torch.float64)", deepcopy_then_to_float64, promise=as_float64),
    Operation(
        "load(assign=True) → torch.compile",
        assign_load_then_compile,
        f"backend={COMPILE_BACKEND!r}; one forward and backward; gradient checked against eager, "
        "both assign-loaded",
        promise=handed_in,
        once=True,
        whys=(ASSIGN_SPLITS,),
    ),
)


# Each operation by its name: the heat map reads a row's reasons tens of thousands of times.
BY_NAME = {op.name: op for op in reversed(OPERATIONS)}  # the first of a name, as a scan finds it


def operation(name: str) -> Operation:
    return BY_NAME[name]


def operation_of(row: dict) -> Operation | None:
    """The operation of a row (its step row's too); None for a row of an operation since removed."""
    return BY_NAME.get(row["operation"].removesuffix(STEP))


def whys_for(row: dict, tie: Tie, release: Release) -> list[Why]:
    """Every reason that matches `row` of a model whose tie is `tie`, on `release`: the operation's
    own, then those of the error it raised."""
    op = operation_of(row)
    candidates = (op.whys if op else ()) + ERROR_WHYS
    return [why for why in candidates if why.matches(row, tie, release)]


def reproduced_bugs() -> list[tuple[Operation, Why]]:
    """The PyTorch bugs the table reproduces, with the operation whose rows show them."""
    return [(op, why) for op in OPERATIONS for why in op.whys if why.reason.pytorch_bug]
