"""Storage behaviour that every supported database must share (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session, sessionmaker

from assistant.storage import repository as repo
from assistant.storage.db import create_db_engine, make_session_factory, migrate, transaction
from assistant.storage.models import Document, DocumentStatus
from ingest.types import ChunkDraft


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_db_engine(database_url)
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


def add_document(session: Session, collection: str, name: str, n_chunks: int) -> Document:
    coll = repo.get_or_create_collection(session=session, name=collection)
    doc = Document(
        collection_id=coll.id,
        file_name=name,
        content_hash=name * 2,
        media_type="text/plain",
        size_bytes=10,
        status=DocumentStatus.READY,
    )
    session.add(doc)
    session.flush()
    drafts = [
        ChunkDraft(
            ordinal=i,
            text=f"{name} {i}",
            page=i + 1,
            char_start=0,
            char_end=5,
            heading_path=("Part A", "Section 2"),
            is_table=i == 0,
        )
        for i in range(n_chunks)
    ]
    repo.replace_chunks(session=session, document=doc, drafts=drafts)
    return doc


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    migrate(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"collections", "documents", "chunks", "ingestion_runs", "alembic_version"} <= tables
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'a.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_documents_are_listed_with_chunk_counts_and_filtered_by_collection(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        add_document(session, "legal", "nda.pdf", 3)
        add_document(session, "finance", "10k.pdf", 2)
    with sessions() as session:
        legal = repo.get_collection(session=session, name="legal")
        everything = repo.list_documents(session=session)
        only_legal = repo.list_documents(session=session, collection_ids=[legal.id])
    assert sorted((d.file_name, n) for d, n in everything) == [("10k.pdf", 2), ("nda.pdf", 3)]
    assert [(d.file_name, n) for d, n in only_legal] == [("nda.pdf", 3)]


def test_chunks_keep_place_and_structure(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        doc = add_document(session, "c", "d.txt", 2)
        ids = repo.chunk_ids_of(session=session, document_id=doc.id)
    with sessions() as session:
        rows = repo.chunks_by_ids(session=session, chunk_ids=ids)
    first = min(rows.values(), key=lambda c: c.ordinal)
    assert (first.page, first.char_start, first.char_end) == (1, 0, 5)
    assert first.heading_path == "Part A > Section 2"
    assert first.is_table is True


def test_delete_document_removes_its_chunks_only(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        keep = add_document(session, "c", "keep.txt", 2)
        gone = add_document(session, "c", "gone.txt", 3)
        keep_ids = set(repo.chunk_ids_of(session=session, document_id=keep.id))
    with transaction(sessions) as session:
        doc = session.get(Document, gone.id)
        assert doc is not None
        removed = repo.delete_document(session=session, document=doc)
    assert len(removed) == 3
    with sessions() as session:
        assert repo.all_chunk_ids(session=session) == keep_ids
        assert session.get(Document, gone.id) is None


def test_chunk_ids_are_never_reused(sessions: sessionmaker[Session]) -> None:
    """Indexes refer to chunks by id, so an id freed by a delete must not come back."""
    with transaction(sessions) as session:
        doc = add_document(session, "c", "a.txt", 3)
        first_ids = set(repo.chunk_ids_of(session=session, document_id=doc.id))
        repo.delete_document(session=session, document=doc)
    with transaction(sessions) as session:
        doc = add_document(session, "c", "b.txt", 3)
        second_ids = set(repo.chunk_ids_of(session=session, document_id=doc.id))
    assert first_ids.isdisjoint(second_ids)


def test_a_failed_transaction_leaves_nothing_behind(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        add_document(session, "c", "half.txt", 4)
        raise RuntimeError("crash in the middle")
    with sessions() as session:
        assert repo.all_chunk_ids(session=session) == set()
        assert repo.list_documents(session=session) == []


def test_collection_names_are_trimmed_unique_and_required(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        first = repo.get_or_create_collection(session=session, name=" legal ")
        again = repo.get_or_create_collection(session=session, name="legal")
        assert first.id == again.id
        with pytest.raises(ValueError):
            repo.get_or_create_collection(session=session, name="  ")
    with sessions() as session, pytest.raises(repo.NotFoundError):
        repo.get_collection(session=session, name="nope")
