"""The guessing decoder against plain decoding, on a fake model whose choices depend on the
position in the cache, so a cache cut at the wrong place changes the answer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from assistant.generation.base import GeneratedToken
from assistant.generation.greedy import GreedyDecoding, decode_greedy

STOP = 0
VOCABULARY = 12


class FakeCache:
    def __init__(self) -> None:
        self.tokens: list[int] = []

    def crop(self, change: int) -> None:
        assert change < 0
        del self.tokens[change:]


class ScriptedModel:
    """Predicts, after position i, the token at position i + 1 of ``script`` (then STOP); checks
    that the cache holds exactly the script so far and that each pass starts on the script's
    next token (the guessed inputs after it may be wrong)."""

    def __init__(self, script: list[int]) -> None:
        self.script = script
        self.passes = 0

    def __call__(
        self,
        *,
        input_ids: torch.Tensor,
        cache: FakeCache | None = None,
        use_cache: bool = True,
        logits_to_keep: int = 0,
    ) -> Any:
        self.passes += 1
        cache = cache or FakeCache()
        inputs = [int(t) for t in input_ids[0]]
        start = len(cache.tokens)
        assert cache.tokens == self.script[:start]
        assert inputs[0] == self.script[start]
        cache.tokens += inputs
        logits = torch.zeros(len(inputs), VOCABULARY)
        for row, position in enumerate(range(start, start + len(inputs))):
            following = position + 1
            logits[row, self.script[following] if following < len(self.script) else STOP] = 9.0
            logits[row, 11] = 2.0 + position % 3  # a runner-up: log-probabilities vary
        if logits_to_keep:
            logits = logits[-logits_to_keep:]
        return SimpleNamespace(logits=logits.unsqueeze(0), cache=cache)


def letters(ids: Sequence[int]) -> str:
    return "".join(chr(96 + i) for i in ids)


def run(
    script: list[int], prompt_length: int, lookup: int, cap: int = 50
) -> tuple[list[GeneratedToken], int]:
    model = ScriptedModel(script)
    decoding = GreedyDecoding(
        stop_ids=frozenset({STOP}),
        stop_text=None,
        lookup_tokens=lookup,
        prefill_threads=1,
        decode_threads=1,
    )
    prompt = script[:prompt_length]
    tokens = list(decode_greedy(model, letters, prompt, cap, decoding))
    return tokens, model.passes


# The answer (after the first 10 tokens) copies "3 4 5 6" from the prompt, then departs from it
# ("3 4 5 9" against the prompt's "3 4 5 6"), then copies again.
SCRIPT = [1, 2, 3, 4, 5, 6, 7, 8, 2, 3, 4, 5, 9, 10, 7, 8, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize("lookup", [1, 2, 4, 8])
def test_guessing_gives_the_plain_answer_in_fewer_passes(lookup: int) -> None:
    plain, plain_passes = run(SCRIPT, 10, lookup=0)
    guessed, passes = run(SCRIPT, 10, lookup=lookup)
    assert "".join(t.text for t in plain) == letters(SCRIPT[10:])
    assert [t.text for t in guessed] == [t.text for t in plain]
    assert [t.logprob for t in guessed] == pytest.approx([t.logprob for t in plain])
    assert all(math.isfinite(t.logprob) and t.logprob < 0 for t in guessed)
    assert plain_passes == len(SCRIPT) - 10 + 1
    assert passes < plain_passes


def test_the_token_cap_holds_inside_a_guess() -> None:
    for cap in range(1, 8):
        tokens, _ = run(SCRIPT, 10, lookup=8, cap=cap)
        assert len(tokens) == cap


def test_a_stop_token_inside_a_guessed_span_ends_the_answer() -> None:
    script = [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]  # the prompt guesses "5 6" after "3 4"; STOP comes
    tokens, _ = run(script, 6, lookup=4)
    assert "".join(t.text for t in tokens) == "abcd"
