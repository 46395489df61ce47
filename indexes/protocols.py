"""The seams every index implements, so retrieval can combine and swap them freely."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self


@dataclass(frozen=True)
class IndexedChunk:
    """What an index needs to know about a chunk: its id, its collection (for access control
    filters applied inside the search) and the text to index."""

    chunk_id: int
    collection_id: int
    text: str


EmbedProgress = Callable[[int, int], None]
"""Told, after each slice of texts an index has embedded, how many of the texts it embeds in
this call are done and how many there are: embedding is the slow part of indexing."""


@dataclass(frozen=True)
class SearchHit:
    """One ranked result of one index; higher ``score`` is better."""

    chunk_id: int
    score: float


class ChunkIndex(Protocol):
    """A persistent, incrementally updated index of chunks.

    Reads are thread-safe; writes (``add``, ``delete``, ``save``) must be serialised by the
    caller. ``search`` applies the collection filter before taking the top ``k``, so a caller
    only ever receives chunks of ``collections`` and still gets up to ``k`` of them.
    """

    def add(self, chunks: Sequence[IndexedChunk]) -> None: ...

    def delete(self, chunk_ids: Iterable[int]) -> None: ...

    def search(
        self, query: str, k: int, collections: Collection[int] | None = None
    ) -> list[SearchHit]: ...

    def chunk_ids(self) -> set[int]: ...

    def __len__(self) -> int: ...

    def save(self, path: Path) -> None: ...

    @classmethod
    def load(cls, path: Path) -> Self: ...
