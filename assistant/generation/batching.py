"""Answers to several questions decoded together, with a bounded line of questions waiting.

One decoding thread owns the model. Between two steps it lets waiting questions join the batch
(each prompt read alone, then its row added), and after each step a row whose answer ended, or
whose reader went away, leaves it. A one-token pass costs about the time to read the weights
once, so a pass over several rows writes several answers' tokens for little more than the price
of one (docs/generation.md). When the batch is full, questions wait in line and are told their
place; when the line is full too, a question is refused at once (``GeneratorBusy``) rather than
left waiting longer than anyone would.

A question alone in the batch checks guessed tokens several per pass, as single decoding does
(``greedy.py``); in a batch of several, each row takes one token per pass, since rows that keep
different parts of their guesses would no longer line up.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.generation.base import GeneratedToken, GeneratorBusy, Queued
from assistant.generation.greedy import AnswerText, GreedyDecoding

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0
"""How often a waiting question repeats its place in line: a reader that went away meanwhile
closes its stream within this time, and leaves the line."""


class DecodeBatch(Protocol):
    """The model side: rows of sequences being decoded, with their caches
    (``batch_model.TorchBatch``)."""

    @property
    def rows(self) -> int: ...

    def add(self, prompt: Sequence[int]) -> Any:
        """Read ``prompt`` as a new last row; the log-probabilities of the next token."""
        ...

    def step(self, inputs: Sequence[Sequence[int]]) -> Sequence[Any]:
        """Feed ``inputs[i]`` to row ``i``; per row, log-probabilities after each input."""
        ...

    def cut(self, tokens: int) -> None:
        """Forget the last ``tokens`` fed to the single row."""
        ...

    def keep(self, rows: Sequence[int]) -> None:
        """Keep only ``rows``, in that order."""
        ...


_END = object()
"""Put after a request's last token."""


@dataclass(eq=False)
class _Request:
    prompt: list[int]
    max_new_tokens: int
    events: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    position: int = 0


@dataclass(eq=False)
class _Row:
    request: _Request
    answer: AnswerText
    token: int = 0
    guess: list[int] = field(default_factory=list)


