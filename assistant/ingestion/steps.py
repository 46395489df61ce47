"""Parsing and chunking configured from the settings: one definition shared by the service and
the cluster workers, so both cut files into exactly the same chunks."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.settings import IngestSettings, Settings
from ingest.chunking import chunk_document
from ingest.detect import detect_media_type
from ingest.limits import ParseLimits
from ingest.locate import place_chunks
from ingest.parsers import parse_file
from ingest.tokens import TokenCounter, default_counter
from ingest.types import ChunkDraft, PageProgress, ParsedDocument

_MB = 1024 * 1024


@dataclass(frozen=True)
class FileSteps:
    """Parsing and chunking as configured, small enough to ship to every worker (the tokenizer
    is loaded where it runs, once per process)."""

    ingest: IngestSettings
    embedding_model: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> FileSteps:
        return cls(settings.ingest, settings.index.embedding_model)

    def parse(self, path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
        """Detect a file's format and extract its pages, within the configured limits;
        ``on_page`` is told how many pages are read as it goes."""
        media_type = detect_media_type(path)
        limits = parse_limits(self.ingest)
        return media_type, parse_file(path, limits=limits, media_type=media_type, on_page=on_page)

    def chunk(self, parsed: ParsedDocument) -> list[ChunkDraft]:
        """Cut a parsed document into passages sized for the embedding model, each with its
        page's printed label and its boxes on the page image where the page has one."""
        drafts = chunk_document(
            parsed,
            max_tokens=self.ingest.chunk_tokens,
            overlap_tokens=self.ingest.chunk_overlap_tokens,
            count_tokens=_token_counter(self.embedding_model),
        )
        return place_chunks(parsed, drafts)


def parse_limits(ingest: IngestSettings) -> ParseLimits:
    """The parse limits the ``ingest`` settings group sets; it states sizes in MB."""
    return ParseLimits(
        max_file_bytes=int(ingest.max_file_mb * _MB),
        max_pages=ingest.max_pages,
        max_chars=ingest.max_chars,
        max_unzipped_bytes=int(ingest.max_unzipped_mb * _MB),
        max_zip_ratio=ingest.max_zip_ratio,
        max_seconds=ingest.parse_timeout_s,
    )


@lru_cache(maxsize=4)
def _token_counter(embedding_model: str | None) -> TokenCounter:
    return default_counter(Path(embedding_model) if embedding_model else None)
