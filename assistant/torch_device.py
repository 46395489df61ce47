"""Which torch device a training command runs on."""

from __future__ import annotations


def pick_device(requested: str) -> str:
    """``requested``, with ``auto`` meaning a CUDA GPU where one is present, else the CPU."""
    if requested != "auto":
        return requested
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
