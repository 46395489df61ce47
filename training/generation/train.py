"""LoRA fine-tuning of the generator on grounded examples, within a time budget.

The model learns the answer format (short sentences citing [n], or exactly the abstention
sentence); the loss counts only the answer tokens, never the prompt. Training stops at
``--max-steps`` or ``--max-minutes``, whichever comes first; the learning rate follows a cosine
decay over whichever of the two is nearer, so a run cut by the clock still ends cooled down.
It runs on the CPU, or on a CUDA GPU where one is present (``--device``).

    python -m training.generation.train --data ../shared/data \
        --out assistant/models/generator-lora --max-minutes 45
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from assistant.generation.chat_tokenizer import ChatTokenizer
from assistant.generation.hf_model import load_model, load_tokenizer
from assistant.generation.model_files import MODEL_FILE_NAME, resolve_model_file
from assistant.generation.prompt import build_messages
from assistant.torch_device import pick_device
from training.generation.training_data import (
    DEFAULT_MIX,
    MAX_PASSAGE_TOKENS,
    UNANSWERABLE_SHARE,
    Example,
    Split,
    build_examples,
)

IGNORE_INDEX = -100
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    learning_rate: float = 3e-4
    warmup_steps: int = 8
    batch_size: int = 4
    max_tokens: int = 384
    """Examples longer than this (prompt and answer) are left out."""
    passage_tokens: int = MAX_PASSAGE_TOKENS
    """Token budget of the passages of one example."""
    max_steps: int = 400
    max_minutes: float = 45.0
    validation_examples: int = 24
    checkpoint_minutes: float = 10.0
    unanswerable_share: float = UNANSWERABLE_SHARE
    epochs: int = 1
    mix: tuple[tuple[str, int], ...] = tuple(DEFAULT_MIX.items())
    """Answerable training examples per source."""
    seed: int = 13
    threads: int = 2
    device: str = "cpu"
    init_adapter: str | None = None
    """An adapter folder to go on training from, instead of a fresh adapter."""


@dataclass(frozen=True)
class Encoded:
    example_id: str
    input_ids: list[int]
    labels: list[int]


def encode(example: Example, tokenizer: ChatTokenizer, eos: str) -> Encoded:
    """Prompt tokens (not learned) followed by the answer and end-of-turn tokens (learned)."""
    prompt = tokenizer.encode_chat(build_messages(example.question, example.passages))
    answer = tokenizer.encode(example.target + eos)
    return Encoded(example.example_id, prompt + answer, [IGNORE_INDEX] * len(prompt) + answer)


def batches(items: Sequence[Encoded], size: int, window: int = 8) -> Iterator[list[Encoded]]:
    """Batches in data order, lengths grouped within windows of ``window`` batches to pad less."""
    span = size * window
    for start in range(0, len(items), span):
        chunk = sorted(items[start : start + span], key=lambda e: len(e.input_ids))
        groups = [chunk[i : i + size] for i in range(0, len(chunk), size)]
        random.Random(start).shuffle(groups)
        yield from groups


def epoch_batches(
    items: Sequence[Encoded], size: int, epochs: int, seed: int
) -> Iterator[list[Encoded]]:
    """``epochs`` passes over ``items``: the first in data order, later ones reshuffled."""
    for epoch in range(epochs):
        order = list(items)
        if epoch:
            random.Random(f"{seed}:{epoch}").shuffle(order)
        yield from batches(order, size)


def parse_mix(spec: str) -> tuple[tuple[str, int], ...]:
    """``source=count,...`` as (source, count) pairs."""
    mix = []
    for part in spec.split(","):
        source, separator, count = part.partition("=")
        if not separator or not count.strip().isdigit():
            raise argparse.ArgumentTypeError(f"expected SOURCE=COUNT, got {part!r}")
        mix.append((source.strip(), int(count)))
    return tuple(mix)


def end_of_turn(raw_tokenizer: Any) -> str:
    """The token that closes an answer in the chat template.

    ``<|im_end|>`` where the vocabulary has it, since the runtime stops there; the tokenizer's
    end-of-sequence token otherwise. (Some library versions report another special token as
    end-of-sequence for the same GGUF file, and a model taught to end on it never stops.)
    """
    if "<|im_end|>" in raw_tokenizer.get_vocab():
        return "<|im_end|>"
    return str(raw_tokenizer.eos_token)


def collate(batch: Sequence[Encoded], pad_id: int, device: str = "cpu") -> dict[str, Any]:
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = [e.input_ids + [pad_id] * (width - len(e.input_ids)) for e in batch]
    labels = [e.labels + [IGNORE_INDEX] * (width - len(e.labels)) for e in batch]
    mask = [[1] * len(e.input_ids) + [0] * (width - len(e.input_ids)) for e in batch]
    return {
        "input_ids": torch.tensor(ids, device=device),
        "labels": torch.tensor(labels, device=device),
        "attention_mask": torch.tensor(mask, device=device),
    }


def learning_rate(config: TrainConfig, step: int, elapsed_s: float) -> float:
    """Linear warm-up, then cosine decay over the nearer of the step and time budgets."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = max(step / config.max_steps, elapsed_s / (config.max_minutes * 60))
    return config.learning_rate * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def answer_loss(model: Any, batch: dict[str, Any]) -> Any:
    """Mean cross-entropy over the answer tokens only.

    The vocabulary projection is applied to answer positions alone: on prompt positions it
    would cost a fifth of the step and teach nothing.
    """
    import torch

    causal_lm = model.get_base_model()
    hidden = causal_lm.model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != IGNORE_INDEX
    logits = causal_lm.lm_head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def validation_loss(
    model: Any, items: Sequence[Encoded], pad_id: int, size: int, device: str = "cpu"
) -> float:
    """Mean answer-token loss on held-out examples."""
    import torch

    total, tokens = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(items), size):
            batch = collate(items[start : start + size], pad_id, device)
            count = int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
            total += answer_loss(model, batch).item() * count
            tokens += count
    model.train()
    return total / max(tokens, 1)


