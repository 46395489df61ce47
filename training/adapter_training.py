"""Pieces shared by the scripts that train a LoRA adapter and a head over the packaged encoder
(the answer check's cross-encoder, the span reader): the learning rate over a run, and writing
what the product loads."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def learning_rate(base: float, step: int, warmup_steps: int, progress: float) -> float:
    """``base`` ramped up over the first ``warmup_steps``, then decayed along a cosine as the
    run's ``progress`` (0 to 1, by steps or by its time budget) goes on."""
    warm = min(1.0, (step + 1) / warmup_steps)
    return base * warm * 0.5 * (1 + math.cos(math.pi * progress))


def save_adapter(model: Any, out: Path, head_file: str) -> None:
    """Write ``model.encoder``'s adapter and ``model.head``'s weights (as ``head_file``) into
    ``out``, each file replaced whole; the library's template card is not kept."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out) as staging:
        model.to("cpu")
        model.encoder.save_pretrained(staging)
        save_file(model.head.state_dict(), str(Path(staging) / head_file))
        for name in (*ADAPTER_FILES, head_file):
            (Path(staging) / name).replace(out / name)
