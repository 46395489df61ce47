from __future__ import annotations

from assistant.generation.base import GeneratedToken, Generation, generate
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock


def test_generate_streams_pieces_and_times_them() -> None:
    seen: list[str] = []
    generator = ScriptedGenerator(["Fees ", "are ", "", "due [1]."])
    result = generate(
        generator,
        [{"role": "user", "content": "q"}],
        max_new_tokens=10,
        on_token=seen.append,
        clock=StepClock(0.5),
    )
    assert seen == ["Fees ", "are ", "due [1]."]
    assert result.text == "Fees are due [1]."
    assert result.token_logprobs == (-0.25,) * 4
    # The clock is read at the start, at the first token and at the end.
    assert result.first_token_s == 0.5
    assert result.total_s == 1.0
    assert result.tokens_per_s == 3 / 0.5


def test_generate_respects_the_token_cap() -> None:
    result = generate(ScriptedGenerator(["a", "b", "c"]), [], max_new_tokens=2, clock=StepClock())
    assert result.text == "ab"


def test_rate_of_a_single_token_is_zero() -> None:
    single = Generation("x", (GeneratedToken("x", 0.0),), first_token_s=1.0, total_s=1.0)
    assert single.tokens_per_s == 0.0
