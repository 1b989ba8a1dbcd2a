"""The installed torch release, for expectations that changed at a known release.

Each such expectation lives beside its example, as a `(major, minor)` threshold with a citation
(e.g. `read_write.WEIGHTS_ONLY_DEFAULT_FROM`, `sharing_utils.WARNS_FROM`, `survival.ReleaseChange`).
"""

import re

import torch


def torch_release() -> tuple[int, int]:
    """The installed torch's (major, minor): '2.13.0+cpu' -> (2, 13), '2.6.0a0+git…' -> (2, 6)."""
    major, minor = re.match(r"(\d+)\.(\d+)", torch.__version__).groups()
    return int(major), int(minor)
