"""Every claim's check is seen to say False: run where the statement comes out the other way (its
`counter`, declared beside the claim), the same check must return False. A check that has only ever
returned True proves nothing. The few claims that cannot have a counter-case say why, and docs/maintainers.md
lists them."""

import inspect
from pathlib import Path

import pytest

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
