"""A stored passage as every front end shows and cites it, and a retrieved one with its
score.

They are the one passage type from retrieval to rendering: the prompt shows a ``ChunkView`` as
it is, an answer carries its ``Passage``s, and the API's bodies and the UI read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.storage.models import Chunk
from assistant.storage.repository import HEADING_SEPARATOR, decode_boxes
from ingest.locate import cell_box, region
from ingest.tables import Table, read_table
from ingest.types import Box


@dataclass(frozen=True)
class ChunkView:
    """A stored passage with everything needed to cite and show it: ``page_label`` is the
    number printed on its page where that differs from ``page``, and ``boxes`` are where its
    words stand on the page image (one per run of words on a line; none for a document
    without page images)."""

    chunk_id: int
    text: str
    document_id: int
    file_name: str
    collection: str
    page: int | None
    char_start: int
    char_end: int
    heading_path: str
    is_table: bool
    page_label: str | None = None
    boxes: tuple[Box, ...] = ()

    @property
    def table(self) -> Table | None:
        """The table this passage holds, as cells, when it is a table that reads cleanly."""
        return read_table(self.text) if self.is_table else None

    @property
    def region(self) -> Box | None:
        """The box around all of the passage's boxes: the region of a table."""
        return region(self.boxes)

    def cell_box(self, row_label: str, column_header: str, text: str) -> Box | None:
        """Where the table cell ``text`` of row ``row_label`` and column ``column_header``
        stands on the page image, when that can be told."""
        return cell_box(self.boxes, row_label, column_header, text)

    @property
    def location(self) -> str:
        """Where the passage stands, as a reader looks for it: its page (with the number
        printed on it, where that differs), else the section heading it sits under, else its
        characters in the file."""
        if self.page is not None and self.page_label:
            return f"page {self.page_label} (PDF page {self.page})"
        if self.page is not None:
            return f"page {self.page}"
        section = self.heading_path.rsplit(HEADING_SEPARATOR, 1)[-1].strip()
        return f"section '{section}'" if section else f"chars {self.char_start}-{self.char_end}"

    @classmethod
    def of(cls, row: Chunk) -> ChunkView:
        return cls(
            chunk_id=row.id,
            text=row.text,
            document_id=row.document_id,
            file_name=row.document.file_name,
            collection=row.document.collection.name,
            page=row.page,
            char_start=row.char_start,
            char_end=row.char_end,
            heading_path=row.heading_path,
            is_table=row.is_table,
            page_label=row.page_label,
            boxes=decode_boxes(row.boxes),
        )


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk and its retrieval score (higher is better)."""

    chunk: ChunkView
    score: float
