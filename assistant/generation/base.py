"""The seam every text generator implements, and the timed result of one generation.

Runtimes (transformers today, others later) differ in speed and install cost but not in what
the rest of the product sees: a stream of tokens, each with the log-probability the model gave
it, which later stages use to judge how sure the model was.
"""

from __future__ import annotations

import collections.abc
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.generation.prompt import ChatMessage, PromptTokenizer


@dataclass(frozen=True)
class GeneratedToken:
    """One generated token: its text (may be empty while a character is incomplete) and the
    natural log of the probability the model gave it."""

    text: str
    logprob: float


@dataclass(frozen=True)
class Queued:
    """The question waits for room in the batch being decoded: ``position`` 1 starts next.
    Repeated while it waits, so a reader that went away is noticed (the stream gets closed)."""

    position: int


class GeneratorBusy(RuntimeError):
    """Refused at once: as many questions as the generator holds are already being answered
    or waiting. Asking again a little later works."""


class Generator(Protocol):
    """A chat model that streams its answer token by token (greedy, so results repeat).

    Creating one is cheap; ``warm_up()`` loads the model, and the first ``stream`` or
    ``tokenizer`` use does so too when it was not called.
    """

    @property
    def tokenizer(self) -> PromptTokenizer: ...

    def warm_up(self, *, convert: bool = True) -> None:
        """Load the model now. With ``convert`` false, a model that would first have to be
        converted (tens of seconds, into files a process that ends meanwhile leaves half
        written) is left for later."""
        ...

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken | Queued]:
        """The answer's tokens; ``Queued`` notes come first while it waits for its turn, and
        ``GeneratorBusy`` is raised when it cannot even wait."""
        ...


@dataclass(frozen=True)
class Generation:
    """A finished generation with its timings.

    ``first_token_s`` is the time to the first token (prompt processing included);
    ``tokens_per_s`` the decoding rate after it.
    """

    text: str
    tokens: tuple[GeneratedToken, ...]
    first_token_s: float
    total_s: float

    @property
    def token_logprobs(self) -> tuple[float, ...]:
        return tuple(t.logprob for t in self.tokens)

    @property
    def tokens_per_s(self) -> float:
        decoding = self.total_s - self.first_token_s
        if len(self.tokens) < 2 or decoding <= 0:
            return 0.0
        return (len(self.tokens) - 1) / decoding


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MIN_REPEATED_WORDS = 4
"""Shorter pieces ("e.g.", "Section 2.") may well recur in a good answer."""


def repeated_sentence_start(text: str) -> int | None:
    """Where ``text``'s last finished sentence starts, when it repeats an earlier sentence of at
    least four words word for word (case and spacing aside); ``None`` otherwise. A small greedy
    model that starts repeating itself goes on until its token limit, saying nothing new."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if len(ends) < 2:
        return None
    starts = [0, *ends]
    sentences = [" ".join(text[a:b].split()).lower() for a, b in zip(starts, ends, strict=False)]
    last = sentences[-1]
    if len(last.split()) < _MIN_REPEATED_WORDS or last not in sentences[:-1]:
        return None
    return starts[len(sentences) - 1]


def stream_generation(
    generator: Generator,
    prompt_messages: Sequence[ChatMessage],
    *,
    max_new_tokens: int,
    clock: Callable[[], float] = time.perf_counter,
) -> collections.abc.Generator[str | Queued, None, Generation]:
    """Run ``generator`` until it ends or starts repeating a sentence (the repetition is
    dropped), yielding each token's text as it comes (and the generator's ``Queued`` notes while
    the question waits for its turn); the finished ``Generation`` is the iterator's return
    value, its time to the first token including any wait. Closing the iterator closes the
    generator's stream, which stops decoding at once."""
    started = clock()
    first: float | None = None
    tokens: list[GeneratedToken] = []
    text = ""
    stream = generator.stream(prompt_messages, max_new_tokens=max_new_tokens)
    try:
        for token in stream:
            if isinstance(token, Queued):
                yield token
                continue
            if first is None:
                first = clock() - started
            tokens.append(token)
            text += token.text
            if token.text:
                yield token.text
            repeat = repeated_sentence_start(text) if token.text[:1].isspace() else None
            if repeat is not None:
                tokens = _up_to(tokens, repeat)
                break
    finally:
        if isinstance(stream, collections.abc.Generator):
            stream.close()
    total = clock() - started
    return Generation(
        text="".join(t.text for t in tokens),
        tokens=tuple(tokens),
        first_token_s=total if first is None else first,
        total_s=total,
    )


def generate(
    generator: Generator,
    prompt_messages: Sequence[ChatMessage],
    *,
    max_new_tokens: int,
    on_token: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Generation:
    """The whole ``stream_generation``, each token's text passed to ``on_token`` as it comes
    (for callers that want only the result: benchmarks, tests)."""
    pieces = stream_generation(
        generator, prompt_messages, max_new_tokens=max_new_tokens, clock=clock
    )
    while True:
        try:
            piece = next(pieces)
        except StopIteration as finished:
            result: Generation = finished.value
            return result
        if on_token is not None and isinstance(piece, str):
            on_token(piece)


def _up_to(tokens: Sequence[GeneratedToken], length: int) -> list[GeneratedToken]:
    """The tokens whose text lies within the first ``length`` characters."""
    kept: list[GeneratedToken] = []
    used = 0
    for token in tokens:
        used += len(token.text)
        if used > length:
            break
        kept.append(token)
    return kept
