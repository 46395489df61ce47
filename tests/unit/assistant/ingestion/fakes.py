"""Model-free stand-ins for the parser, chunker and index, shared by pipeline tests."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from indexes.protocols import EmbedProgress, IndexedChunk
from ingest.errors import CorruptFileError
from ingest.types import ChunkDraft, Page, PageProgress, ParsedDocument


def fake_parse(path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
    """Text files only, a page per form feed; a file whose text starts with 'CORRUPT' is
    refused."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("CORRUPT"):
        raise CorruptFileError(f"{path.name}: the file is damaged")
    pages = text.split("\f")
    for done in range(1, len(pages) + 1):
        if on_page is not None:
            on_page(done, len(pages))
    return "text/plain", ParsedDocument(
        pages=tuple(Page(number=n, text=page) for n, page in enumerate(pages, start=1))
    )


def slow_parse(path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
    """``fake_parse`` that takes a while, so a test can interrupt a run midway."""
    time.sleep(0.2)
    return fake_parse(path, on_page)


def fake_chunker(doc: ParsedDocument) -> list[ChunkDraft]:
    """One chunk per blank-line separated paragraph, with exact offsets."""
    drafts: list[ChunkDraft] = []
    for page in doc.pages:
        start = 0
        for part in page.text.split("\n\n"):
            if part.strip():
                drafts.append(
                    ChunkDraft(
                        ordinal=len(drafts),
                        text=part,
                        page=page.number,
                        char_start=start,
                        char_end=start + len(part),
                    )
                )
            start += len(part) + 2
    return drafts


class RecordingIndex:
    """Holds the chunk ids it was given, embedding them ``slice`` at a time when told to
    report; counts commits."""

    def __init__(self, slice: int = 2) -> None:
        self.chunks: dict[int, IndexedChunk] = {}
        self.commits = 0
        self._slice = slice

    def add(self, chunks: Sequence[IndexedChunk], on_embedded: EmbedProgress | None = None) -> None:
        if on_embedded is not None:
            for start in range(0, len(chunks), self._slice):
                on_embedded(min(start + self._slice, len(chunks)), len(chunks))
        self.chunks.update({c.chunk_id: c for c in chunks})

    def delete(self, chunk_ids: Iterable[int]) -> None:
        for chunk_id in chunk_ids:
            self.chunks.pop(chunk_id, None)

    def commit(self) -> None:
        self.commits += 1
