"""Model-free stand-ins for the generation tests: a word tokenizer and a scripted generator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.generation.base import GeneratedToken
from assistant.generation.prompt import ChatMessage

CHAT_OVERHEAD = 5
"""Tokens the fake chat template adds per message, plus the answer's opening."""


class WordTokenizer:
    """One token per whitespace-separated word; the chat template adds a few per message."""

    def count(self, text: str) -> int:
        return len(text.split())

    def count_chat(self, messages: Sequence[ChatMessage]) -> int:
        return sum(self.count(m["content"]) + CHAT_OVERHEAD for m in messages) + CHAT_OVERHEAD

    def truncate(self, text: str, max_tokens: int) -> str:
        return " ".join(text.split()[:max_tokens])


class ScriptedGenerator:
    """Streams a fixed answer piece by piece, recording the prompts it was given, how many
    pieces it produced and whether a stream was closed before its end."""

    def __init__(self, pieces: Sequence[str], logprob: float = -0.25) -> None:
        self.pieces = list(pieces)
        self.logprob = logprob
        self.prompts: list[tuple[ChatMessage, ...]] = []
        self.warmed = False
        self.produced = 0
        self.stopped = False

    @property
    def tokenizer(self) -> WordTokenizer:
        return WordTokenizer()

    def warm_up(self, *, convert: bool = True) -> None:
        self.warmed = True

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        self.prompts.append(tuple(prompt_messages))
        try:
            for piece in self.pieces[:max_new_tokens]:
                self.produced += 1
                yield GeneratedToken(text=piece, logprob=self.logprob)
        except GeneratorExit:
            self.stopped = True
            raise


class StepClock:
    """A clock that advances by ``step`` seconds every time it is read."""

    def __init__(self, step: float = 0.5) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now
