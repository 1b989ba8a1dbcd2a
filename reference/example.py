"""What one registry entry is: an example from a document, its model, its input and its claims."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

import torch
from torch import nn

from .documents import CHAPTER_TITLE
from .seeding import SEED, generator, seeded
from .tying import Untie


class Verdict(Enum):
    """What the reference says of a documented statement, once running code has checked it."""

    HOLDS = "holds"
    HOLDS_ONLY_WHEN = "holds only when"  # and the claim says when: its `condition`
    FALSE = "false"


HOLDS, HOLDS_ONLY_WHEN, FALSE = Verdict.HOLDS, Verdict.HOLDS_ONLY_WHEN, Verdict.FALSE


@dataclass(frozen=True)
class Counter:
    """Where a claim's statement comes out the other way: the claim's own check, given `arguments`
    (the untied variant, a matrix with WᵀW ≠ WWᵀ, the build without the document's mistake, ...),
    must return False there. A check never seen to return False proves nothing.

    `where` says in words what the arguments change.
    """

    where: str
    arguments: Mapping[str, Any]


def counter(where: str, **arguments: Any) -> Counter:
    return Counter(where, MappingProxyType(arguments))


@dataclass(frozen=True)
class Claim:
    """A statement a document makes, the verdict the reference gives it, and the check that proves it.

    `check(device)` runs code and returns True when what it observes agrees with `verdict`
    (for a `false` verdict: True when the code shows the statement to be false).

    `about_cuda`: the statement is about the GPU, and only about it (a statement with a CPU half
    and a GPU half is two claims), so only a run on a CUDA device decides it (`decided_on`).
    Elsewhere its verdict is "not decided here": it counts as neither proven nor disproven, and
    says what would decide it; its check still runs there, on the device given (its CPU analogue:
    the same code on the CPU), with its counters, so the suite keeps testing it.

    `counters`: where the statement comes out the other way, each one making a condition of the
    check decide: the same check run there must return False (`proven_at`). A claim without any
    says why in `no_counter`.

    What the document says, beside the reference's wording (`text`): `quote`, its own words, short
    and in its language; `place`, where they stand (a cell, a heading, a paragraph); `reading`,
    which reading of them the verdict judges (the charitable one: what the author most plausibly
    meant); `literal`, where the words read literally say something else, that reading and what it
    comes to; `reviewed`, the date (ISO) the claim was last read against the document.

    `finding`: the statement is the project's own, not the document's: a finding about the
    document's example, or the reference's answer to a question the document asks (its `reading`
    says which); `quote` then gives the document's words it starts from.
    """

    name: str
    text: str
    verdict: Verdict
    check: Callable[..., bool]
    about_cuda: bool = False
    counters: tuple[Counter, ...] = ()
    no_counter: str = ""
    condition: str = ""  # for HOLDS_ONLY_WHEN: when it holds (and, after a colon, what was found)
    quote: str = ""
    place: str = ""
    reading: str = ""
    literal: str = ""
    reviewed: str = ""
    finding: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))  # "holds" or HOLDS; not "hold"
        if (self.verdict is HOLDS_ONLY_WHEN) != bool(self.condition):
            raise ValueError(
                f"claim {self.name!r}: a condition goes with the verdict 'holds only when', and "
                f"only with it (verdict {self.verdict.value!r}, condition {self.condition!r})"
            )

    @property
    def verdict_text(self) -> str:
        """The verdict as the summary and the command line print it."""
        if self.verdict is HOLDS_ONLY_WHEN:
            return f"{self.verdict.value} {self.condition}"
        return self.verdict.value

    def decided_on(self, device: torch.device | str) -> bool:
        """Whether a run on `device` decides the verdict: a claim about the GPU only on CUDA."""
        return not self.about_cuda or torch.device(device).type == "cuda"

    def proven(self, device: torch.device | str = "cpu") -> bool:
        return bool(self.check(torch.device(device)))

    def proven_at(self, counter: Counter, device: torch.device | str = "cpu") -> bool:
        """What the check says at one of its counter-cases (it must say False)."""
        return bool(self.check(torch.device(device), **counter.arguments))


def call_model(model: nn.Module, x: Any) -> torch.Tensor:
    return model(x)


@dataclass(frozen=True)
class Example:
    """One documented example.

    `build` makes the model (it is always called on the CPU, inside `seeded()`); `make_input` draws
    the input from the generator it is given (also on the CPU). `untie`, where a parameter is reused
    inside `forward` rather than registered under several names, returns an untied twin with the same
    values and, for each shared parameter, the names of its per-use clones in the twin.
    `train(device, seed=SEED)`, for the training examples, returns a JSON-able trace.
    `variants` are other builds the document shows for the same example (label, builder): the
    snapshot suite locks their structure too.

    Declared, so that the tests compare them with what they observe (a lost property fails loudly):
    `shares`, the first name of every shared parameter (registered under several names, or reused
    inside `forward`); `seed`, the seed of the model and the input, another than `SEED` only where
    the default gives a dead model (a claim of the example records that finding).
    """

    name: str
    document: str  # the document's file name, or the book (`documents.BOOK`)
    shows: str  # what the example shows, in a line
    build: Callable[[], nn.Module]
    make_input: Callable[[torch.Generator], Any]
    claims: tuple[Claim, ...] = ()
    corrections: tuple[str, ...] = ()
    forward: Callable[[nn.Module, Any], torch.Tensor] = call_model
    untie: Untie | None = None
    train: Callable[..., dict] | None = None
    variants: tuple[tuple[str, Callable[[], nn.Module]], ...] = ()
    shares: tuple[str, ...] = ()
    seed: int = SEED
    section: str = ""  # "5.4 自定义层, 5.4.2 带参数的层 (6.5 Custom Layers)"; "" outside the book

    @property
    def source(self) -> str:
        """The line the summary prints: the document and what the example shows, the book's with its
        chapter and section."""
        if self.section:
            return f"{self.document} chapter '{CHAPTER_TITLE}' {self.section}: {self.shows}"
        return f"{self.document} {self.shows}"

    def model(
        self,
        device: torch.device | str = "cpu",
        variant: str | None = None,
        *,
        seed: int | None = None,
        build: Callable[[], nn.Module] | None = None,
    ) -> nn.Module:
        """The model, built on the CPU inside `seeded()` and moved to `device`: the document's build,
        a variant's, or `build` (a claim's counter-case), at the example's seed or at `seed`."""
        if build is None:
            build = self.build if variant is None else dict(self.variants)[variant]
        with seeded(self.seed if seed is None else seed):
            model = build()
        return model.to(device)

    def input(
        self,
        device: torch.device | str = "cpu",
        *,
        seed: int | None = None,
        make_input: Callable[[torch.Generator], Any] | None = None,
    ) -> Any:
        """The input, drawn on the CPU and moved to `device`: the example's, or `make_input`'s (a
        claim's counter-case), at the example's seed or at `seed`."""
        draw = self.make_input if make_input is None else make_input
        return to_device(draw(generator(self.seed if seed is None else seed)), device)

    def run(
        self, device: torch.device | str = "cpu", variant: str | None = None
    ) -> tuple[nn.Module, Any, torch.Tensor]:
        model, x = self.model(device, variant), self.input(device)
        return model, x, self.forward(model, x)


def to_device(data: Any, device: torch.device | str) -> Any:
    if isinstance(data, torch.Tensor):
        return data.to(device)
    if isinstance(data, tuple):
        return tuple(to_device(item, device) for item in data)
    return data