def save_adapter(model: Any, out: Path) -> None:
    """The adapter as half-precision safetensors plus its peft config, without local paths."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().cpu().half().contiguous() for k, v in get_peft_model_state_dict(model).items()
    }
    save_file(state, str(out / "adapter_model.safetensors"))
    config = model.peft_config["default"]
    config.base_model_name_or_path = MODEL_FILE_NAME
    config.save_pretrained(str(out))


def adapted_model(base: Any, config: TrainConfig) -> tuple[Any, TrainConfig]:
    """``base`` with a trainable LoRA adapter: a fresh one of ``config``'s shape, or the one in
    ``config.init_adapter``; and ``config`` with the shape the adapter really has, for the
    training record."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if config.init_adapter:
        model = PeftModel.from_pretrained(base, config.init_adapter, is_trainable=True)
    else:
        model = get_peft_model(
            base,
            LoraConfig(
                r=config.rank,
                lora_alpha=config.alpha,
                lora_dropout=config.dropout,
                target_modules=list(LORA_TARGETS),
                task_type="CAUSAL_LM",
            ),
        )
    shape = model.peft_config["default"]
    if not isinstance(shape, LoraConfig):
        raise ValueError(f"{config.init_adapter} holds no LoRA adapter")
    return model, replace(config, rank=shape.r, alpha=shape.lora_alpha, dropout=shape.lora_dropout)


