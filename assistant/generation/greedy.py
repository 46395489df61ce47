"""Greedy decoding with a key/value cache, checking guessed tokens several at a time.

After the prompt, each forward pass takes the token just chosen plus a guess at the ones after
it (``prompt_lookup.guess_next``). The pass scores every position at once; the guess is kept as
far as it matches the model's own greedy choices and the rest is cut from the cache. The
tokens, and the log-probability of each, are those of plain one-token-per-pass decoding (up to
floating-point rounding), in fewer passes when the answer repeats its passages.

The prompt is processed with ``prefill_threads`` (its large matrix products scale with cores)
and the answer with ``decode_threads`` (one-token passes are too small to share well).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.generation.base import GeneratedToken
from assistant.generation.prompt_lookup import guess_next

_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class GreedyDecoding:
    """How to decode: the tokens and the text that end an answer, the longest guess checked
    per pass (0: one token per pass), the threads for the prompt and for the answer, and what
    makes the empty key/value cache (None: the model's own default)."""

    stop_ids: frozenset[int]
    stop_text: str | None
    lookup_tokens: int
    prefill_threads: int
    decode_threads: int
    new_cache: Callable[[], Any] | None = None


class AnswerText:
    """One answer as its tokens are chosen: the stop rules, the token cap, and the text each new
    token adds (held back while a character is incomplete). Plain and batched decoding share it,
    so they end answers alike."""

    def __init__(
        self,
        prompt: Sequence[int],
        decode_text: Callable[[Sequence[int]], str],
        decoding: GreedyDecoding,
        max_new_tokens: int,
    ) -> None:
        self.history = list(prompt)
        self.finished = False
        self._prompt_length = len(prompt)
        self._decode_text = decode_text
        self._decoding = decoding
        self._max_new_tokens = max_new_tokens
        self._produced = 0
        self._emitted = ""

    def choose(self, logprobs: Any) -> tuple[int, GeneratedToken | None]:
        """Take the greedy choice among ``logprobs`` (one row of log-probabilities over the
        vocabulary): the token, and the piece to pass on (``None``: nothing to pass on);
        ``finished`` says whether the answer ended with it."""
        import torch

        token = int(torch.argmax(logprobs))
        if token in self._decoding.stop_ids:
            self.finished = True
            return token, None
        self.history.append(token)
        self._produced += 1
        logprob = float(logprobs[token])
        text = self._decode_text(self.history[self._prompt_length :])
        # A character split over several tokens decodes to U+FFFD until complete.
        delta = "" if text.endswith(_REPLACEMENT) else text[len(self._emitted) :]
        cut = stop_position(self._emitted + delta, self._decoding.stop_text)
        if cut is not None:
            self.finished = True
            if cut > len(self._emitted):
                return token, GeneratedToken(
                    text=delta[: cut - len(self._emitted)], logprob=logprob
                )
            return token, None
        self._emitted += delta
        self.finished = self._produced >= self._max_new_tokens
        return token, GeneratedToken(text=delta, logprob=logprob)

    def guess(self) -> list[int]:
        """Tokens worth checking after the last one chosen, within the token cap."""
        room = self._max_new_tokens - self._produced - 1
        return guess_next(self.history, min(self._decoding.lookup_tokens, room))


def decode_greedy(
    model: Any,
    decode_text: Callable[[Sequence[int]], str],
    prompt: Sequence[int],
    max_new_tokens: int,
    decoding: GreedyDecoding,
) -> Iterator[GeneratedToken]:
    """Stream the greedy answer of causal language model ``model`` to the token ids ``prompt``.

    ``model`` is called as transformers' causal models are (``input_ids``, ``cache``,
    ``use_cache``) and returns ``logits`` and a cache with ``crop``.
    """
    import torch

    answer = AnswerText(prompt, decode_text, decoding, max_new_tokens)
    guess: list[int] = []
    empty_cache = {} if decoding.new_cache is None else {"cache": decoding.new_cache()}
    with torch.inference_mode():
        torch.set_num_threads(decoding.prefill_threads)
        try:
            output = model(
                input_ids=torch.tensor([answer.history]),
                use_cache=True,
                logits_to_keep=1,
                **empty_cache,
            )
        finally:
            torch.set_num_threads(decoding.decode_threads)
        rows = torch.log_softmax(output.logits[0, -1:].float(), dim=-1)
        while True:
            # Row k scores what follows the k-th input of the pass; inputs after the first are
            # the guess, kept only as far as the model chooses the same tokens itself.
            for position, row in enumerate(rows):
                token, piece = answer.choose(row)
                if piece is not None:
                    yield piece
                if answer.finished:
                    return
                if position < len(guess) and token == guess[position]:
                    continue
                rejected = len(guess) - position
                if rejected > 0:
                    output.cache.crop(-rejected)
                break
            guess = answer.guess()
            output = model(
                input_ids=torch.tensor([[token, *guess]]),
                cache=output.cache,
                use_cache=True,
            )
            rows = torch.log_softmax(output.logits[0].float(), dim=-1)


def stop_position(text: str, stop: str | None) -> int | None:
    """Where ``stop`` first occurs in ``text`` after its leading whitespace, if it does.

    Leading whitespace is skipped so that an answer opening with a blank line is not ended
    before it starts.
    """
    if not stop:
        return None
    index = text.find(stop, len(text) - len(text.lstrip()))
    return None if index < 0 else index
