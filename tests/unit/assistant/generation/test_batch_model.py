"""Rows decoded together score as they do alone: a tiny randomly initialised Llama model (the
generator's architecture, no trained weights) reads prompts of different lengths, joins them
into one batch at different moments and decodes them with padding, masks and positions."""

from __future__ import annotations

import torch

from assistant.generation.batch_model import TorchBatch
from assistant.generation.kv_cache import reserved_cache
from assistant.generation.llama import LlamaForCausalLM, LlamaShape

PROMPTS = [[5, 9, 3, 7, 2, 11, 4], [8, 1, 6], [12, 3, 3, 9, 14]]


def tiny_model() -> LlamaForCausalLM:
    torch.manual_seed(0)
    shape = LlamaShape(
        vocab_size=32,
        hidden_size=32,
        intermediate_size=64,
        layers=2,
        heads=4,
        kv_heads=2,
        head_dim=8,
        rms_eps=1e-5,
        rope_theta=10000.0,
        tied_embeddings=False,
    )
    return LlamaForCausalLM(shape).eval()


def new_batch(model: LlamaForCausalLM) -> TorchBatch:
    return TorchBatch(model, new_cache=reserved_cache, prefill_threads=1, decode_threads=1)


def greedy_alone(model: LlamaForCausalLM, prompt: list[int], steps: int) -> list[torch.Tensor]:
    batch = new_batch(model)
    scores = [batch.add(prompt)]
    for _ in range(steps):
        token = int(scores[-1].argmax())
        scores.append(batch.step([[token]])[0][-1])
    return scores


def test_rows_joining_and_leaving_score_as_alone() -> None:
    model = tiny_model()
    steps = 6
    expected = [greedy_alone(model, prompt, steps) for prompt in PROMPTS]
    batch = new_batch(model)
    rows = [0]  # the prompt index of each row
    got = {0: [batch.add(PROMPTS[0])]}
    joins = {2: 1, 3: 2}  # before the step of this number, the prompt of this index joins
    for number in range(1, 3 * steps):
        if number in joins:
            got[joins[number]] = [batch.add(PROMPTS[joins[number]])]
            rows.append(joins[number])
        staying = [row for row, index in enumerate(rows) if len(got[index]) <= steps]
        if len(staying) < len(rows):  # a row that has all its tokens leaves
            batch.keep(staying)
            rows = [rows[row] for row in staying]
        if not rows:
            break
        inputs = [[int(got[index][-1].argmax())] for index in rows]
        for index, scores in zip(rows, batch.step(inputs), strict=True):
            got[index].append(scores[-1])
    assert batch.rows == 0
    for alone, together in zip(expected, [got[i] for i in range(len(PROMPTS))], strict=True):
        assert len(together) == steps + 1
        for a, b in zip(alone, together, strict=True):
            assert torch.allclose(a, b, atol=1e-5)


def test_a_row_alone_checks_several_tokens_and_cuts_them() -> None:
    model = tiny_model()
    batch = new_batch(model)
    first = batch.add(PROMPTS[0])
    token = int(first.argmax())
    guessed = batch.step([[token, 3, 4]])[0]
    batch.cut(2)
    again = batch.step([[3]])[0]
    assert torch.allclose(guessed[1], again[0], atol=1e-5)


def test_a_prompt_read_in_bfloat16_keeps_an_fp32_cache_and_close_scores() -> None:
    model = tiny_model()
    exact = new_batch(model)
    rounded = TorchBatch(
        model, new_cache=reserved_cache, prefill_threads=1, decode_threads=1, prefill_bf16=True
    )
    first, first_rounded = exact.add(PROMPTS[0]), rounded.add(PROMPTS[0])
    assert first_rounded.dtype == torch.float32
    assert not torch.equal(first, first_rounded)  # the prompt really was read in bfloat16
    assert torch.allclose(first, first_rounded, atol=0.05)
    token = int(first.argmax())
    after, after_rounded = exact.step([[token]])[0], rounded.step([[token]])[0]
    assert torch.allclose(after, after_rounded, atol=0.05)
