"""Pieces shared by the scripts that train a LoRA adapter and a head over the packaged encoder
(the answer check's cross-encoder, the span reader): the training steps and the learning rate
over a run, and writing what the product loads."""

from __future__ import annotations

import math
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

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


class StepPlan(Protocol):
    """How long and how fast a run trains (each training script's configuration has these)."""

    @property
    def learning_rate(self) -> float: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def epochs(self) -> float: ...
    @property
    def max_minutes(self) -> float: ...
    @property
    def warmup_steps(self) -> int: ...
    @property
    def seed(self) -> int: ...


def fit_steps(
    model: Any, size: int, plan: StepPlan, batch_loss: Callable[[list[int]], Any | None]
) -> dict[str, float]:
    """Train ``model``'s trainable weights with AdamW over shuffled batches of the indices of
    ``size`` examples, for ``plan.epochs`` or until its time budget runs out; ``batch_loss``
    gives the loss of a batch (``None`` when the batch has nothing to learn from). Returns the
    steps taken, the smoothed loss and the minutes spent."""
    import torch

    order = list(range(size))
    random.Random(plan.seed).shuffle(order)
    steps_per_epoch = math.ceil(size / plan.batch_size)
    total_steps = max(1, int(steps_per_epoch * plan.epochs))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=plan.learning_rate
    )
    started = time.monotonic()
    budget = plan.max_minutes * 60
    model.train()
    step, running = 0, 0.0
    while step < total_steps:
        position = (step % steps_per_epoch) * plan.batch_size
        if position == 0 and step:
            random.Random(plan.seed + step).shuffle(order)
        elapsed = time.monotonic() - started
        progress = max(step / total_steps, elapsed / budget)
        if progress >= 1:
            break
        rate = learning_rate(plan.learning_rate, step, plan.warmup_steps, progress)
        for group in optimizer.param_groups:
            group["lr"] = rate
        loss = batch_loss(order[position : position + plan.batch_size])
        step += 1
        if loss is None:
            continue
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        value = float(loss.detach())
        running = 0.9 * running + 0.1 * value if step > 1 else value
        if step % 20 == 0:
            minutes = elapsed / 60
            print(f"step {step}/{total_steps} loss {running:.4f} {minutes:.1f} min", flush=True)
    return {
        "steps": step,
        "loss": round(running, 4),
        "minutes": round((time.monotonic() - started) / 60, 1),
    }
