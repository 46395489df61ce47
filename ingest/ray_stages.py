"""The two stages of cluster ingestion that run on Ray workers: preparing files, embedding them.

Rows travel between the stages as ``{"position": int, "payload": bytes}``. After preparing, the
payload is a pickled ``PreparedFile`` or ``FailedFile``; after embedding, it is the pickled pair
of that and the vectors of its chunks (``None`` for a failure). Pickling keeps the frozen
dataclasses whole, which Arrow columns would not, and the bytes never leave the cluster.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import IndexSettings
from indexes.embedder import Embedder, SentenceTransformerEmbedder
from ingest.pipeline import (
    Chunker,
    FailedFile,
    Parse,
    PreparedFile,
    draft_index_text,
    failure_of,
    prepare_file,
)

Prepared = PreparedFile | FailedFile
EmbedderFactory = Callable[[], Embedder]
"""Builds the embedder inside each embedding actor; it must pickle, so a class or a
``functools.partial`` of one rather than a ready model."""


def settings_embedder(index: IndexSettings) -> Embedder:
    """The embedder the service builds from ``index`` settings (not loaded yet)."""
    model = Path(index.embedding_model) if index.embedding_model else None
    return SentenceTransformerEmbedder(model, batch_size=index.embedding_batch_size)


def prepare_row(row: dict[str, Any], *, parse: Parse, chunker: Chunker) -> dict[str, Any]:
    """Map stage: one file in, its prepared content or its failure out; never raises for a
    bad file, so one file cannot stop the job."""
    path = Path(row["path"])
    item: Prepared
    try:
        item = prepare_file(path, parse=parse, chunker=chunker)
    except Exception as exc:  # reported per file, like the single-machine pipeline does
        item = failure_of(path, exc)
    return {"position": row["position"], "payload": pickle.dumps(item, protocol=5)}


class EmbedFiles:
    """Actor stage: embeds the chunks of a batch of prepared files in one call, with a model
    loaded once when the actor starts."""

    def __init__(self, embedder_factory: EmbedderFactory) -> None:
        self._embedder = embedder_factory()
        self._embedder.warm_up()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        items: list[Prepared] = [pickle.loads(payload) for payload in batch["payload"]]
        embedded = self._embed_all(items)
        return {
            "position": batch["position"],
            "payload": [pickle.dumps(pair, protocol=5) for pair in embedded],
        }

    def _embed_all(self, items: Sequence[Prepared]) -> list[tuple[Prepared, np.ndarray | None]]:
        """One encode call for the whole batch; if it fails, file by file, so only the files
        that cannot be embedded are reported as failed."""
        prepared = [item for item in items if isinstance(item, PreparedFile)]
        if not prepared:
            return [(item, None) for item in items]
        try:
            matrix = self._encode([t for item in prepared for t in index_texts(item)])
        except Exception:
            return [self._embed_one(item) for item in items]
        parts = iter(np.split(matrix, np.cumsum([len(item.drafts) for item in prepared])[:-1]))
        return [(item, next(parts) if isinstance(item, PreparedFile) else None) for item in items]

    def _embed_one(self, item: Prepared) -> tuple[Prepared, np.ndarray | None]:
        if isinstance(item, FailedFile):
            return item, None
        try:
            return item, self._encode(index_texts(item))
        except Exception as exc:  # this file fails alone
            return failure_of(item.path, exc), None

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.ascontiguousarray(self._embedder.encode(texts), dtype=np.float32)


def index_texts(item: PreparedFile) -> list[str]:
    """What the indexes will see of each chunk of ``item``, in order."""
    return [draft_index_text(draft, item.path.name) for draft in item.drafts]


def decode(payload: bytes) -> tuple[Prepared, np.ndarray | None]:
    """The result of ``EmbedFiles`` for one file."""
    item, vectors = pickle.loads(payload)
    return item, vectors
