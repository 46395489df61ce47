"""What the indexes see of a stored chunk: its text in the context a question refers to.

Ingestion, the index repair, a backup's restore and a document's re-indexing all turn chunks
into index texts here, so an index never holds two kinds of text for the same chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from assistant.storage import repository as repo
from assistant.storage.models import Chunk
from indexes.protocols import IndexedChunk
from ingest.types import ChunkDraft

INDEX_TEXT_VERSION = 2
"""Version of ``index_text``: 1 was the heading path and the text, 2 puts the document's name
in front. Indexes record the version they were built with (``HybridIndex.text_version``)."""


def document_label(file_name: str) -> str:
    """A document's name as the indexes see it: the file name without its extension, with
    underscores read as spaces. File names carry what many questions name (the company and
    year of a filing, the parties of a contract) and most chunks never repeat it."""
    return " ".join(Path(file_name).stem.replace("_", " ").split())


def _in_context(file_name: str, heading_path: str, text: str) -> str:
    return "\n".join(part for part in (document_label(file_name), heading_path, text) if part)


def index_text(chunk: Chunk, file_name: str) -> str:
    """The text an index sees: the document's name and the heading path give a passage the
    context a question refers to."""
    return _in_context(file_name, chunk.heading_path, chunk.text)


def draft_index_text(draft: ChunkDraft, file_name: str) -> str:
    """``index_text`` of the chunk ``draft`` will be stored as, known before it is stored."""
    return _in_context(file_name, repo.HEADING_SEPARATOR.join(draft.heading_path), draft.text)


def to_indexed(chunks: Iterable[Chunk], file_names: Mapping[int, str]) -> list[IndexedChunk]:
    """The chunks as the indexes take them; ``file_names`` maps their document ids to the
    documents' file names."""
    return [
        IndexedChunk(c.id, c.collection_id, index_text(c, file_names[c.document_id]))
        for c in chunks
    ]
