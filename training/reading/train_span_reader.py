"""Training the span reader (``assistant.reading.span_model``) within a time budget.

LoRA adapts every layer of the packaged MiniLM encoder and the start/end head is trained in
full, on the training split of ``training.reading.span_data``. A tenth of that split (by a hash
of the question) is kept aside as the development set: the script reports exact match there
and writes the reader's scores for each of its examples, which fit the reader's calibrator
(``training.reading.fit_span_calibrator``). Only the adapter, the head and the training figures
are written to ``--out``. It runs on the CPU, or on a CUDA GPU where one is present.

    python -m training.reading.train_span_reader --data ../shared/data --max-minutes 40
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.reading.span_model import BUNDLED_SPAN_READER, SpanModel
from assistant.reading.span_scorer import HEAD_FILE, load_span_scorer
from assistant.reading.span_windows import MAX_TOKENS
from assistant.torch_device import pick_device
from training.adapter_training import fit_steps, save_adapter
from training.reading.span_data import SpanExample, span_examples

LORA_TARGETS = ("query", "key", "value", "dense")
DEV_PERCENT = 10
DEV_SCORES = "span_reader_dev.jsonl"


@dataclass(frozen=True)
class SpanTrainConfig:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.1
    learning_rate: float = 1e-3
    batch_size: int = 16
    epochs: float = 2.0
    max_minutes: float = 40.0
    warmup_steps: int = 20
    seed: int = 11
    threads: int = 2
    device: str = "cpu"
    resume: str | None = None
    """An adapter folder to go on training from, instead of a fresh adapter."""


def is_dev(example: SpanExample) -> bool:
    digest = hashlib.sha256(f"span-dev:{example.question}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < DEV_PERCENT


def _token_labels(encoded: Any, row: int, example: SpanExample) -> tuple[int, int] | None:
    """The (start, end) tokens of the example's answer in window ``row``: (0, 0) for no
    answer, ``None`` when the answer was cut off."""
    if example.start is None or example.end is None:
        return 0, 0
    sequence = encoded.sequence_ids(row)
    offsets = encoded["offset_mapping"][row]
    first = last = None
    for index, (begin, finish) in enumerate(offsets):
        if sequence[index] != 1:
            continue
        if first is None and finish > example.start:
            first = index
        if begin < example.end:
            last = index
    if first is None or last is None or last < first:
        return None
    return first, last


def _batch(tokenizer: Any, examples: Sequence[SpanExample], device: str) -> Any:
    import torch

    encoded = tokenizer(
        [e.question for e in examples],
        [e.context for e in examples],
        truncation="only_second",
        max_length=MAX_TOKENS,
        padding=True,
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    labels = [_token_labels(encoded, row, e) for row, e in enumerate(examples)]
    keep = [row for row, label in enumerate(labels) if label is not None]
    inputs = {
        key: encoded[key][keep].to(device)
        for key in ("input_ids", "attention_mask", "token_type_ids")
    }
    starts = torch.tensor([labels[row][0] for row in keep], device=device)  # type: ignore[index]
    ends = torch.tensor([labels[row][1] for row in keep], device=device)  # type: ignore[index]
    return inputs, starts, ends


def train(examples: Sequence[SpanExample], out: Path, config: SpanTrainConfig) -> dict[str, float]:
    """Fit the adapter and head on ``examples``; returns the training figures."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    if config.resume is not None:
        model, tokenizer = load_span_scorer(Path(config.resume), trainable=True)
    else:
        model, tokenizer = load_span_scorer(None)
        model.encoder = get_peft_model(
            model.encoder,
            LoraConfig(
                r=config.rank,
                lora_alpha=config.alpha,
                lora_dropout=config.dropout,
                target_modules=list(LORA_TARGETS),
            ),
        )
    model.to(config.device)
    loss_fn = torch.nn.CrossEntropyLoss()

    def batch_loss(batch: list[int]) -> Any | None:
        inputs, starts, ends = _batch(tokenizer, [examples[i] for i in batch], config.device)
        if len(starts) == 0:
            return None
        start_logits, end_logits = model(**inputs)
        return (loss_fn(start_logits, starts) + loss_fn(end_logits, ends)) / 2

    figures = fit_steps(model, len(examples), config, batch_loss)
    save_adapter(model, out, HEAD_FILE)
    return figures


def normal(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def score_dev(examples: Sequence[SpanExample], adapter: Path, path: Path) -> dict[str, float]:
    """The reader's best span and scores on each development example, written to ``path``;
    returns exact match on the answerable ones and how often it declines the others."""
    reader = SpanModel(adapter)
    rows: list[dict[str, Any]] = []
    for example in examples:
        found = reader.candidates(example.question, [example.context])
        best = found[0] if found else None
        rows.append(
            {
                "origin": example.origin,
                "question": example.question,
                "gold": example.answer,
                "text": best.text if best else "",
                "margin": best.margin if best else None,
                "share": best.share if best else None,
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    answerable = [r for r in rows if r["gold"]]
    declinable = [r for r in rows if not r["gold"]]
    exact = sum(normal(r["text"]) == normal(r["gold"]) for r in answerable)
    declined = sum(r["margin"] is None or r["margin"] < 0 for r in declinable)
    return {
        "dev_answerable": len(answerable),
        "dev_exact_match": round(exact / max(1, len(answerable)), 3),
        "dev_unanswerable": len(declinable),
        "dev_declined": round(declined / max(1, len(declinable)), 3),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="public evaluation data folder")
    parser.add_argument("--out", type=Path, default=BUNDLED_SPAN_READER)
    parser.add_argument("--dev-scores", type=Path, default=Path("bench/results") / DEV_SCORES)
    parser.add_argument("--max-minutes", type=float, default=SpanTrainConfig.max_minutes)
    parser.add_argument("--epochs", type=float, default=SpanTrainConfig.epochs)
    parser.add_argument("--threads", type=int, default=SpanTrainConfig.threads)
    parser.add_argument("--learning-rate", type=float, default=SpanTrainConfig.learning_rate)
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda if present)")
    parser.add_argument("--resume", default=None, help="adapter folder to go on training from")
    parser.add_argument("--seed", type=int, default=SpanTrainConfig.seed)
    args = parser.parse_args(argv)
    config = SpanTrainConfig(
        resume=args.resume,
        seed=args.seed,
        max_minutes=args.max_minutes,
        epochs=args.epochs,
        threads=args.threads,
        learning_rate=args.learning_rate,
        device=pick_device(args.device),
    )
    examples = span_examples(args.data, "train")
    fit = [e for e in examples if not is_dev(e)]
    dev = [e for e in examples if is_dev(e)]
    counts = Counter(e.origin for e in fit)
    print(f"{len(fit)} training examples {dict(counts)}, {len(dev)} development", flush=True)
    figures = train(fit, args.out, config)
    figures |= score_dev(dev, args.out, args.dev_scores)
    card = {"config": asdict(config), "training_examples": dict(counts), **figures}
    (args.out / "training.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
