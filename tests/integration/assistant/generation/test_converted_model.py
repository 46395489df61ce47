"""The answer model converted once and read back at later starts computes exactly what the
model converted from the GGUF file at every start computes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.generation.base import Generator, generate
from assistant.generation.batch_model import TorchBatch
from assistant.generation.factory import build_generator
from assistant.generation.prompt import PromptBuilder, SourcePassage
from assistant.generation.transformers_runtime import TransformersGenerator
from assistant.settings import GenerationSettings

pytestmark = pytest.mark.integration

PASSAGES = [
    SourcePassage("Total revenue for FY2025 was $412.6 million, up 8% on FY2024.", "10k.pdf", 41),
    SourcePassage("The tenant must give ninety days written notice.", "lease.pdf", 3),
]
QUESTION = "What was the total revenue in FY2025?"


def _logits(generator: TransformersGenerator, ids: list[int]) -> Any:
    import torch

    batch = generator._loaded()[0].batch  # the loaded model itself: its logits, not its choices
    assert isinstance(batch, TorchBatch)
    model = batch.model
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def test_the_converted_model_gives_the_same_logits_and_answers(
    smollm2: Generator, tmp_path: Path
) -> None:
    import torch

    assert isinstance(smollm2, TransformersGenerator)
    settings = GenerationSettings(converted_dir=tmp_path / "model-cache")
    first = build_generator(settings)
    assert first.prepare().converted  # a cold cache: converted now
    second = build_generator(settings)
    prepared = second.prepare()
    assert not prepared.converted
    assert (prepared.folder / "model.safetensors").is_file()

    prompt = PromptBuilder(smollm2.tokenizer, context_tokens=1024, answer_tokens=32).build(
        QUESTION, PASSAGES
    )
    ids = smollm2.tokenizer.encode_chat(prompt.messages)
    assert first.tokenizer.encode_chat(prompt.messages) == ids
    assert second.tokenizer.encode_chat(prompt.messages) == ids
    in_memory = _logits(smollm2, ids)
    assert torch.equal(_logits(first, ids), in_memory)
    assert torch.equal(_logits(second, ids), in_memory)

    answers = [generate(g, prompt.messages, max_new_tokens=32) for g in (smollm2, second)]
    assert answers[0].text == answers[1].text
    assert [t.logprob for t in answers[0].tokens] == [t.logprob for t in answers[1].tokens]
