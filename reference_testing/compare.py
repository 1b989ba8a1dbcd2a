"""The comparison: locked JSON data against what a run produced, numbers judged with a tolerance
against the scale of their group. Pure: no pytest, no syrupy, no torch (the tools use it too).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any


class CorruptSnapshot(Exception):
    pass


def dumps(data: Any) -> str:
    """Readable JSON; dicts keep their order (state_dict keys are ordered: never sort them)."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@dataclass(frozen=True)
class Tolerance:
    """How far a locked number may move and still be the same result.

    A number is judged against the scale of the group it belongs to, as a whole tensor is judged
    rather than element by element: a tensor's summary statistics against its largest magnitude
    (`max_abs`), a list of numbers (a trace, a weight row) against its largest entry, a lone number
    against itself. It matches when it is within `atol + rtol · scale` of the snapshot.
    `noise` is the largest deviation (in units of scale) measured across the machines and releases
    a user brings (`tools/calibrate.py`); a failure says how many times that it is. `signal` is the
    smallest deviation a change the suite must catch produced: the tolerance sits between the two.
    """

    rtol: float
    atol: float = 0.0
    noise: float = 0.0
    signal: float = 0.0

    def allows(self, deviation: float, scale: float) -> bool:
        return deviation <= self.atol + self.rtol * scale

    def explain(self, deviation: float, scale: float) -> str:
        if scale == 0:
            return f"differs by {deviation:.3g}; tolerance {self.atol:g} (the scale is 0)"
        relative = deviation / scale
        budget = (
            f"; {relative / self.noise:.3g}× the measured noise {self.noise:.2g}"
            if self.noise
            else "; no noise was measured here"
        )
        return (
            f"differs by {deviation:.3g} = {relative:.3g} of scale {scale:.3g} "
            f"(tolerance {self.rtol:g} of scale{budget})"
        )


EXACT = Tolerance(rtol=0.0)
# torch.testing.assert_close's float32 defaults: what a snapshot that declares no tolerance gets.
FLOAT32 = Tolerance(rtol=1.3e-6, atol=1e-5)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numbers_in(value: Any) -> list[float]:
    """Every number in a list nested to any depth, or [] if anything else is inside."""
    if is_number(value):
        return [value]
    if isinstance(value, list):
        found = [numbers_in(item) for item in value]
        if all(f or item == [] for f, item in zip(found, value, strict=True)):
            return [n for f in found for n in f]
    return []


def group_scale(expected: Any) -> float | None:
    """The scale a group of numbers is judged against, or None where `expected` is no group."""
    if isinstance(expected, dict) and is_number(expected.get("max_abs")):
        return abs(expected["max_abs"])  # a tensor's statistics (probes.tensor_stats)
    if isinstance(expected, list) and (found := numbers_in(expected)):
        return max(abs(n) for n in found)
    return None


def differences(
    actual: Any, expected: Any, tolerance: Tolerance, path: str = "$", scale: float | None = None
) -> list[str]:
    """Where `actual` differs from `expected`, numbers judged by `tolerance` against their scale."""
    if scale is None:
        scale = group_scale(expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(actual) is type(expected) and actual == expected
        return [] if same else [f"{path}: {expected!r} -> {actual!r}"]
    if is_number(expected) and is_number(actual):
        if isinstance(expected, int) and isinstance(actual, int):
            return [] if actual == expected else [f"{path}: {expected} -> {actual}"]
        own_scale = abs(expected) if scale is None else scale
        deviation = abs(actual - expected)
        if tolerance.allows(deviation, own_scale):
            return []
        return [f"{path}: {expected!r} -> {actual!r} ({tolerance.explain(deviation, own_scale)})"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return [f"{path}: keys {list(expected)} -> {list(actual)}"]
        return [
            d
            for key in expected
            for d in differences(actual[key], expected[key], tolerance, f"{path}.{key}", scale)
        ]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [
                f"{path}: {len(expected)} items -> {len(actual)} items: {_short(expected)} -> {_short(actual)}"
            ]
        return [
            d
            for i, (a, e) in enumerate(zip(actual, expected, strict=True))
            for d in differences(a, e, tolerance, f"{path}[{i}]", scale)
        ]
    return [] if actual == expected else [f"{path}: {_short(expected)} -> {_short(actual)}"]


def largest_deviation(actual: Any, expected: Any, scale: float | None = None) -> float:
    """The largest deviation of a number from the snapshot, in units of its group's scale
    (`inf` where anything but a number changed): what `tools/calibrate.py` measures."""
    if scale is None:
        scale = group_scale(expected)
    if is_number(expected) and is_number(actual) and not isinstance(expected, bool):
        if isinstance(expected, int) and isinstance(actual, int):
            return 0.0 if actual == expected else math.inf
        own_scale = abs(expected) if scale is None else scale
        deviation = abs(actual - expected)
        if deviation == 0:
            return 0.0
        return deviation / own_scale if own_scale else math.inf
    if isinstance(expected, dict) and isinstance(actual, dict):
        if list(expected) != list(actual):
            return math.inf
        return max(
            (largest_deviation(actual[k], expected[k], scale) for k in expected), default=0.0
        )
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return math.inf
        pairs = zip(actual, expected, strict=True)
        return max((largest_deviation(a, e, scale) for a, e in pairs), default=0.0)
    return 0.0 if actual == expected and type(actual) is type(expected) else math.inf


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load(text: str, location: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptSnapshot(
            f"snapshot file {location} is not valid JSON ({error}); restore it from git "
            f"(git checkout -- {os.path.relpath(location)}) or delete it to regenerate it"
        ) from None
