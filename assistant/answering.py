"""Asking a question: retrieve passages, prompt the generator, check the citations.

The pipeline is one small component. ``stream()`` gives the answer as events: the draft's text
piece by piece as it is written, then the checked ``Answer``; the UI and the API pass the
pieces on as they come, and a front end that stops reading (a client gone away) closes the
events, which stops generation at once. ``run()`` waits for the answer. Stages that judge a
finished answer (a hallucination detector, a confidence calibrator) plug in as ``guards``:
each receives the ``Answer`` and returns it, possibly changed (for instance turned into an
abstention).
"""

from __future__ import annotations

import collections.abc
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from typing import Protocol, TypeAlias

from assistant.generation.base import Generator, Queued, stream_generation
from assistant.generation.citations import CitedSentence, parse_answer
from assistant.generation.prompt import ABSTENTION, PromptBuilder
from assistant.passages import Passage
from assistant.reading.span_reader import SpanReading
from assistant.reading.table_reader import TableReading
from assistant.settings import GenerationSettings
from assistant.verdict import AnswerCheck


class PassageSearch(Protocol):
    """Ranked passages of ``collections`` for ``query`` (``Assistant.search``)."""

    def __call__(self, query: str, *, collections: Sequence[str], k: int) -> Sequence[Passage]: ...


@dataclass(frozen=True)
class AnswerTimings:
    """Seconds spent in each step; ``first_token_s`` counts from the start of the question."""

    retrieval_s: float
    first_token_s: float
    generation_s: float
    total_s: float
    tokens_per_s: float


