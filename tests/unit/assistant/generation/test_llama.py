"""The answer model's own Llama network computes what transformers' Llama computes, on tiny
randomly initialised models (no trained weights): a prompt, later passes over a cache, several
tokens after cached ones, rows with padding hidden by a mask, and bfloat16 prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import save_file
from transformers import DynamicCache, LlamaConfig, Qwen2Config, Qwen2ForCausalLM
from transformers import LlamaForCausalLM as ReferenceLlama

from assistant.generation.kv_cache import reserved_cache
from assistant.generation.llama import LlamaForCausalLM, LlamaShape

TINY: dict[str, Any] = {
    "vocab_size": 40,
    "hidden_size": 48,
    "intermediate_size": 96,
    "num_hidden_layers": 3,
    "num_attention_heads": 6,
    "num_key_value_heads": 2,
    "max_position_embeddings": 128,
}
"""A model small enough to build at random in a unit test, with grouped key/value heads."""


def reference(*, tied: bool = True, theta: float = 10000.0) -> ReferenceLlama:
    torch.manual_seed(0)
    config = LlamaConfig(
        **TINY,
        tie_word_embeddings=tied,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
    )
    return ReferenceLlama(config).eval()


def own(model: ReferenceLlama) -> LlamaForCausalLM:
    return LlamaForCausalLM.from_weights(model.config.to_dict(), model.state_dict())


PROMPT = torch.tensor([[5, 9, 3, 7, 2, 11, 4, 30, 12]])


@pytest.mark.parametrize("tied", [True, False])
def test_a_prompt_scores_as_in_transformers(tied: bool) -> None:
    expected_model = reference(tied=tied, theta=500.0)
    with torch.inference_mode():
        expected = expected_model(input_ids=PROMPT).logits
        got = own(expected_model)(PROMPT).logits
    assert torch.allclose(got, expected, atol=1e-5)


def test_passes_over_a_cache_score_as_in_transformers() -> None:
    model = reference()
    ours = own(model)
    with torch.inference_mode():
        theirs_cache, our_cache = DynamicCache(), reserved_cache()
        model(input_ids=PROMPT, cache=theirs_cache, use_cache=True)
        first = ours(PROMPT, cache=our_cache, logits_to_keep=1).logits
        assert first.shape == (1, 1, 40)
        for step in ([[17]], [[8, 1, 33]], [[2]]):  # one token, a guess of three, one again
            inputs = torch.tensor(step)
            expected = model(input_ids=inputs, cache=theirs_cache, use_cache=True).logits
            got = ours(inputs, cache=our_cache).logits
            assert torch.allclose(got, expected, atol=1e-5)
        assert our_cache.get_seq_length() == PROMPT.shape[1] + 5


def test_a_padded_row_scores_as_alone() -> None:
    ours = own(reference())
    short = PROMPT[:, 4:]
    with torch.inference_mode():
        alone_cache = reserved_cache()
        ours(short, cache=alone_cache)
        alone = ours(torch.tensor([[6]]), cache=alone_cache).logits[0, -1]
        padded_cache = reserved_cache()
        padded = torch.cat([torch.zeros(1, 4, dtype=torch.long), short], dim=1)
        hidden = torch.arange(padded.shape[1])[None, None, None, :] >= 4
        causal = torch.tril(torch.ones(padded.shape[1], padded.shape[1], dtype=torch.bool))
        ours(
            padded,
            cache=padded_cache,
            attention_mask=hidden & causal[None, None],
            position_ids=torch.tensor([[0, 0, 0, 0, *range(short.shape[1])]]),
        )
        visible = torch.arange(padded.shape[1] + 1)[None, None, None, :] >= 4
        together = ours(
            torch.tensor([[6]]),
            cache=padded_cache,
            attention_mask=visible,
            position_ids=torch.tensor([[short.shape[1]]]),
        ).logits[0, -1]
    assert torch.allclose(alone, together, atol=1e-5)


def test_a_bfloat16_prompt_stays_close_to_fp32() -> None:
    ours = own(reference())
    with torch.inference_mode():
        exact = torch.log_softmax(ours(PROMPT).logits[0, -1], dim=-1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            rounded = ours(PROMPT).logits[0, -1].float()
    assert torch.allclose(torch.log_softmax(rounded, dim=-1), exact, atol=0.1)


def test_a_saved_folder_loads(tmp_path: Path) -> None:
    model = reference(tied=True)
    (tmp_path / "config.json").write_text(json.dumps(model.config.to_dict()), encoding="utf-8")
    weights = {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(weights, str(tmp_path / "model.safetensors"))
    loaded = LlamaForCausalLM.load(tmp_path)
    with torch.inference_mode():
        assert torch.equal(loaded(PROMPT).logits, model(input_ids=PROMPT).logits)


@pytest.mark.parametrize(
    ("config_class", "model_class", "extra"),
    [
        (LlamaConfig, ReferenceLlama, {"attention_bias": True}),
        (Qwen2Config, Qwen2ForCausalLM, {"tie_word_embeddings": True}),
    ],
)
def test_biased_attention_scores_as_in_transformers(
    config_class: Any, model_class: Any, extra: dict[str, Any]
) -> None:
    """A Llama with biases on its four attention projections, and Qwen2, with biases on the
    query, key and value projections only."""
    torch.manual_seed(0)
    config = config_class(**TINY, **extra)
    model = model_class(config).eval()
    with torch.inference_mode():
        for module in model.modules():  # transformers starts biases at zero
            if isinstance(module, torch.nn.Linear) and module.bias is not None:
                module.bias.normal_()
        ours = LlamaForCausalLM.from_weights(config.to_dict(), model.state_dict())
        assert torch.allclose(ours(PROMPT).logits, model(input_ids=PROMPT).logits, atol=1e-5)


def test_what_it_cannot_compute_is_refused() -> None:
    config = reference().config.to_dict()
    with pytest.raises(ValueError, match="not 'mistral'"):
        LlamaShape.from_config({**config, "model_type": "mistral"})
    with pytest.raises(ValueError, match="biases"):
        LlamaShape.from_config({**config, "mlp_bias": True})
    scaled = {**config, "rope_parameters": {"rope_type": "yarn", "rope_theta": 1e4}}
    with pytest.raises(ValueError, match="yarn"):
        LlamaShape.from_config(scaled)
    weights = dict(reference().state_dict())
    weights.pop("model.norm.weight")
    with pytest.raises(ValueError, match=r"model\.norm\.weight"):
        LlamaForCausalLM.from_weights(config, weights)
