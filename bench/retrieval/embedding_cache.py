"""Embeddings kept on disk between benchmark runs, so a rerun does not embed everything again.

Embedding the corpora takes minutes on a small CPU, while the texts rarely change between
runs. Vectors are stored per namespace (one per set) under a directory named after the model
and its location, keyed by a hash of each text, so changing the chunker only embeds the
chunks that changed.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexes.embedder import Embedder

BATCH = 512
"""Texts embedded between two progress lines."""


def text_key(text: str) -> str:
    """The cache key of a text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_cache_dir() -> Path:
    """A folder under the system's temporary directory, outside the project."""
    return Path(tempfile.gettempdir()) / "domain-assistant-bench-cache"


class EmbeddingCache:
    """An ``Embedder`` with a disk cache in front of another, for one namespace.

    Call ``encode`` once with everything a run will need (passages and queries): it embeds
    and stores the new texts in one go, and later calls for single queries are then answered
    from memory.
    """

    def __init__(
        self, directory: Path, namespace: str, embedder: Embedder, model_path: Path
    ) -> None:
        model_key = hashlib.sha256(str(model_path.resolve()).encode()).hexdigest()[:12]
        folder = directory / "embeddings" / f"{embedder.model_name}-{model_key}"
        self._keys_path = folder / f"{namespace}.keys.npy"
        self._vectors_path = folder / f"{namespace}.vectors.npy"
        self._embedder = embedder
        self._rows: dict[str, np.ndarray] | None = None

    @property
    def dim(self) -> int:
        return self._embedder.dim

    @property
    def model_name(self) -> str:
        return self._embedder.model_name

    def warm_up(self) -> None:
        self._embedder.warm_up()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (one row each), embedding only those not seen before."""
        rows = self._loaded()
        keys = [text_key(text) for text in texts]
        missing = list(
            {key: text for key, text in zip(keys, texts, strict=True) if key not in rows}.items()
        )
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            vectors = self._embedder.encode([text for _, text in batch])
            rows.update((key, vector) for (key, _), vector in zip(batch, vectors, strict=True))
            print(f"  embedded {start + len(batch)}/{len(missing)}", file=sys.stderr, flush=True)
        if missing:
            self._save(rows)
        if not keys:
            return np.zeros((0, self._embedder.dim), dtype=np.float32)
        return np.stack([rows[key] for key in keys]).astype(np.float32, copy=False)

    def _loaded(self) -> dict[str, np.ndarray]:
        if self._rows is None:
            self._rows = {}
            if self._keys_path.is_file() and self._vectors_path.is_file():
                keys = np.load(self._keys_path, allow_pickle=False)
                vectors = np.load(self._vectors_path, allow_pickle=False)
                if len(keys) == len(vectors):
                    self._rows = dict(zip(keys.tolist(), vectors, strict=True))
        return self._rows

    def _save(self, rows: dict[str, np.ndarray]) -> None:
        self._keys_path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(rows), dtype="<U64")
        vectors = np.stack(list(rows.values())).astype(np.float32, copy=False)
        for path, array in ((self._vectors_path, vectors), (self._keys_path, keys)):
            partial = path.with_name(path.name + ".partial.npy")
            np.save(partial, array, allow_pickle=False)
            os.replace(partial, path)
