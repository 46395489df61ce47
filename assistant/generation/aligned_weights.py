"""Memory-mapped weights at the alignment torch gives the weights it allocates itself.

A safetensors file's data starts right after its JSON header, wherever that ends, so mapped
weights often start a few bytes off a cache line, while torch allocates every tensor on one.
The CPU kernels take other paths for such weights, which round differently: decoding then
drifts from the same model held in torch's own memory in the last bits of some
log-probabilities. So a saved file gets its header padded (the format allows trailing spaces)
until its data starts on a 64-byte boundary, and a tensor that still lies off one after loading
is copied into torch's memory.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path
from typing import Any

ALIGNMENT = 64
"""Bytes: the alignment of torch's CPU allocator, and a cache line."""

_LENGTH = struct.Struct("<Q")
"""The header's length in bytes, which starts a safetensors file."""


def align_safetensors(path: Path) -> None:
    """Rewrite the safetensors file at ``path`` so that its data starts at a multiple of
    ``ALIGNMENT`` bytes; the tensors and their offsets within the data do not change."""
    with path.open("rb") as source:
        (length,) = _LENGTH.unpack(source.read(_LENGTH.size))
        header = source.read(length).rstrip(b" ")
        json.loads(header)  # a header that is not JSON is no safetensors file: refuse it
        padded = header + b" " * (-(_LENGTH.size + len(header)) % ALIGNMENT)
        if len(padded) == length:
            return
        staging = path.with_name(path.name + ".aligning")
        with staging.open("wb") as target:
            target.write(_LENGTH.pack(len(padded)))
            target.write(padded)
            shutil.copyfileobj(source, target, 1 << 24)
    staging.replace(path)


def realign(model: Any) -> int:
    """Copy every parameter and buffer of ``model`` that lies off an ``ALIGNMENT`` boundary
    into torch's own memory, in place, and return how many were copied."""
    copied = 0
    for tensor in [*model.parameters(), *model.buffers()]:
        if tensor.numel() and tensor.data_ptr() % ALIGNMENT:
            tensor.data = tensor.data.clone()
            copied += 1
    return copied
