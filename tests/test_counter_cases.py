"""Every claim's check is seen to say False: run where the statement comes out the other way (its
`counter`, declared beside the claim), the same check must return False. A check that has only ever
returned True proves nothing. The few claims that cannot have a counter-case say why, and docs/maintainers.md
lists them."""

import inspect
import traceback
from pathlib import Path

import pytest
import torch

import reference
from reference.probes import check_says

CLAIMS = [(name, claim) for name in reference.names() for claim in reference.get(name).claims]
IDS = [f"{name}.{claim.name}" for name, claim in CLAIMS]
COUNTERED = [(n, c, counter) for n, c in CLAIMS for counter in c.counters]
# ASCII ids (the counter's place beside its claim): a `where` may hold "WᵀW" or "σ", which pytest
# escapes in a node id, and a tool that passes ids back to pytest (mutmut) then finds no test.
COUNTER_IDS = [f"{n}.{c.name}.{c.counters.index(counter)}" for n, c, counter in COUNTERED]
MAINTAINERS = Path(__file__).resolve().parents[1] / "docs" / "maintainers.md"


@pytest.mark.parametrize(("name", "claim"), CLAIMS, ids=IDS)
def test_each_claim_has_a_counter_case_or_says_why_not(name, claim):
    assert bool(claim.counters) != bool(claim.no_counter), (
        f"{name}.{claim.name}: declare counters=(counter(...),) beside the claim, or no_counter='why'"
    )
    # A counter-case changes what the check looks at, not the check: each argument is one of the
    # check's own keyword parameters.
    parameters = inspect.signature(claim.check).parameters
    for counter in claim.counters:
        assert counter.where and counter.arguments, counter
        assert set(counter.arguments) <= set(parameters), (counter, list(parameters))


@pytest.mark.parametrize(
    ("name", "claim", "counter"),
    COUNTERED,
    ids=COUNTER_IDS,
)
def test_the_check_says_false_at_the_counter_case(name, claim, counter):
    # Run once a process (the pages read the same counter-cases), with what it did to the RNG.
    said = check_says(claim, "cpu", counter)
    assert said.value is False, f"{name}.{claim.name}: the check still agrees at {counter.where!r}"
    # Every draw belongs inside seeded() or to a generator(): the caller's RNG is left alone.
    assert not said.moved_the_global_rng, "the check drew from the global RNG"


def test_the_claims_without_a_counter_case_are_listed_for_maintainers():
    listed = MAINTAINERS.read_text(encoding="utf-8")
    missing = [
        f"{n}.{c.name}" for n, c in CLAIMS if c.no_counter and f"`{n}.{c.name}`" not in listed
    ]
    assert missing == []


# --- what each counter-case is run on ------------------------------------------------------------
# A counter-case's check says only False, and a check says False for many reasons: a counter-case
# build that lost a layer, took another width or dropped the tensor it is about would still pass
# the test above (mutmut's survivors showed it: Linear(8, 128) made Linear(9, 128) in a counter's
# net, a LayerNorm given weights). So what each build makes is locked: every module's class, every
# parameter (each name of a shared one), buffer and plain tensor attribute with its shape, dtype and
# requires_grad; or, for a build that must fail, its exception (and the message, where the project
# raises it: torch's own wording may change between releases). Shapes only: no values are drawn
# from here, so no seed is locked.

BUILDS = ("build", "make_layer")


def is_build(argument: str, value) -> bool:
    named = argument in BUILDS or argument.endswith("_build")
    return (
        named
        and callable(value)
        and not any(
            p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            for p in inspect.signature(value).parameters.values()
        )
    )


def tensor_facts(tensor) -> list:
    if isinstance(tensor, torch.nn.parameter.UninitializedTensorMixin):
        return ["uninitialised", str(tensor.dtype), tensor.requires_grad]  # a lazy module's
    return [list(tensor.shape), str(tensor.dtype), tensor.requires_grad]


def what_it_builds(build) -> dict:
    with torch.random.fork_rng():
        torch.manual_seed(0)
        try:
            built = build()
        except Exception as error:  # a build that must fail is locked by what it raises
            frame = traceback.extract_tb(error.__traceback__)[-1]
            ours = Path(frame.filename).resolve().is_relative_to(PACKAGE)
            return {"raises": type(error).__name__, "says": str(error) if ours else None}
    if isinstance(built, torch.Tensor):
        return {"tensor": tensor_facts(built)}
    modules = list(built.named_modules(remove_duplicate=False))
    return {
        "modules": [[name, type(m).__name__] for name, m in modules],
        "parameters": [
            [n, *tensor_facts(p)] for n, p in built.named_parameters(remove_duplicate=False)
        ],
        "buffers": [[n, *tensor_facts(b)] for n, b in built.named_buffers(remove_duplicate=False)],
        "plain tensors": [
            [f"{name}.{attribute}".lstrip("."), *tensor_facts(value)]
            for name, m in modules
            for attribute, value in vars(m).items()
            if isinstance(value, torch.Tensor)
        ],
    }


PACKAGE = Path(reference.__file__).resolve().parent
BUILT = {
    name: [
        (f"{claim.name}.{i}.{argument}", value)
        for claim in reference.get(name).claims
        for i, counter in enumerate(claim.counters)
        for argument, value in counter.arguments.items()
        if is_build(argument, value)
    ]
    for name in reference.names()
}


# The weight_norm document's builds use the API it documents, deprecated since.
@pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning")
@pytest.mark.parametrize("name", [name for name, builds in BUILT.items() if builds])
def test_what_each_counter_case_is_run_on_is_locked(name, snapshot_json):
    assert {key: what_it_builds(build) for key, build in BUILT[name]} == snapshot_json


def test_every_counter_case_build_is_locked():
    """163 builds on 2026-12-07: a build that takes arguments would fall out of the lock unseen."""
    builds = [
        (name, argument)
        for name, claim in CLAIMS
        for counter in claim.counters
        for argument, value in counter.arguments.items()
        if argument in BUILDS or argument.endswith("_build")
    ]
    locked = sum(len(b) for b in BUILT.values())
    assert locked == len(builds) == 163