@dataclass(frozen=True)
class Answer:
    """A grounded answer.

    ``passages`` are the passages the model was shown, ``passages[n - 1]`` being ``[n]``;
    each sentence lists the numbers it cites. ``invalid_citations`` are numbers the model cited
    that matched no passage (they were removed from ``text``). ``check`` is the guards' verdict
    (confidence, per-sentence support), when a guard ran. ``reading`` is set when the answer
    was read from table cells (and computed from them) instead of drafted by the model;
    ``span`` when it is words copied from one passage by the span reader. ``span_guess`` is
    the span reader's best reading of a drafted answer's question, too unsure to be the answer,
    which the check compares with the draft.
    """

    question: str
    text: str
    sentences: tuple[CitedSentence, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    invalid_citations: tuple[int, ...]
    token_logprobs: tuple[float, ...]
    prompt_tokens: int
    timings: AnswerTimings
    collections: tuple[str, ...] = ()
    check: AnswerCheck | None = None
    reading: TableReading | None = None
    span: SpanReading | None = None
    span_guess: SpanReading | None = None

    @property
    def cited_passages(self) -> tuple[tuple[int, Passage], ...]:
        """The cited passages with their numbers, in order of first citation."""
        numbers = dict.fromkeys(n for s in self.sentences for n in s.citations)
        return tuple((n, self.passages[n - 1]) for n in numbers)

    def sentence_sources(self, index: int) -> tuple[tuple[int, ...], bool]:
        """The passage numbers sentence ``index`` rests on, and whether the check found them
        (the sentence cites nothing) rather than the model citing them."""
        cited = self.sentences[index].citations
        verdicts = self.check.sentences if self.check is not None else ()
        if cited or index >= len(verdicts):
            return cited, False
        return verdicts[index].found_in, bool(verdicts[index].found_in)

    @property
    def source_passages(self) -> tuple[tuple[int, Passage], ...]:
        """The passages the answer rests on, cited or found by the check, in order of first
        use."""
        numbers = dict.fromkeys(
            n for index in range(len(self.sentences)) for n in self.sentence_sources(index)[0]
        )
        return tuple((n, self.passages[n - 1]) for n in numbers if 0 < n <= len(self.passages))


AnswerEvents: TypeAlias = collections.abc.Generator[str | Queued | Answer, None, None]
"""The draft's text piece by piece as it is written, then the checked answer as the last
event; before the draft, ``Queued`` notes while the question waits for the generator. Closing
it stops the work, generation included, at once."""


def final_answer(events: AnswerEvents, on_token: Callable[[str], None] | None = None) -> Answer:
    """The answer that ends ``events``; each piece of the draft before it goes to
    ``on_token``."""
    with closing(events):
        for event in events:
            if isinstance(event, Answer):
                return event
            if on_token is not None and isinstance(event, str):
                on_token(event)
    raise RuntimeError("the answer's events ended without an answer")


class TableReaderStage(Protocol):
    """Reads an answer from the tables among the passages, or returns ``None``."""

    def read(self, question: str, passages: Sequence[str]) -> TableReading | None: ...


class SpanReaderStage(Protocol):
    """Finds the words of a passage most likely to answer the question (``None`` when the
    question is not one it reads) and says whether they are sure enough to be the answer."""

    def best(self, question: str, passages: Sequence[str]) -> SpanReading | None: ...

    def accepts(self, reading: SpanReading | None) -> bool: ...


class AnswerGuard(Protocol):
    """A check run on every finished answer."""

    def __call__(self, answer: Answer) -> Answer: ...


class AnswerPipeline:
    """retrieve -> table reader, else span reader, else prompt -> generate (streamed) ->
    citations -> guards.

    A question the tables among the passages answer unambiguously is answered from their cells
    (``reader``); one that words of a passage answer with confidence is answered with those
    words (``span_reader``); any other is drafted by the generator.
    """

    def __init__(
        self,
        *,
        search: PassageSearch,
        generator: Generator,
        settings: GenerationSettings,
        guards: Sequence[AnswerGuard] = (),
        reader: TableReaderStage | None = None,
        span_reader: SpanReaderStage | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._search = search
        self._reader = reader
        self._span_reader = span_reader
        self._generator = generator
        self._settings = settings
        self._guards = tuple(guards)
        self._clock = clock
        self._builder: PromptBuilder | None = None

    def _prompt_builder(self) -> PromptBuilder:
        if self._builder is None:
            self._builder = PromptBuilder(
                self._generator.tokenizer,
                context_tokens=self._settings.context_tokens,
                answer_tokens=self._settings.max_new_tokens,
            )
        return self._builder

    def run(
        self,
        question: str,
        *,
        collections: Sequence[str],
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """The checked answer; the draft's text goes to ``on_token`` as it is written."""
        return final_answer(self.stream(question, collections=collections), on_token)

    def stream(self, question: str, *, collections: Sequence[str]) -> AnswerEvents:
        """The answer to ``question`` from passages of ``collections``, as events."""
        if not question.strip():
            raise ValueError("the question is empty")
        return self._events(question, tuple(collections))

    def _events(self, question: str, collections: tuple[str, ...]) -> AnswerEvents:
        started = self._clock()
        found = list(self._search(question, collections=collections, k=self._settings.passages))
        retrieval_s = self._clock() - started
        if not found:
            yield ABSTENTION
            elapsed = self._clock() - started
            timings = AnswerTimings(retrieval_s, elapsed, 0.0, elapsed, 0.0)
            answer = self._answer(question, ABSTENTION, (), (), 0, timings)
            yield self._guarded(replace(answer, collections=collections))
            return
        shown_found = tuple(found[: self._settings.passages])
        texts = [p.chunk.text for p in shown_found]
        reading = None if self._reader is None else self._reader.read(question, texts)
        span = guess = None
        if reading is None and self._span_reader is not None:
            guess = self._span_reader.best(question, texts)
            span = guess if self._span_reader.accepts(guess) else None
        text = reading.text if reading is not None else span.text if span is not None else None
        if text is not None:
            # read from the passages, not drafted: the whole text is one piece
            yield text
            elapsed = self._clock() - started
            timings = AnswerTimings(retrieval_s, elapsed, 0.0, elapsed, 0.0)
            answer = self._answer(question, text, shown_found, (), 0, timings)
            read = replace(answer, collections=collections, reading=reading, span=span)
            yield self._guarded(read)
            return
        prompt = self._prompt_builder().build(question, [p.chunk for p in found])
        shown = tuple(found[: len(prompt.passages)])
        prompt_ready = self._clock()
        generation = yield from stream_generation(
            self._generator,
            prompt.messages,
            max_new_tokens=self._settings.max_new_tokens,
            clock=self._clock,
        )
        timings = AnswerTimings(
            retrieval_s=retrieval_s,
            first_token_s=prompt_ready - started + generation.first_token_s,
            generation_s=generation.total_s,
            total_s=self._clock() - started,
            tokens_per_s=generation.tokens_per_s,
        )
        answer = self._answer(
            question,
            generation.text,
            shown,
            generation.token_logprobs,
            prompt.prompt_tokens,
            timings,
        )
        yield self._guarded(replace(answer, collections=collections, span_guess=guess))

    def _answer(
        self,
        question: str,
        text: str,
        passages: tuple[Passage, ...],
        logprobs: tuple[float, ...],
        prompt_tokens: int,
        timings: AnswerTimings,
    ) -> Answer:
        parsed = parse_answer(text, len(passages))
        return Answer(
            question=question,
            text=parsed.text if parsed.text else ABSTENTION,
            sentences=parsed.sentences,
            passages=passages,
            abstained=parsed.abstained,
            invalid_citations=parsed.invalid_citations,
            token_logprobs=logprobs,
            prompt_tokens=prompt_tokens,
            timings=timings,
        )

    def _guarded(self, answer: Answer) -> Answer:
        for guard in self._guards:
            answer = guard(answer)
        return answer
