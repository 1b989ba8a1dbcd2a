"""What a model costs: its parameters' bytes, and what `torch.save` writes for it, saved into memory
(a file name works the same way)."""

from __future__ import annotations

import io
from typing import Any

import torch
from torch import nn


def saved_to_memory(obj: Any) -> io.BytesIO:
    """`torch.save` into a buffer, rewound for `torch.load`."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def memory_footprint(model: nn.Module) -> dict[str, int]:
    """Parameter bytes counted once per Parameter object (`unique`) and once per name (`total`), and
    the size of the saved state_dict (`torch.save` writes a storage shared by several keys once).
    """
    unique = sum(p.numel() * p.element_size() for p in model.parameters())
    total = sum(
        p.numel() * p.element_size() for _, p in model.named_parameters(remove_duplicate=False)
    )
    return {
        "parameter_bytes_unique": unique,
        "parameter_bytes_total": total,
        "state_dict_bytes_saved": saved_to_memory(model.state_dict()).getbuffer().nbytes,
    }
