"""Keyword-only data access functions; callers own the session and its transaction."""

from __future__ import annotations

import json
import math
from collections.abc import Collection as Coll
from collections.abc import Iterable, Sequence, Set

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from assistant.storage.models import (
    STORED_STATUSES,
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    IngestionRun,
    RunStatus,
    utcnow,
)
from ingest.types import Box, ChunkDraft

HEADING_SEPARATOR = " > "
_BOX_DIGITS = 5
"""Decimals kept of a box's coordinates (shares of the page): far below a pixel."""


class NotFoundError(LookupError):
    """A named collection or document does not exist."""


def get_or_create_collection(*, session: Session, name: str) -> Collection:
    clean = name.strip()
    if not clean:
        raise ValueError("a collection needs a non-empty name")
    found = session.scalar(select(Collection).where(Collection.name == clean))
    if found is not None:
        return found
    created = Collection(name=clean, description="")
    session.add(created)
    session.flush()
    return created


def get_collection(*, session: Session, name: str) -> Collection:
    found = session.scalar(select(Collection).where(Collection.name == name.strip()))
    if found is None:
        raise NotFoundError(f"no collection named {name!r}")
    return found


def list_collections(*, session: Session) -> list[Collection]:
    return list(session.scalars(select(Collection).order_by(Collection.name)))


def find_document(*, session: Session, collection_id: int, file_name: str) -> Document | None:
    return session.scalar(
        select(Document).where(
            Document.collection_id == collection_id, Document.file_name == file_name
        )
    )


def find_stored_by_hash(
    *, session: Session, collection_id: int, content_hash: str
) -> Document | None:
    """A document of the collection whose stored version has this content (ready, or being
    indexed), if any."""
    return session.scalar(
        select(Document)
        .where(
            Document.collection_id == collection_id,
            Document.content_hash == content_hash,
            Document.status.in_(STORED_STATUSES),
        )
        .limit(1)
    )


def mark_ready(*, session: Session, versions: Iterable[tuple[int, int]]) -> None:
    """List the documents ``(id, version)`` as ready, those still being indexed at that
    version (one replaced since is left to its own indexing)."""
    for document_id, version in versions:
        session.execute(
            update(Document)
            .where(
                Document.id == document_id,
                Document.version == version,
                Document.status == DocumentStatus.INDEXING,
            )
            .values(status=DocumentStatus.READY, error=None)
        )


def mark_indexed_ready(*, session: Session, indexed: Set[int]) -> list[int]:
    """List as ready every document not ready yet whose chunks are all in ``indexed`` (the
    chunk ids of a saved index); returns their ids. A document without chunks is left as it
    is: nothing of it was stored."""
    pending = session.execute(
        select(Chunk.document_id, Chunk.id)
        .join(Document, Document.id == Chunk.document_id)
        .where(Document.status != DocumentStatus.READY)
    )
    complete: dict[int, bool] = {}
    for document_id, chunk_id in pending:
        complete[document_id] = complete.get(document_id, True) and chunk_id in indexed
    ready = sorted(document_id for document_id, whole in complete.items() if whole)
    if ready:
        session.execute(
            update(Document)
            .where(Document.id.in_(ready))
            .values(status=DocumentStatus.READY, error=None)
        )
    return ready


def list_documents(
    *, session: Session, collection_ids: Coll[int] | None = None
) -> list[tuple[Document, int]]:
    """Documents with their chunk counts, optionally limited to some collections."""
    counts = (
        select(Chunk.document_id, func.count(Chunk.id).label("n"))
        .group_by(Chunk.document_id)
        .subquery()
    )
    query = (
        select(Document, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.document_id == Document.id)
        .order_by(Document.collection_id, Document.file_name)
    )
    if collection_ids is not None:
        query = query.where(Document.collection_id.in_(collection_ids))
    return [(doc, int(n)) for doc, n in session.execute(query)]


def chunk_ids_of(*, session: Session, document_id: int) -> list[int]:
    return list(session.scalars(select(Chunk.id).where(Chunk.document_id == document_id)))


def chunks_of(*, session: Session, document_id: int) -> list[Chunk]:
    return list(
        session.scalars(
            select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal)
        )
    )


