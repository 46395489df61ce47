"""The span reader's work around its model: cutting passages into windows with the encoder's
tokenizer, and picking the best span from a window's start and end scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from assistant.backbone import backbone_path
from assistant.reading.span_windows import (
    MAX_ANSWER_TOKENS,
    MAX_TOKENS,
    SpanTokenizer,
    best_in_window,
)


@pytest.fixture(scope="module")
def tokenizer() -> SpanTokenizer:
    return SpanTokenizer(backbone_path() / "tokenizer.json")


def test_a_long_passage_becomes_overlapping_windows_that_know_their_passage(
    tokenizer: SpanTokenizer,
) -> None:
    long = " ".join(f"Clause {n} sets out routine matters." for n in range(120))
    passages = ["Rent is due on the first day.", long]
    windows = tokenizer.windows("When is rent due?", passages)
    assert windows.passages[0] == 0 and set(windows.passages[1:]) == {1}
    assert len(windows.passages) > 2
    width = windows.feed["input_ids"].shape[1]
    assert width == MAX_TOKENS
    first = windows.sequence_ids[0]
    tokens = [i for i, s in enumerate(first) if s == 1]
    begin, end = windows.offsets[0][tokens[0]][0], windows.offsets[0][tokens[-1]][1]
    assert passages[0][begin:end] == "Rent is due on the first day."
    mask = windows.feed["attention_mask"][0]
    real = int(mask.sum())
    assert mask[:real].all() and not mask[real:].any()  # padded after the real tokens
    assert all(s is None for s in first[real:])


def _scores(size: int, start: dict[int, float], end: dict[int, float]) -> tuple[np.ndarray, ...]:
    starts, ends = np.zeros(size), np.zeros(size)
    for position, value in start.items():
        starts[position] = value
    for position, value in end.items():
        ends[position] = value
    return starts, ends


def test_the_best_span_lies_in_the_passage_and_is_scored_against_no_answer() -> None:
    sequence = [None, 0, 0, None, 1, 1, 1, 1, None]
    # The question's tokens score highest, but only passage tokens may answer.
    start, end = _scores(9, {1: 9.0, 5: 4.0, 0: 1.0}, {2: 9.0, 6: 3.0, 0: 1.0})
    found = best_in_window(start, end, sequence)
    assert found is not None
    first, last, margin, share = found
    assert (first, last) == (5, 6)
    assert margin == pytest.approx(7.0 - 2.0)
    assert 0 < share < 1


def test_a_span_ends_after_it_starts_and_is_not_too_long() -> None:
    size = MAX_ANSWER_TOKENS + 10
    sequence: list[int | None] = [None] + [1] * (size - 1)
    start, end = _scores(size, {size - 2: 5.0, 1: 6.0}, {2: 5.0, size - 1: 6.0})
    found = best_in_window(start, end, sequence)
    assert found is not None
    first, last, _, _ = found
    assert first <= last and last - first < MAX_ANSWER_TOKENS


def test_shares_of_every_span_and_no_answer_sum_to_one() -> None:
    sequence: list[int | None] = [None, 1, 1]
    start, end = _scores(3, {}, {})
    found = best_in_window(start, end, sequence)
    assert found is not None
    # Three spans (1-1, 1-2, 2-2) and "no answer", all scored 0.
    assert found[3] == pytest.approx(0.25)
    assert math.isclose(found[2], 0.0)


def test_a_window_without_passage_tokens_has_no_span() -> None:
    start, end = _scores(4, {}, {})
    assert best_in_window(start, end, [None, 0, 0, None]) is None
