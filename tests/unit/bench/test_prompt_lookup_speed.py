"""The timing loop of the decoding comparison: every decoder on every prompt, answers compared."""

from __future__ import annotations

from bench.prompt_lookup_speed import Decode, timed_in_turn


def test_each_decoder_is_timed_on_each_prompt_and_different_answers_are_counted() -> None:
    calls: list[tuple[str, int]] = []

    def decoder(name: str, wrong_on: int | None) -> Decode:
        def decode(prompt: list[int]) -> str:
            calls.append((name, prompt[0]))
            return "other" if prompt[0] == wrong_on else f"answer {prompt[0]}"

        return decode

    seconds, differing = timed_in_turn(
        {"a": decoder("a", None), "b": decoder("b", 2)}, [[1], [2], [3]]
    )
    assert calls == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("b", 3)]
    assert [len(v) for v in seconds.values()] == [3, 3]
    assert differing == 1
