"""A small trained reader that points at the words of a passage that answer a question.

No extractive question-answering model ships offline, so the product trains one
(``python -m training.reading.train_span_reader``): the packaged all-MiniLM-L6-v2 encoder with a
LoRA adapter and a two-logit head that scores each token as the start and the end of the
answer. The first token scores "no answer here", so the reader can also say that a passage
does not answer the question. Only the adapter and the head are stored
(``assistant/models/span_reader``); the encoder weights come from the installed package.

Given a model cache folder, the reader runs the scorer exported once to ONNX, by OpenVINO
(``span_export.py``): a fresh process then reads spans without importing torch or
transformers. Without one it runs the torch scorer (``span_scorer.py``), as training does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.model_loading import MODEL_LOADING
from assistant.reading.span_windows import SpanTokenizer, best_in_window

Scores = Callable[[Mapping[str, np.ndarray]], tuple[np.ndarray, np.ndarray]]
"""Start and end logits, one row per window, for a batch of token windows."""

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
    """Finds the best answer span in each passage with the trained scorer; ``cache_dir`` is
    where its export is kept (``None``: run the torch scorer)."""

    def __init__(
        self,
        adapter: Path = BUNDLED_SPAN_READER,
        *,
        cache_dir: Path | None = None,
    ) -> None:
        self._adapter = adapter
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._loaded: tuple[Scores, SpanTokenizer] | None = None

    def warm_up(self) -> None:
        self._model()

    def _model(self) -> tuple[Scores, SpanTokenizer]:
        with self._lock:
            if self._loaded is None:
                if not (self._adapter / "adapter_config.json").is_file():
                    raise FileNotFoundError(f"no span reader adapter in {self._adapter}")
                with MODEL_LOADING:
                    self._loaded = (
                        self._torch_scorer() if self._cache_dir is None else self._exported()
                    )
            return self._loaded

    def _exported(self) -> tuple[Scores, SpanTokenizer]:
        from assistant.reading.span_export import (
            GRAPH_FILE,
            TOKENIZER_FILE,
            openvino_scores,
            prepare_span_export,
        )

        assert self._cache_dir is not None
        folder = prepare_span_export(self._adapter, self._cache_dir).folder
        return openvino_scores(folder / GRAPH_FILE), SpanTokenizer(folder / TOKENIZER_FILE)

    def _torch_scorer(self) -> tuple[Scores, SpanTokenizer]:
        import torch

        from assistant.backbone import backbone_path
        from assistant.reading.span_scorer import load_span_scorer

        model, _ = load_span_scorer(self._adapter)
        model.eval()

        def scores(feed: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            tensors = {name: torch.from_numpy(values) for name, values in feed.items()}
            with torch.inference_mode():
                start, end = model(**tensors)
            return start.numpy(), end.numpy()

        return scores, SpanTokenizer(backbone_path() / "tokenizer.json")

    def candidates(self, question: str, passages: Sequence[str]) -> list[SpanCandidate]:
        """The best span of each passage that has one, best first."""
        if not passages or not question.strip():
            return []
        scores, tokenizer = self._model()
        windows = tokenizer.windows(question, passages)
        starts, ends = scores(windows.feed)
        best: dict[int, SpanCandidate] = {}
        for row, passage in enumerate(windows.passages):
            found = best_in_window(starts[row], ends[row], windows.sequence_ids[row])
            if found is None:
                continue
            first, last, margin, share = found
            begin, finish = windows.offsets[row][first][0], windows.offsets[row][last][1]
            text = passages[passage][begin:finish].strip()
            if not text:
                continue
            kept = best.get(passage)
            if kept is None or margin > kept.margin:
                best[passage] = SpanCandidate(passage, begin, finish, text, margin, share)
        return sorted(best.values(), key=lambda c: c.margin, reverse=True)
