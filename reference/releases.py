"""The installed torch release, for expectations that changed at a known release.

Each such expectation lives beside its example, as a `(major, minor)` threshold with a citation
(e.g. `read_write.WEIGHTS_ONLY_DEFAULT_FROM`, `sharing_article.WARNS_FROM`, `survival.ReleaseChange`).
"""

import re

import torch

# The oldest release the project supports and runs (pyproject's `torch>=2.5`).
SUPPORTED_FLOOR = (2, 5)


def torch_release() -> tuple[int, int]:
    """The installed torch's (major, minor): '2.13.0+cpu' -> (2, 13), '2.6.0a0+git…' -> (2, 6)."""
    major, minor = re.match(r"(\d+)\.(\d+)", torch.__version__).groups()
    return int(major), int(minor)


def releases_before(until: tuple[int, int], after: tuple[int, int] = SUPPORTED_FLOOR) -> str:
    """The supported releases from `after` up to, not including, `until`, in words: 'torch 2.5',
    'torch 2.5-2.6'."""
    last = (until[0], until[1] - 1)
    first = f"{after[0]}.{after[1]}"
    return f"torch {first}" if last == after else f"torch {first}–{last[0]}.{last[1]}"