def train(
    data_dir: Path, out: Path, config: TrainConfig, model_file: Path | None
) -> dict[str, Any]:
    """Fine-tune, save the adapter to ``out`` and return the run's record."""
    import torch

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    path = resolve_model_file(model_file)
    raw_tokenizer = load_tokenizer(path)
    tokenizer = ChatTokenizer.from_transformers(raw_tokenizer)
    eos = end_of_turn(raw_tokenizer)
    pad_id = int(raw_tokenizer.pad_token_id or raw_tokenizer.eos_token_id)

    def encoded(split: Split) -> list[Encoded]:
        examples = build_examples(
            data_dir,
            split,
            count_tokens=tokenizer.count,
            mix=dict(config.mix) if split == "train" else None,
            unanswerable_share=config.unanswerable_share,
            passage_tokens=config.passage_tokens,
        )
        items = [encode(e, tokenizer, eos) for e in examples]
        return [e for e in items if len(e.input_ids) <= config.max_tokens]

    train_items = encoded("train")
    held_out = encoded("eval")[: config.validation_examples]
    if not train_items:
        raise SystemExit(f"no training examples found under {data_dir}")
    planned = sum(
        1 for _ in epoch_batches(train_items, config.batch_size, config.epochs, config.seed)
    )
    config = replace(config, max_steps=min(config.max_steps, planned))

    model, config = adapted_model(load_model(path), config)
    model = model.to(config.device)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=config.learning_rate
    )
    record: dict[str, Any] = {
        "config": asdict(config),
        "train_examples_available": len(train_items),
        "end_of_turn": eos,
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "validation_loss_before": validation_loss(
            model, held_out, pad_id, config.batch_size, config.device
        ),
        "steps": [],
    }
    print(f"validation loss before: {record['validation_loss_before']:.4f}", flush=True)
    model.train()
    started = last_save = time.monotonic()
    step, seen_tokens, seen_examples = 0, 0, 0
    for batch_items in epoch_batches(train_items, config.batch_size, config.epochs, config.seed):
        elapsed = time.monotonic() - started
        if step >= config.max_steps or elapsed >= config.max_minutes * 60:
            break
        rate = learning_rate(config, step, elapsed)
        for group in optimizer.param_groups:
            group["lr"] = rate
        loss = answer_loss(model, collate(batch_items, pad_id, config.device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        seen_examples += len(batch_items)
        seen_tokens += sum(len(e.input_ids) for e in batch_items)
        record["steps"].append(
            {"step": step, "loss": round(loss.item(), 4), "lr": rate, "s": round(elapsed, 1)}
        )
        print(f"step {step} loss {loss.item():.4f} lr {rate:.2e} {elapsed:.0f}s", flush=True)
        if time.monotonic() - last_save >= config.checkpoint_minutes * 60:
            save_adapter(model, out)
            last_save = time.monotonic()
    record.update(
        {
            "steps_done": step,
            "examples_seen": seen_examples,
            "tokens_seen": seen_tokens,
            "train_seconds": round(time.monotonic() - started, 1),
            "validation_loss_after": validation_loss(
                model, held_out, pad_id, config.batch_size, config.device
            ),
        }
    )
    print(f"validation loss after: {record['validation_loss_after']:.4f}", flush=True)
    save_adapter(model, out)
    (out / "training_log.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fine-tune the generator's LoRA adapter.")
    parser.add_argument("--data", type=Path, required=True, help="public evaluation data folder")
    parser.add_argument("--out", type=Path, required=True, help="adapter folder to write")
    parser.add_argument("--max-minutes", type=float, default=TrainConfig.max_minutes)
    parser.add_argument("--max-steps", type=int, default=TrainConfig.max_steps)
    parser.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    parser.add_argument("--model-file", type=Path, default=None, help="GGUF file to tune")
    parser.add_argument(
        "--unanswerable-share", type=float, default=UNANSWERABLE_SHARE, help="share of abstentions"
    )
    parser.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    parser.add_argument("--learning-rate", type=float, default=TrainConfig.learning_rate)
    parser.add_argument("--rank", type=int, default=TrainConfig.rank)
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=TrainConfig.mix,
        help="answerable training examples per source, as tatqa=320,pubmedqa=260,...",
    )
    parser.add_argument("--passage-tokens", type=int, default=TrainConfig.passage_tokens)
    parser.add_argument("--max-tokens", type=int, default=TrainConfig.max_tokens)
    parser.add_argument(
        "--init-adapter", type=Path, default=None, help="adapter folder to go on training from"
    )
    parser.add_argument("--threads", type=int, default=TrainConfig.threads)
    parser.add_argument("--device", default="auto", help="cpu, cuda, or auto (cuda if present)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        raise SystemExit(f"data folder {args.data} not found")
    config = TrainConfig(
        max_minutes=args.max_minutes,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        unanswerable_share=args.unanswerable_share,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        rank=args.rank,
        alpha=2 * args.rank,
        mix=args.mix,
        passage_tokens=args.passage_tokens,
        max_tokens=args.max_tokens,
        init_adapter=str(args.init_adapter) if args.init_adapter else None,
        threads=args.threads,
        device=pick_device(args.device),
    )
    train(args.data, args.out, config, args.model_file)


if __name__ == "__main__":
    main()
