"""The dense vectors of some chunks, read out of an installation's saved index and written
back into one, so that a restored collection is searchable without embedding it again.

Reading goes through the saved index files rather than the live one: their layout is
versioned (the manifests are checked, so a format change fails loudly here) and the FAISS file
records the chunk id of every vector. Writing goes through ``IndexSync``, the path ingestion
uses, with an embedder that hands back the stored vectors instead of computing them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from assistant.embedding_backend import embedder_name
from assistant.index_sync import IndexSync
from assistant.settings import IndexSettings
from indexes import dense, hybrid
from indexes.embedder import Embedder
from indexes.persist import IndexFormatError, load_array, read_manifest
from indexes.protocols import IndexedChunk

_BATCH = 4096


class NotIndexedError(LookupError):
    """Some chunks asked for have no vector in the saved index."""

    def __init__(self, missing: int) -> None:
        super().__init__(f"{missing} chunks have no vector in the index")
        self.missing = missing


@dataclass(frozen=True)
class EmbeddingModel:
    """Which model made a set of vectors; ``dim`` is ``None`` while no vector exists."""

    name: str
    dim: int | None


def saved_model(index_dir: Path) -> EmbeddingModel | None:
    """The model of the vectors saved in ``index_dir``; ``None`` when no index was saved."""
    try:
        read_manifest(index_dir, kind=hybrid.KIND, format_version=hybrid.FORMAT_VERSION)
        manifest = read_manifest(
            index_dir / hybrid.DENSE_DIR, kind=dense.KIND, format_version=dense.FORMAT_VERSION
        )
    except FileNotFoundError:
        return None
    dim = manifest.get("dim")
    return EmbeddingModel(str(manifest["model_name"]), None if dim is None else int(dim))


def configured_model_name(settings: IndexSettings) -> str:
    """The name of the model an installation embeds with, as its settings choose it (the
    model itself is not loaded)."""
    return embedder_name(settings)


def write_vectors(index_dir: Path, chunk_ids: np.ndarray, out_path: Path, dim: int) -> None:
    """Write the saved vectors of ``chunk_ids``, in that order, to the ``.npy`` file
    ``out_path`` (float32, one row per chunk).

    Raises ``NotIndexedError`` when some chunk has no live vector in the index.
    """
    shape = (len(chunk_ids), dim)
    out = np.lib.format.open_memmap(out_path, mode="w+", dtype=np.float32, shape=shape)
    if len(chunk_ids):
        _copy_vectors(index_dir / hybrid.DENSE_DIR, np.asarray(chunk_ids, np.int64), out, dim)
    out.flush()


def _copy_vectors(dense_dir: Path, wanted: np.ndarray, out: np.ndarray, dim: int) -> None:
    index: Any = faiss.read_index(str(dense_dir / dense.VECTORS_FILE), faiss.IO_FLAG_MMAP_IFC)
    if int(index.d) != dim:
        raise IndexFormatError(f"{dense_dir} holds vectors of {index.d} dimensions, not {dim}")
    positions_ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    live = load_array(dense_dir, "live", mmap=False)
    if live.size != positions_ids.size:
        raise IndexFormatError(f"{dense_dir} changed while it was read; try again")
    live_positions = np.flatnonzero(live)
    live_ids = positions_ids[live_positions]
    order = np.argsort(live_ids, kind="stable")
    slots = np.searchsorted(live_ids, wanted, sorter=order)
    found = slots < live_ids.size
    found[found] = live_ids[order[slots[found]]] == wanted[found]
    if not found.all():
        raise NotIndexedError(int(np.count_nonzero(~found)))
    positions = live_positions[order[slots]]
    vectors = faiss.downcast_index(index.index)
    for start in range(0, positions.size, _BATCH):
        batch = positions[start : start + _BATCH]
        out[start : start + batch.size] = vectors.reconstruct_batch(batch)


class _StoredVectors:
    """An embedder that knows only the given texts and answers with their stored vectors."""

    def __init__(self, model: EmbeddingModel, vectors: Mapping[str, np.ndarray]) -> None:
        if model.dim is None:
            raise ValueError("stored vectors need a dimension")
        self._model = model
        self._dim = model.dim
        self._vectors = vectors

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_name(self) -> str:
        return self._model.name

    def warm_up(self) -> None:
        """Nothing to load."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        unknown = sum(1 for text in texts if text not in self._vectors)
        if unknown:
            raise ValueError(f"{unknown} texts have no stored vector")
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts]).astype(np.float32, copy=False)


def index_with_vectors(
    *,
    index_dir: Path,
    settings: IndexSettings,
    model: EmbeddingModel,
    chunks: Sequence[IndexedChunk],
    vectors: np.ndarray,
    second_embedder: Embedder | None,
) -> None:
    """Add ``chunks`` to the saved index (dense and BM25) and save it, the dense half taking
    row ``i`` of ``vectors`` for ``chunks[i]`` instead of embedding its text. The
    installation's ``second_embedder`` (None if it has no second stage) embeds them for the
    second stage's part, which would otherwise be dropped from the saved index.

    ``model`` must be the model of the installation's index: the index records it and refuses
    another. A failure leaves the saved index as it was.
    """
    if vectors.shape[0] != len(chunks):
        raise ValueError(f"{len(chunks)} chunks but {vectors.shape[0]} vectors")
    if not chunks:
        return
    by_text = {chunk.text: vectors[row] for row, chunk in enumerate(chunks)}
    sync = IndexSync(
        index_dir=index_dir,
        settings=settings,
        embedder=_StoredVectors(model, by_text),
        second_embedder=second_embedder,
    )
    sync.add(chunks)
    sync.commit()