def replace_chunks(
    *, session: Session, document: Document, drafts: Sequence[ChunkDraft]
) -> tuple[list[int], list[Chunk]]:
    """Swap a document's chunks for new ones; returns the removed ids and the new rows."""
    removed = chunk_ids_of(session=session, document_id=document.id)
    session.execute(delete(Chunk).where(Chunk.document_id == document.id))
    rows = [
        Chunk(
            document_id=document.id,
            collection_id=document.collection_id,
            ordinal=d.ordinal,
            text=d.text,
            page=d.page,
            char_start=d.char_start,
            char_end=d.char_end,
            heading_path=HEADING_SEPARATOR.join(d.heading_path),
            is_table=d.is_table,
            token_count=d.token_count,
            page_label=d.page_label,
            boxes=encode_boxes(d.boxes),
        )
        for d in drafts
    ]
    session.add_all(rows)
    session.flush()
    return removed, rows


def delete_document(*, session: Session, document: Document) -> list[int]:
    """Remove a document and its chunks; returns the removed chunk ids for the indexes."""
    removed = chunk_ids_of(session=session, document_id=document.id)
    session.execute(delete(Chunk).where(Chunk.document_id == document.id))
    session.delete(document)
    session.flush()
    return removed


def chunks_by_ids(*, session: Session, chunk_ids: Sequence[int]) -> dict[int, Chunk]:
    if not chunk_ids:
        return {}
    rows = session.scalars(select(Chunk).where(Chunk.id.in_(chunk_ids)))
    return {row.id: row for row in rows}


def file_names(*, session: Session, document_ids: Iterable[int]) -> dict[int, str]:
    """The file names of the documents ``document_ids``, by id."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    rows = session.execute(select(Document.id, Document.file_name).where(Document.id.in_(ids)))
    return {document_id: file_name for document_id, file_name in rows}


def document_ids(*, session: Session) -> set[int]:
    return set(session.scalars(select(Document.id)))


def all_chunk_ids(*, session: Session) -> set[int]:
    return set(session.scalars(select(Chunk.id)))


def start_run(
    *, session: Session, collection_id: int, files_total: int, owner: str
) -> IngestionRun:
    run = IngestionRun(collection_id=collection_id, files_total=files_total, owner=owner)
    session.add(run)
    session.flush()
    return run


def running_runs(*, session: Session) -> list[IngestionRun]:
    return list(
        session.scalars(select(IngestionRun).where(IngestionRun.status == RunStatus.RUNNING))
    )


def finish_run(*, session: Session, run_id: int, status: RunStatus, counts: dict[str, int]) -> None:
    run = session.get(IngestionRun, run_id)
    if run is None:
        raise NotFoundError(f"no ingestion run {run_id}")
    for field, value in counts.items():
        setattr(run, field, value)
    run.status = status
    run.finished_at = utcnow()


def encode_boxes(boxes: Sequence[Box]) -> str:
    """Boxes as stored in ``Chunk.boxes``: a JSON list of ``[text, x0, top, x1, bottom]``, or
    the empty string when there are none."""
    if not boxes:
        return ""
    rows = [
        [box.text, *(round(v, _BOX_DIGITS) for v in (box.x0, box.top, box.x1, box.bottom))]
        for box in boxes
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def decode_boxes(stored: str) -> tuple[Box, ...]:
    """The boxes ``encode_boxes`` stored; a value that is not such a list (a damaged or altered
    row) gives no boxes rather than an error, since the passage's text does not depend on it."""
    if not stored:
        return ()
    try:
        rows = json.loads(stored)
        boxes = tuple(
            Box(str(text), float(x0), float(top), float(x1), float(bottom))
            for text, x0, top, x1, bottom in rows
        )
    except (ValueError, TypeError):
        return ()
    if not all(math.isfinite(v) for b in boxes for v in (b.x0, b.top, b.x1, b.bottom)):
        return ()
    return boxes


def encode_labels(labels: Sequence[str | None]) -> str:
    """A document's printed page labels as stored in ``Document.page_labels`` (JSON, one per
    page, null where a page has none), or the empty string when no page has one."""
    if not any(labels):
        return ""
    return json.dumps(list(labels), ensure_ascii=False)


def decode_labels(stored: str) -> tuple[str | None, ...]:
    """The labels ``encode_labels`` stored; nothing for a value that is not such a list."""
    if not stored:
        return ()
    try:
        labels = json.loads(stored)
    except ValueError:
        return ()
    if not isinstance(labels, list):
        return ()
    return tuple(label if isinstance(label, str) else None for label in labels)
