"""Training the cross-encoder hallucination detector, within a time budget.

Training claims (``training.guard.detector_data``) are supported and unsupported answers over
the same evidence: length-matched HaluEval QA rows and minimal edits of gold answers (a number,
date, party, unit or negation changed). LoRA adapts the top of the packaged MiniLM encoder; the
head over its mean-pooled output is trained in full. Only the adapter, the head and the
training figures are written. It runs on the CPU, or on a CUDA GPU where one is present.

    python -m training.guard.train_detector --data ../shared/data \
        --out assistant/models/detector --max-minutes 25
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.guard.cross_encoder import (
    BUNDLED_DETECTOR,
    HEAD_FILE,
    ClaimPair,
    encode_pairs,
    pair_for,
)
from assistant.guard.pair_classifier import load_classifier
from assistant.torch_device import pick_device
from training.adapter_training import fit_steps, save_adapter
from training.guard.detector_data import LabelledClaim, training_claims

LORA_TARGETS = ("query", "key", "value", "dense")
LORA_LAYERS = (3, 4, 5)
"""Only the top half of the encoder is adapted: the backward pass stops there, halving a step."""


@dataclass(frozen=True)
class DetectorTrainConfig:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 16
    epochs: float = 2.0
    max_minutes: float = 25.0
    warmup_steps: int = 10
    seed: int = 7
    threads: int = 2
    device: str = "cpu"
    layers: tuple[int, ...] = (3, 4, 5)
    """Encoder layers adapted; adapting only the top half stops the backward pass there."""


def _pairs(claims: Sequence[LabelledClaim]) -> list[ClaimPair]:
    return [pair_for(c.question, c.sentence, c.evidence) for c in claims]


def train(
    claims: Sequence[LabelledClaim], out: Path, config: DetectorTrainConfig
) -> dict[str, float]:
    """Fit the adapter and head on ``claims``; returns the training figures."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    model, tokenizer = load_classifier(None)
    model.encoder = get_peft_model(
        model.encoder,
        LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,
            lora_dropout=config.dropout,
            target_modules=list(LORA_TARGETS),
            layers_to_transform=list(config.layers),
        ),
    )
    model.to(config.device)
    pairs = _pairs(claims)
    labels = torch.tensor([float(c.supported) for c in claims], device=config.device)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def batch_loss(batch: list[int]) -> Any:
        inputs = encode_pairs(tokenizer, [pairs[i] for i in batch]).to(config.device)
        return loss_fn(model(**inputs), labels[batch])

    figures = fit_steps(model, len(claims), config, batch_loss)
    save_adapter(model, out, HEAD_FILE)
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="public evaluation data folder")
    parser.add_argument("--out", type=Path, default=BUNDLED_DETECTOR)
    parser.add_argument("--max-minutes", type=float, default=DetectorTrainConfig.max_minutes)
    parser.add_argument("--epochs", type=float, default=DetectorTrainConfig.epochs)
    parser.add_argument("--threads", type=int, default=DetectorTrainConfig.threads)
    parser.add_argument("--learning-rate", type=float, default=DetectorTrainConfig.learning_rate)
    parser.add_argument(
        "--layers", default="3,4,5", help="encoder layers to adapt, comma-separated (0-5)"
    )
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda if present)")
    args = parser.parse_args(argv)
    config = DetectorTrainConfig(
        layers=tuple(int(n) for n in args.layers.split(",")),
        max_minutes=args.max_minutes,
        epochs=args.epochs,
        threads=args.threads,
        learning_rate=args.learning_rate,
        device=pick_device(args.device),
    )
    claims = training_claims(args.data)
    counts: dict[str, int] = {}
    for claim in claims:
        key = f"{claim.origin}:{'supported' if claim.supported else 'unsupported'}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{len(claims)} training claims: {counts}", flush=True)
    figures = train(claims, args.out, config)
    card = {"config": asdict(config), "training_claims": counts, **figures}
    (args.out / "training.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
