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

    history = list(prompt)
    emitted = ""
    produced = 0
    guess: list[int] = []
    empty_cache = {} if decoding.new_cache is None else {"cache": decoding.new_cache()}
    with torch.inference_mode():
        torch.set_num_threads(decoding.prefill_threads)
        try:
            output = model(
                input_ids=torch.tensor([history]), use_cache=True, logits_to_keep=1, **empty_cache
            )
        finally:
            torch.set_num_threads(decoding.decode_threads)
        rows = output.logits[0, -1:]
        while True:
            # Row k scores what follows the k-th input of the pass; inputs after the first are
            # the guess, kept only as far as the model chooses the same tokens itself.
            for position, row in enumerate(rows):
                logprobs = torch.log_softmax(row.float(), dim=-1)
                token = int(torch.argmax(logprobs))
                if token in decoding.stop_ids:
                    return
                history.append(token)
                produced += 1
                text = decode_text(history[len(prompt) :])
                # A character split over several tokens decodes to U+FFFD until complete.
                delta = "" if text.endswith(_REPLACEMENT) else text[len(emitted) :]
                cut = stop_position(emitted + delta, decoding.stop_text)
                if cut is not None:
                    if cut > len(emitted):
                        piece = delta[: cut - len(emitted)]
                        yield GeneratedToken(text=piece, logprob=float(logprobs[token]))
                    return
                emitted += delta
                yield GeneratedToken(text=delta, logprob=float(logprobs[token]))
                if produced >= max_new_tokens:
                    return
                if position < len(guess) and token == guess[position]:
                    continue
                rejected = len(guess) - position
                if rejected > 0:
                    output.cache.crop(-rejected)
                break
            guess = guess_next(history, min(decoding.lookup_tokens, max_new_tokens - produced - 1))
            output = model(
                input_ids=torch.tensor([[token, *guess]]),
                cache=output.cache,
                use_cache=True,
            )
            rows = output.logits[0]


def stop_position(text: str, stop: str | None) -> int | None:
    """Where ``stop`` first occurs in ``text`` after its leading whitespace, if it does.

    Leading whitespace is skipped so that an answer opening with a blank line is not ended
    before it starts.
    """
    if not stop:
        return None
    index = text.find(stop, len(text) - len(text.lstrip()))
    return None if index < 0 else index
