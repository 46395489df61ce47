from __future__ import annotations

from assistant.generation.base import GeneratedToken, Generation, generate, repeated_sentence_start
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


def test_a_model_repeating_a_sentence_is_stopped_and_the_repeat_dropped() -> None:
    loop = ["It is on page 2.", " The fee is due.", " The fee", " is due.", " More", " text."]
    generator = ScriptedGenerator(loop)
    result = generate(generator, [], max_new_tokens=50, clock=StepClock())
    assert result.text == "It is on page 2. The fee is due."
    assert len(result.tokens) == 2


def test_short_pieces_and_new_sentences_do_not_stop_the_answer() -> None:
    pieces = ["See e.g.", " the fee.", " Also e.g.", " the deposit.", " Section 2.", " Section 2."]
    result = generate(ScriptedGenerator(pieces), [], max_new_tokens=50, clock=StepClock())
    assert result.text == "".join(pieces)


def test_repeated_sentence_start_points_at_the_second_occurrence() -> None:
    assert repeated_sentence_start("The fee is due. Pay it now. The fee is due. ") == 28
    assert repeated_sentence_start("The fee is due. The FEE  is due.\n") == 16
    assert repeated_sentence_start("The fee is due. The fee is due") is None  # not finished
    assert repeated_sentence_start("One two three four.") is None
