"""The batch scheduler on a scripted stand-in for the model: answers decoded together are those
decoded alone; questions join between steps and leave at their own end; the line is bounded,
tells each question its place, and a reader that goes away leaves the line or the batch."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import pytest
import torch

from assistant.generation.base import GeneratedToken, GeneratorBusy, Queued
from assistant.generation.batching import BatchScheduler
from assistant.generation.greedy import GreedyDecoding

STOP = 0
VOCABULARY = 16
WRONG = 15
"""What the stand-in predicts after a wrong guessed token: garbage, as a real model would."""


def letters(ids: Sequence[int]) -> str:
    return "".join(chr(96 + i) for i in ids)


class ScriptedBatch:
    """Rows whose answers are scripted by their prompt's first token (``answers``): after the
    answer's first k tokens a row predicts token k + 1 (then STOP). Records each step's row count
    and inputs; ``gate``, when set, must be passed for every step; ``fail_at`` makes that step
    (counting from 1) raise."""

    def __init__(self, answers: dict[int, list[int]], *, gated: bool = False) -> None:
        self.answers = answers
        self.gate = threading.Semaphore(0) if gated else None
        self.fail_at: int | None = None
        self.steps: list[list[list[int]]] = []
        self.added: list[int] = []
        self._rows: list[tuple[int, list[int]]] = []  # (script key, answer tokens fed so far)

    @property
    def rows(self) -> int:
        return len(self._rows)

    def _scores(self, key: int, fed: list[int]) -> torch.Tensor:
        answer = self.answers[key]
        right = fed == answer[: len(fed)]
        following = answer[len(fed)] if len(fed) < len(answer) else STOP
        logits = torch.zeros(VOCABULARY)
        logits[following if right else WRONG] = 9.0
        logits[13] = 1.0 + len(fed) % 3  # a runner-up: log-probabilities vary
        return torch.log_softmax(logits, dim=-1)

    def add(self, prompt: Sequence[int]) -> torch.Tensor:
        self.added.append(prompt[0])
        self._rows.append((prompt[0], []))
        return self._scores(prompt[0], [])

    def step(self, inputs: Sequence[Sequence[int]]) -> list[torch.Tensor]:
        if self.gate is not None:
            assert self.gate.acquire(timeout=10)
        self.steps.append([list(row) for row in inputs])
        if self.fail_at == len(self.steps):
            raise RuntimeError("the model failed")
        assert len(inputs) == len(self._rows)
        assert len(inputs) == 1 or all(len(row) == 1 for row in inputs)
        results = []
        for (key, fed), row in zip(self._rows, inputs, strict=True):
            scores = []
            for token in row:
                fed.append(token)
                scores.append(self._scores(key, fed))
            results.append(torch.stack(scores))
        return results

    def cut(self, tokens: int) -> None:
        assert len(self._rows) == 1
        del self._rows[0][1][-tokens:]

    def keep(self, rows: Sequence[int]) -> None:
        self._rows = [self._rows[row] for row in rows]


def scheduler(
    batch: ScriptedBatch,
    *,
    batch_size: int = 8,
    queue_length: int = 8,
    lookup: int = 0,
    heartbeat_s: float = 30.0,
) -> BatchScheduler:
    decoding = GreedyDecoding(
        stop_ids=frozenset({STOP}),
        stop_text=None,
        lookup_tokens=lookup,
        prefill_threads=1,
        decode_threads=1,
    )
    return BatchScheduler(
        batch,
        letters,
        decoding,
        batch_size=batch_size,
        queue_length=queue_length,
        heartbeat_s=heartbeat_s,
    )


def tokens_of(stream: Iterator[GeneratedToken | Queued]) -> list[GeneratedToken]:
    return [t for t in stream if isinstance(t, GeneratedToken)]


def next_text(stream: Iterator[GeneratedToken | Queued]) -> str:
    token = next(stream)
    assert isinstance(token, GeneratedToken)
    return token.text


def text(tokens: Sequence[GeneratedToken]) -> str:
    return "".join(t.text for t in tokens)


ANSWERS = {
    1: [2, 3, 4, 5, 6, 7, 8, 9],
    2: [9, 8, 7],
    3: [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4],
    4: [5, 6, 5, 6, 5, 6, 12, 11],
}


def alone(key: int, lookup: int = 0, cap: int = 50) -> list[GeneratedToken]:
    return tokens_of(scheduler(ScriptedBatch(ANSWERS), lookup=lookup).stream([key, 1, 1], cap))


def release(batch: ScriptedBatch, steps: int = 100) -> None:
    assert batch.gate is not None
    for _ in range(steps):
        batch.gate.release()


def test_answers_decoded_together_are_those_decoded_alone() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch)
    streams = [decoder.stream([key, 1, 1], 50) for key in ANSWERS]
    release(batch)  # the first step waited for every question to be in line
    for key, stream in zip(ANSWERS, streams, strict=True):
        tokens, expected = tokens_of(stream), alone(key)
        assert text(tokens) == letters(ANSWERS[key])
        assert [t.text for t in tokens] == [t.text for t in expected]
        assert [t.logprob for t in tokens] == pytest.approx([t.logprob for t in expected])
    sizes = [len(step) for step in batch.steps]
    assert max(sizes) == len(ANSWERS)
    # each row leaves at its own end: once full, the batch only shrinks, to one row
    full = sizes.index(len(ANSWERS))
    assert sizes[full:] == sorted(sizes[full:], reverse=True) and sizes[-1] == 1


def test_a_question_joins_between_steps_and_the_batch_goes_on() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch)
    long = decoder.stream([3, 1], 50)
    assert next_text(long) == "d"  # read alone; the first step now waits at the gate
    short = decoder.stream([2, 1], 50)
    release(batch, 1)
    assert next_text(short) == "i"  # read and given its first token after the first step
    release(batch)
    assert text(tokens_of(long)) == letters(ANSWERS[3][1:])
    assert text(tokens_of(short)) == letters(ANSWERS[2][1:])
    sizes = [len(step) for step in batch.steps]
    # joined at the second step; left once its third token was followed by the stop; the long
    # answer went on alone
    assert sizes[:5] == [1, 2, 2, 2, 1] and set(sizes[5:]) == {1}


def test_guesses_are_checked_only_by_a_question_alone() -> None:
    batch = ScriptedBatch(ANSWERS)
    decoder = scheduler(batch, lookup=4)
    tokens = tokens_of(decoder.stream([4, 5, 6, 5, 6, 12], 50))
    assert text(tokens) == letters(ANSWERS[4])
    assert [t.logprob for t in tokens] == pytest.approx([t.logprob for t in alone(4)])
    assert any(len(step[0]) > 1 for step in batch.steps)  # a guess was checked, cut when wrong
    assert len(batch.steps) < len(ANSWERS[4])


def test_the_line_is_bounded_and_each_question_told_its_place() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch, batch_size=1, queue_length=2)
    running = decoder.stream([1], 50)
    assert next_text(running) == "b"
    second, third = decoder.stream([2], 50), decoder.stream([3], 50)
    assert next(second) == Queued(1)
    assert next(third) == Queued(2)
    with pytest.raises(GeneratorBusy, match="Ask again in a few seconds"):
        decoder.stream([4], 50)
    second.close()  # its reader went away: it leaves the line, the next moves up
    assert next(third) == Queued(1)
    release(batch)
    assert text(tokens_of(running)) == letters(ANSWERS[1][1:])
    assert text(tokens_of(third)) == letters(ANSWERS[3])
    assert batch.added == [1, 3]  # the question that left was never read


def test_a_waiting_question_repeats_its_place() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch, batch_size=1, heartbeat_s=0.01)
    running = decoder.stream([1], 50)
    next(running)
    waiting = decoder.stream([2], 50)
    assert [next(waiting) for _ in range(3)] == [Queued(1)] * 3
    waiting.close()
    running.close()
    release(batch, 1)


def test_a_reader_that_goes_away_leaves_the_batch_before_the_next_step() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch)
    leaving, staying = decoder.stream([1], 50), decoder.stream([3], 50)
    release(batch, 1)
    next(leaving), next(staying)  # both in the batch; a step waits at the gate
    leaving.close()
    release(batch)
    assert text(tokens_of(staying)) == letters(ANSWERS[3][1:])
    sizes = [len(step) for step in batch.steps]
    # At most the step under way when its reader left (the second) fed the leaving row with
    # the other; it had 7 more tokens to go.
    assert set(sizes[2:]) == {1}


def test_a_failed_step_fails_its_answers_and_later_questions_are_answered() -> None:
    batch = ScriptedBatch(ANSWERS)
    batch.fail_at = 2
    decoder = scheduler(batch)
    with pytest.raises(RuntimeError, match="the model failed"):
        tokens_of(decoder.stream([1], 50))
    assert batch.rows == 0
    assert text(tokens_of(decoder.stream([2], 50))) == letters(ANSWERS[2])
