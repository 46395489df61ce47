"""Token windows of a question beside its passages, and the best answer span in a window's
scores: the span reader's work before and after its model, in numpy, whichever runtime scores
the windows.

A passage longer than a window is cut into overlapping windows, as the scorer was trained
(``MAX_TOKENS`` word pieces with ``STRIDE`` of overlap); each window remembers its passage and
where its tokens sit in the passage's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_TOKENS = 256
STRIDE = 64
MAX_ANSWER_TOKENS = 24


@dataclass(frozen=True)
class Windows:
    """Windows padded to one length: the model's inputs (``feed``), and per window its
    passage, each token's characters in that passage and which text (0 question, 1 passage,
    ``None`` special or padding) it comes from."""

    feed: dict[str, np.ndarray]
    passages: list[int]
    offsets: list[list[tuple[int, int]]]
    sequence_ids: list[list[int | None]]


class SpanTokenizer:
    """The encoder's tokenizer (its ``tokenizer.json``), cutting question-passage pairs into
    windows as the span reader was trained."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(
            max_length=MAX_TOKENS, stride=STRIDE, strategy="only_second"
        )

    def windows(self, question: str, passages: Sequence[str]) -> Windows:
        encodings = []
        owners = []
        for index, passage in enumerate(passages):
            first = self._tokenizer.encode(question, passage)
            for encoding in (first, *first.overflowing):
                encodings.append(encoding)
                owners.append(index)
        width = max(len(e.ids) for e in encodings)
        feed = {
            name: np.zeros((len(encodings), width), dtype=np.int64)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        }
        for row, encoding in enumerate(encodings):
            size = len(encoding.ids)
            feed["input_ids"][row, :size] = encoding.ids
            feed["attention_mask"][row, :size] = encoding.attention_mask
            feed["token_type_ids"][row, :size] = encoding.type_ids
        return Windows(
            feed=feed,
            passages=owners,
            offsets=[list(e.offsets) + [(0, 0)] * (width - len(e.ids)) for e in encodings],
            sequence_ids=[list(e.sequence_ids) + [None] * (width - len(e.ids)) for e in encodings],
        )


def best_in_window(
    start: np.ndarray, end: np.ndarray, sequence_ids: Sequence[int | None]
) -> tuple[int, int, float, float] | None:
    """(first token, last token, score, share) of the best span of passage tokens in one
    window: its score stands above the window's "no answer" score (its first token) by the
    third value, and the fourth is its probability among all spans and "no answer"."""
    context = np.array([s == 1 for s in sequence_ids])
    if not context.any():
        return None
    scores = start[:, None].astype(np.float64) + end[None, :]
    positions = np.arange(len(start))
    length = positions[None, :] - positions[:, None]
    valid = (length >= 0) & (length < MAX_ANSWER_TOKENS) & context[:, None] & context[None, :]
    masked = np.where(valid, scores, -np.inf)
    first, last = divmod(int(np.argmax(masked)), scores.shape[1])
    best = scores[first, last]
    null = float(start[0]) + float(end[0])
    pool = np.append(scores[valid], null)
    top = float(pool.max())
    everything = top + float(np.log(np.exp(pool - top).sum()))
    return first, last, float(best - null), float(np.exp(best - everything))
