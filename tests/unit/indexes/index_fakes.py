"""Model-free stand-ins used by the index tests."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np


class HashingEmbedder:
    """Deterministic, model-free stand-in for a sentence embedder."""

    def __init__(self, dim: int = 64, model_name: str = "hashing-test") -> None:
        self._dim = dim
        self._model_name = model_name
        self.calls = 0

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_name(self) -> str:
        return self._model_name

    def warm_up(self) -> None:
        """Nothing to load."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        vectors = np.zeros((len(texts), self._dim), dtype=np.float32)
        vectors[:, 0] = 0.01
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                bucket = zlib.crc32(word.encode("utf-8"))
                vectors[row, 1 + bucket % (self._dim - 1)] += 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class KeywordEmbedder(HashingEmbedder):
    """A second model for which a text is like a query mentioning ``word`` exactly when it
    mentions ``word`` too."""

    def __init__(self, word: str, model_name: str = "keyword-test") -> None:
        super().__init__(dim=4, model_name=model_name)
        self._word = word

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = [
            [1.0, 0.0, 0.0, 0.0] if self._word in t.lower() else [0.0, 1.0, 0.0, 0.0] for t in texts
        ]
        return np.asarray(rows, dtype=np.float32)
