"""The generator's prompt precision as the settings and the CPU decide it (nothing loaded)."""

from __future__ import annotations

import pytest

from assistant.generation import factory
from assistant.generation.factory import build_generator
from assistant.settings import GenerationSettings


@pytest.mark.parametrize(
    ("precision", "runtime", "cpu_has_bf16", "expected"),
    [
        ("auto", "transformers", True, True),
        ("auto", "transformers", False, False),
        ("fp32", "transformers", True, False),
        ("bf16", "transformers", False, True),
        ("auto", "transformers-int8", True, False),
    ],
)
def test_prompts_are_read_in_bfloat16_where_chosen_and_useful(
    monkeypatch: pytest.MonkeyPatch,
    precision: str,
    runtime: str,
    cpu_has_bf16: bool,
    expected: bool,
) -> None:
    monkeypatch.setattr(factory, "has_bfloat16", lambda: cpu_has_bf16)
    settings = GenerationSettings.model_validate(
        {"prefill_precision": precision, "runtime": runtime}
    )
    assert build_generator(settings).prefill_bf16 is expected
