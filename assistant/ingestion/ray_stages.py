"""The two stages of cluster ingestion that run on Ray workers: preparing files, embedding them.

Rows travel between the stages as ``{"position": int, "payload": bytes}``. After preparing, the
payload is a pickled ``PreparedFile`` or ``FailedFile``; after embedding, it is the pickled pair
of that and the vectors of its chunks, one matrix per model (the index's model, and the second
stage's where one is configured; ``None`` for a failure). Pickling keeps the frozen dataclasses
whole, which Arrow columns would not, and the bytes never leave the cluster.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.index_sync import second_stage_embedder
from assistant.index_text import draft_index_text
from assistant.ingestion.pipeline import (
    Chunker,
    FailedFile,
    Parse,
    PreparedFile,
    failure_of,
    prepare_file,
)
from assistant.settings import IndexSettings
from indexes.embedder import Embedder

Prepared = PreparedFile | FailedFile
Vectors = tuple[np.ndarray, ...]
"""A file's chunk vectors: one matrix per model, rows in chunk order."""
EmbedderFactory = Callable[[], Embedder]
"""Builds the embedder inside each embedding actor; it must pickle, so a class or a
``functools.partial`` of one rather than a ready model."""


def settings_second_embedder(index: IndexSettings) -> Embedder:
    """The second stage's model the service builds from ``index`` settings, which must name
    one (not loaded yet)."""
    embedder = second_stage_embedder(index)
    if embedder is None:
        raise ValueError("the settings name no second_stage_model")
    return embedder


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
    """Actor stage: embeds the chunks of a batch of prepared files in one call per model, with
    the models (``factories``, the index's first) loaded once when the actor starts."""

    def __init__(self, factories: Sequence[EmbedderFactory]) -> None:
        if not factories:
            raise ValueError("at least one embedder is needed")
        self._embedders = [factory() for factory in factories]
        for embedder in self._embedders:
            embedder.warm_up()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        items: list[Prepared] = [pickle.loads(payload) for payload in batch["payload"]]
        embedded = self._embed_all(items)
        return {
            "position": batch["position"],
            "payload": [pickle.dumps(pair, protocol=5) for pair in embedded],
        }

    def _embed_all(self, items: Sequence[Prepared]) -> list[tuple[Prepared, Vectors | None]]:
        """One encode call per model for the whole batch; if one fails, file by file, so only
        the files that cannot be embedded are reported as failed."""
        prepared = [item for item in items if isinstance(item, PreparedFile)]
        if not prepared:
            return [(item, None) for item in items]
        try:
            matrices = self._encode([t for item in prepared for t in index_texts(item)])
        except Exception:
            return [self._embed_one(item) for item in items]
        bounds = np.cumsum([len(item.drafts) for item in prepared])[:-1]
        per_file = iter(zip(*(np.split(matrix, bounds) for matrix in matrices), strict=True))
        return [
            (item, tuple(next(per_file)) if isinstance(item, PreparedFile) else None)
            for item in items
        ]

    def _embed_one(self, item: Prepared) -> tuple[Prepared, Vectors | None]:
        if isinstance(item, FailedFile):
            return item, None
        try:
            return item, self._encode(index_texts(item))
        except Exception as exc:  # this file fails alone
            return failure_of(item.path, exc), None

    def _encode(self, texts: Sequence[str]) -> Vectors:
        return tuple(
            np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)
            for embedder in self._embedders
        )


def index_texts(item: PreparedFile) -> list[str]:
    """What the indexes will see of each chunk of ``item``, in order."""
    return [draft_index_text(draft, item.path.name) for draft in item.drafts]


def decode(payload: bytes) -> tuple[Prepared, Vectors | None]:
    """The result of ``EmbedFiles`` for one file."""
    item, vectors = pickle.loads(payload)
    return item, vectors
