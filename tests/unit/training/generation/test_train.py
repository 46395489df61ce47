from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pytest

from assistant.torch_device import pick_device
from training.generation.train import (
    IGNORE_INDEX,
    Encoded,
    TrainConfig,
    adapted_model,
    collate,
    end_of_turn,
    epoch_batches,
    learning_rate,
    parse_mix,
    save_adapter,
)


def _items(count: int) -> list[Encoded]:
    return [
        Encoded(f"e{i}", list(range(1, 2 + i % 5)), [IGNORE_INDEX] + [7] * (i % 5))
        for i in range(count)
    ]


def test_parse_mix_reads_source_counts() -> None:
    assert parse_mix("tatqa=1300, pubmedqa=400") == (("tatqa", 1300), ("pubmedqa", 400))


@pytest.mark.parametrize("spec", ["tatqa", "tatqa=", "tatqa=many", "tatqa=-3"])
def test_parse_mix_refuses_malformed_parts(spec: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_mix(spec)


def test_every_epoch_sees_every_example_once() -> None:
    items = _items(70)
    epochs: list[list[list[Encoded]]] = [[], [], []]
    batches = list(epoch_batches(items, 4, 3, seed=1))
    position = 0
    for epoch in epochs:
        while sum(len(b) for b in epoch) < len(items):
            epoch.append(batches[position])
            position += 1
    assert position == len(batches)
    for epoch in epochs:
        assert sorted(e.example_id for b in epoch for e in b) == sorted(e.example_id for e in items)
    first, second = ([e.example_id for b in ep for e in b] for ep in epochs[:2])
    assert first != second


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    config = TrainConfig(learning_rate=1e-3, warmup_steps=4, max_steps=100, max_minutes=1e6)
    assert learning_rate(config, 0, 0.0) == pytest.approx(2.5e-4)
    assert learning_rate(config, 4, 0.0) == pytest.approx(
        1e-3 * 0.5 * (1 + math.cos(math.pi * 0.04))
    )
    assert learning_rate(config, 50, 0.0) == pytest.approx(5e-4)
    assert learning_rate(config, 100, 0.0) == pytest.approx(0.0, abs=1e-12)


def test_learning_rate_follows_the_clock_when_it_is_nearer() -> None:
    config = TrainConfig(learning_rate=1e-3, warmup_steps=1, max_steps=10_000, max_minutes=1.0)
    assert learning_rate(config, 10, 60.0) == pytest.approx(0.0, abs=1e-12)


def test_collate_pads_inputs_and_hides_padding_from_the_loss() -> None:
    batch = collate([Encoded("a", [5, 6, 7], [IGNORE_INDEX, 6, 7]), Encoded("b", [5], [5])], 0)
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE_INDEX, 6, 7], [5, IGNORE_INDEX, IGNORE_INDEX]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert str(batch["input_ids"].device) == "cpu"


def test_pick_device_keeps_an_explicit_choice() -> None:
    assert pick_device("cpu") == "cpu"
    assert pick_device("auto") in {"cpu", "cuda"}


class _Vocabulary:
    def __init__(self, names: dict[str, int], eos: str) -> None:
        self._names, self.eos_token = names, eos

    def get_vocab(self) -> dict[str, int]:
        return self._names


def test_answers_end_on_the_end_of_turn_marker_whatever_eos_is_reported() -> None:
    chat = _Vocabulary({"<|im_start|>": 1, "<|im_end|>": 2}, eos="<|im_start|>")
    assert end_of_turn(chat) == "<|im_end|>"
    assert end_of_turn(_Vocabulary({"</s>": 2}, eos="</s>")) == "</s>"


def _tiny_llama() -> Any:
    """A one-layer Llama with random weights, the same for every call."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=40,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=1,
        )
    )


def test_training_goes_on_from_a_saved_adapter(tmp_path: Path) -> None:
    import torch
    from peft import get_peft_model_state_dict

    first, first_config = adapted_model(_tiny_llama(), TrainConfig(rank=4, alpha=8))
    assert (first_config.rank, first_config.alpha) == (4, 8)
    with torch.no_grad():
        for name, parameter in first.named_parameters():
            if "lora_B" in name:
                parameter.fill_(0.25)
    save_adapter(first, tmp_path / "adapter")

    resumed, config = adapted_model(
        _tiny_llama(), TrainConfig(rank=16, alpha=32, init_adapter=str(tmp_path / "adapter"))
    )
    # The record shows the shape the adapter has, not the one asked for.
    assert (config.rank, config.alpha) == (4, 8)
    saved, loaded = get_peft_model_state_dict(first), get_peft_model_state_dict(resumed)
    assert saved.keys() == loaded.keys()
    for key, value in saved.items():
        torch.testing.assert_close(loaded[key], value.half().float())
    trainable = [name for name, p in resumed.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)

    fresh, _ = adapted_model(_tiny_llama(), TrainConfig(rank=4, alpha=8))
    assert all(
        float(p.detach().abs().sum()) == 0.0 for n, p in fresh.named_parameters() if "lora_B" in n
    )
