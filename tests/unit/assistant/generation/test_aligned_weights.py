"""Saved weights start on a 64-byte boundary and load unchanged; weights still off one are
copied into torch's memory, the others stay where they are."""

from __future__ import annotations

import struct
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from assistant.generation.aligned_weights import ALIGNMENT, align_safetensors, realign


def _data_start(path: Path) -> int:
    with path.open("rb") as stream:
        return 8 + int(struct.unpack("<Q", stream.read(8))[0])


def test_the_data_is_moved_to_a_boundary_and_reads_the_same(tmp_path: Path) -> None:
    tensors = {
        "a.weight": torch.randn(48, 16),
        "b.bias": torch.randn(5),
        "c.weight": torch.arange(12, dtype=torch.int64),
    }
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path), metadata={"format": "pt", "note": "x" * 3})
    assert _data_start(path) % ALIGNMENT != 0  # the test would prove nothing otherwise
    align_safetensors(path)
    assert _data_start(path) % ALIGNMENT == 0
    loaded = load_file(str(path))
    assert loaded.keys() == tensors.keys()
    assert all(torch.equal(loaded[name], tensors[name]) for name in tensors)
    written = path.stat().st_mtime_ns
    align_safetensors(path)  # already aligned: left alone
    assert path.stat().st_mtime_ns == written
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_only_tensors_off_a_boundary_are_copied() -> None:
    model = torch.nn.Linear(16, 4)
    storage = torch.randn(4 * 16 + 1)
    with torch.no_grad():
        model.weight.data = storage[1:].view(4, 16)  # one float past the allocation's start
    expected = model.weight.detach().clone()
    bias_address = model.bias.data_ptr()
    assert model.weight.data_ptr() % ALIGNMENT != 0
    assert realign(model) == 1
    assert model.weight.data_ptr() % ALIGNMENT == 0
    assert torch.equal(model.weight, expected)
    assert model.bias.data_ptr() == bias_address
