"""A small trained reader that points at the words of a passage that answer a question.

No extractive question-answering model ships offline, so the product trains one
(``python -m training.reading.train_span_reader``): the packaged all-MiniLM-L6-v2 encoder with a
LoRA adapter and a two-logit head that scores each token as the start and the end of the
answer. The first token scores "no answer here", so the reader can also say that a passage
does not answer the question. Only the adapter and the head are stored
(``assistant/models/span_reader``); the encoder weights come from the installed package. The
scorer itself (``assistant.reading.span_scorer``) is imported on first use: an answer read from
a table never waits for torch to load.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.model_loading import MODEL_LOADING

if TYPE_CHECKING:
    from assistant.reading.span_scorer import SpanScorer

BUNDLED_SPAN_READER = Path(__file__).resolve().parent.parent / "models" / "span_reader"


@dataclass(frozen=True)
class SpanCandidate:
    """The best answer span the reader found in one passage.

    ``passage`` is the 0-based index of the passage, ``start``/``end`` the span's characters in
    it. ``margin`` is how far the span's score stands above the passage's "no answer" score, and
    ``share`` the span's probability among all spans of its window (and "no answer").
    """

    passage: int
    start: int
    end: int
    text: str
    margin: float
    share: float


class SpanModel:
    """Finds the best answer span in each passage with the trained scorer."""

    def __init__(self, adapter: Path = BUNDLED_SPAN_READER, *, threads: int | None = None) -> None:
        self._adapter = adapter
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[SpanScorer, Any] | None = None

    def warm_up(self) -> None:
        self._model()

    def _model(self) -> tuple[SpanScorer, Any]:
        with self._lock:
            if self._loaded is None:
                if not (self._adapter / "adapter_config.json").is_file():
                    raise FileNotFoundError(f"no span reader adapter in {self._adapter}")
                import torch

                from assistant.reading.span_scorer import load_span_scorer

                if self._threads:
                    torch.set_num_threads(self._threads)
                with MODEL_LOADING:
                    model, tokenizer = load_span_scorer(self._adapter)
                model.eval()
                self._loaded = (model, tokenizer)
            return self._loaded

    def candidates(self, question: str, passages: Sequence[str]) -> list[SpanCandidate]:
        """The best span of each passage that has one, best first."""
        if not passages or not question.strip():
            return []
        import torch

        from assistant.reading.span_scorer import best_in_window, encode_windows

        model, tokenizer = self._model()
        windows = encode_windows(tokenizer, question, passages)
        offsets = windows.pop("offset_mapping")
        owners = windows.pop("overflow_to_sample_mapping")
        with torch.inference_mode():
            starts, ends = model(**windows)
        best: dict[int, SpanCandidate] = {}
        for row in range(len(owners)):
            found = best_in_window(starts[row], ends[row], windows.sequence_ids(row))
            if found is None:
                continue
            first, last, margin, share = found
            passage = int(owners[row])
            begin, finish = int(offsets[row][first][0]), int(offsets[row][last][1])
            text = passages[passage][begin:finish].strip()
            if not text:
                continue
            kept = best.get(passage)
            if kept is None or margin > kept.margin:
                best[passage] = SpanCandidate(passage, begin, finish, text, margin, share)
        return sorted(best.values(), key=lambda c: c.margin, reverse=True)
