"""The seam every text generator implements, and the timed result of one generation.

Runtimes (transformers today, others later) differ in speed and install cost but not in what
the rest of the product sees: a stream of tokens, each with the log-probability the model gave
it, which later stages use to judge how sure the model was.
"""

from __future__ import annotations

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


class Generator(Protocol):
    """A chat model that streams its answer token by token (greedy, so results repeat).

    Creating one is cheap; ``warm_up()`` loads the model, and the first ``stream`` or
    ``tokenizer`` use does so too when it was not called.
    """

    @property
    def tokenizer(self) -> PromptTokenizer: ...

    def warm_up(self) -> None: ...

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]: ...


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


def generate(
    generator: Generator,
    prompt_messages: Sequence[ChatMessage],
    *,
    max_new_tokens: int,
    on_token: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Generation:
    """Run ``generator`` to the end, passing each token's text to ``on_token`` as it comes."""
    started = clock()
    first: float | None = None
    tokens: list[GeneratedToken] = []
    for token in generator.stream(prompt_messages, max_new_tokens=max_new_tokens):
        if first is None:
            first = clock() - started
        tokens.append(token)
        if on_token is not None and token.text:
            on_token(token.text)
    total = clock() - started
    return Generation(
        text="".join(t.text for t in tokens),
        tokens=tuple(tokens),
        first_token_s=total if first is None else first,
        total_s=total,
    )