class BatchScheduler:
    """Streams answers decoded in batches of up to ``batch_size`` rows, with up to
    ``queue_length`` questions waiting for a row.

    ``decode_text`` turns an answer's token ids into text; ``decoding`` holds the stop rules and
    the guess length (its thread counts are the batch's business).
    """

    def __init__(
        self,
        batch: DecodeBatch,
        decode_text: Callable[[Sequence[int]], str],
        decoding: GreedyDecoding,
        *,
        batch_size: int,
        queue_length: int,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        if batch_size <= 0 or queue_length < 0:
            raise ValueError("batch_size must be positive and queue_length not negative")
        self._batch = batch
        self._decode_text = decode_text
        self._decoding = decoding
        self._batch_size = batch_size
        self._queue_length = queue_length
        self._heartbeat_s = heartbeat_s
        self._changed = threading.Condition()
        self._waiting: collections.deque[_Request] = collections.deque()
        self._running = 0  # requests admitted and not yet done (guarded by _changed)
        self._rows: list[_Row] = []  # the decoding thread's own
        self._thread: threading.Thread | None = None

    @property
    def batch(self) -> DecodeBatch:
        """The batch the scheduler decodes with."""
        return self._batch

    @property
    def decoding(self) -> GreedyDecoding:
        """How each answer is chosen and where it stops."""
        return self._decoding

    def stream(
        self, prompt: Sequence[int], max_new_tokens: int
    ) -> Generator[GeneratedToken | Queued, None, None]:
        """The greedy answer to ``prompt``, token by token, after ``Queued`` notes while it
        waits. The question joins the line at once, or ``GeneratorBusy`` is raised when the line
        is full. Closing the iterator takes the question out of the line or the batch before the
        next step; an iterator must be read or closed."""
        if max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be positive")
        request = _Request(list(prompt), max_new_tokens)
        self._submit(request)
        return self._events(request)

    def _events(self, request: _Request) -> Generator[GeneratedToken | Queued, None, None]:
        try:
            while True:
                try:
                    item = request.events.get(timeout=self._heartbeat_s)
                except queue.Empty:
                    if request.position:
                        yield Queued(request.position)
                    continue
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            with self._changed:
                request.cancelled.set()
                if request in self._waiting:
                    self._waiting.remove(request)
                    self._publish_positions()

    def _submit(self, request: _Request) -> None:
        with self._changed:
            free = self._batch_size - self._running
            if len(self._waiting) - free >= self._queue_length:
                raise GeneratorBusy(
                    f"Too many questions at once: {self._running} answers are being written "
                    f"and {len(self._waiting)} more questions are waiting, as many as this "
                    "server takes. Ask again in a few seconds."
                )
            self._waiting.append(request)
            self._publish_positions()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="answer-batches", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def _publish_positions(self) -> None:
        """Tell each waiting question its place when it changed (call holding ``_changed``)."""
        free = self._batch_size - self._running
        for index, request in enumerate(self._waiting):
            position = max(0, index + 1 - free)
            if position != request.position:
                request.position = position
                if position:
                    request.events.put(Queued(position))

    def _run(self) -> None:
        while True:
            try:
                for request in self._admitted():
                    self._start(request)
                self._leave()
                if self._rows:
                    self._step()
            except Exception as exc:  # no question may be left waiting on a dead thread
                self._fail_all(exc)

    def _admitted(self) -> list[_Request]:
        """Questions that may join now (waiting for any when nothing is being decoded)."""
        with self._changed:
            while not self._waiting and not self._rows:
                self._changed.wait()
            free = self._batch_size - self._running
            admitted = [self._waiting.popleft() for _ in range(min(free, len(self._waiting)))]
            self._running += len(admitted)
            for request in admitted:
                request.position = 0
            self._publish_positions()
            return admitted

    def _start(self, request: _Request) -> None:
        """Read the prompt into a new row and choose the first token."""
        if request.cancelled.is_set():  # its reader left between admission and now
            self._finish(request, None)
            return
        answer = AnswerText(
            request.prompt, self._decode_text, self._decoding, request.max_new_tokens
        )
        row = _Row(request, answer)
        try:
            logprobs = self._batch.add(request.prompt)
            self._rows.append(row)
            self._take(row, [logprobs])
        except Exception as exc:
            self._fail_all(exc, request)

    def _step(self) -> None:
        """One pass over every row; a guess is checked only by a row alone in the batch."""
        alone = len(self._rows) == 1
        for row in self._rows:
            row.guess = row.answer.guess() if alone else []
        try:
            results = self._batch.step([[row.token, *row.guess] for row in self._rows])
            for row, logprobs in zip(self._rows, results, strict=True):
                self._take(row, logprobs)
        except Exception as exc:
            self._fail_all(exc)

    def _fail_all(self, error: Exception, starting: _Request | None = None) -> None:
        """A failure leaves the batch's state unknown: every answer in it (and ``starting``,
        the one joining) ends with ``error``, and the batch starts again empty."""
        log.error("decoding failed", exc_info=error)
        rows, self._rows = self._rows, []
        self._batch.keep([])
        requests = [row.request for row in rows]
        if starting is not None and starting not in requests:
            requests.append(starting)
        for request in requests:
            self._finish(request, error)

    def _take(self, row: _Row, logprobs: Sequence[Any]) -> None:
        """Choose tokens from ``logprobs`` (one row per input fed) as far as the guess holds."""
        for position, scores in enumerate(logprobs):
            token, piece = row.answer.choose(scores)
            if piece is not None:
                row.request.events.put(piece)
            if row.answer.finished:
                return
            row.token = token
            if position < len(row.guess) and token == row.guess[position]:
                continue
            rejected = len(row.guess) - position
            if rejected > 0:
                self._batch.cut(rejected)
            return

    def _leave(self) -> None:
        """Rows whose answer ended or whose reader went away leave the batch."""
        staying = [
            index
            for index, row in enumerate(self._rows)
            if not row.answer.finished and not row.request.cancelled.is_set()
        ]
        if len(staying) == len(self._rows):
            return
        leaving = [row for index, row in enumerate(self._rows) if index not in staying]
        self._rows = [self._rows[index] for index in staying]
        self._batch.keep(staying)
        for row in leaving:
            self._finish(row.request, None)

    def _finish(self, request: _Request, error: Exception | None) -> None:
        request.events.put(_END if error is None else error)
        with self._changed:
            self._running -= 1
            self._publish_positions()
