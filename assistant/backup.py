"""Backup and restore of one collection, to move it to another installation or keep a copy.

A backup is one archive (see ``backup_archive``) with the collection, its documents' metadata
(printed page labels included), its chunks (with their boxes on the page images), their dense
vectors and the rights granted on it. Original files and page images (``page_store``) are not
in the archive: a restored document shows its text, and its viewer says that the page image is
unavailable. Accounts are not exported, grants name their user by username only. The index
covers every collection, so only this collection's vectors are taken from it; BM25 is rebuilt
from the chunk texts on restore.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence, Set
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.accounts import Accounts
from assistant.audit import AuditAction, as_utc
from assistant.backup_archive import (
    CHUNKS,
    COLLECTION,
    DOCUMENTS,
    FORMAT,
    FORMAT_VERSION,
    GRANTS,
    PAYLOAD,
    VECTORS,
    ArchiveError,
    ArchiveLimits,
    BackupError,
    ChunkRecord,
    CollectionRecord,
    Counts,
    DocumentRecord,
    EmbeddingInfo,
    GrantRecord,
    Manifest,
    describe_member,
    read_record,
    read_records,
    read_vectors,
    unpack,
    write_archive,
    write_records,
)
from assistant.backup_index import (
    EmbeddingModel,
    NotIndexedError,
    configured_model_name,
    index_with_vectors,
    saved_model,
    write_vectors,
)
from assistant.bootstrap import OPERATOR
from assistant.index_text import to_indexed
from assistant.permissions import may_hold
from assistant.service import Assistant
from assistant.storage import access_repository as access_repo
from assistant.storage import repository as repo
from assistant.storage.db import transaction
from assistant.storage.models import (
    Chunk,
    Collection,
    Document,
    DocumentStatus,
    Right,
    Role,
    utcnow,
)
from indexes.persist import IndexFormatError

__all__ = [
    "ArchiveError",
    "ArchiveLimits",
    "BackupError",
    "BackupSummary",
    "CollectionExistsError",
    "ModelMismatchError",
    "RestoreSummary",
    "SkippedGrant",
    "export_collection",
    "restore_collection",
]

PRODUCT = "domain-assistant"


class CollectionExistsError(BackupError):
    """The restore would take the name of an existing collection."""


class ModelMismatchError(BackupError):
    """The archive's vectors come from another embedding model than the installation's."""


@dataclass(frozen=True)
class BackupSummary:
    collection: str
    path: Path
    documents: int
    chunks: int
    grants: int
    size_bytes: int
    model: EmbeddingModel | None
    """The model of the exported vectors; ``None`` when the index held none."""


@dataclass(frozen=True)
class SkippedGrant:
    """A right of the archive that was not given, and why."""

    username: str
    right: Right
    reason: str


@dataclass(frozen=True)
class RestoreSummary:
    collection: str
    source_collection: str
    documents: int
    chunks: int
    grants: tuple[tuple[str, Right], ...]
    skipped_grants: tuple[SkippedGrant, ...]


def export_collection(assistant: Assistant, name: str, out_path: Path) -> BackupSummary:
    """Write collection ``name`` (documents, chunks, vectors, grants) to the archive
    ``out_path``, replacing that file atomically; other collections are not included.

    Raises ``NotFoundError`` for an unknown collection, and ``BackupError`` when some of its
    chunks have no vector in the index (``assistant check --repair`` fixes that).
    """
    out_path = Path(out_path)
    if out_path.is_dir():
        raise BackupError(f"{out_path} is a folder; give the archive a file name")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    assistant.index.commit()
    with (
        tempfile.TemporaryDirectory(dir=out_path.parent, prefix=f".{out_path.name}.") as folder,
        assistant.sessions() as session,
    ):
        staging = Path(folder)
        _read_snapshot(session)
        coll = repo.get_collection(session=session, name=name)
        counts, chunk_ids = _stage_records(session, coll, staging)
        model = _stage_vectors(assistant.settings.index_dir, coll.name, chunk_ids, staging)
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            product_version=_product_version(),
            created_at=utcnow(),
            collection=coll.name,
            embedding=EmbeddingInfo(
                model_name=None if model is None else model.name,
                dim=None if model is None else model.dim,
            ),
            counts=counts,
            members={member: describe_member(staging / member) for member in PAYLOAD},
        )
        size = write_archive(out_path, staging, manifest)
    return BackupSummary(
        collection=coll.name,
        path=out_path,
        documents=counts.documents,
        chunks=counts.chunks,
        grants=counts.grants,
        size_bytes=size,
        model=model,
    )


def _read_snapshot(session: Session) -> None:
    """On PostgreSQL, make every read of ``session`` see one state of the database. SQLite's
    driver gives each statement its own snapshot; ``_chunk_records`` notices the one change
    that would make an archive unusable."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _stage_records(session: Session, coll: Collection, staging: Path) -> tuple[Counts, list[int]]:
    """Write the collection, document, chunk and grant records into ``staging``; returns
    their counts and the chunk ids in the order the chunks were written."""
    collection = CollectionRecord(
        name=coll.name, description=coll.description, created_at=as_utc(coll.created_at)
    )
    (staging / COLLECTION).write_text(collection.model_dump_json() + "\n", encoding="utf-8")
    documents = list(
        session.scalars(
            select(Document).where(Document.collection_id == coll.id).order_by(Document.id)
        )
    )
    write_records(staging / DOCUMENTS, (_document_record(doc) for doc in documents))
    chunk_ids: list[int] = []
    chunks = write_records(
        staging / CHUNKS,
        _chunk_records(session, coll.id, {doc.id for doc in documents}, chunk_ids),
    )
    grants = write_records(
        staging / GRANTS,
        (
            GrantRecord(username=username, right=Right(right))
            for username, right in access_repo.grants_on(session=session, collection_id=coll.id)
        ),
    )
    return Counts(documents=len(documents), chunks=chunks, grants=grants), chunk_ids


def _stage_vectors(
    index_dir: Path, name: str, chunk_ids: Sequence[int], staging: Path
) -> EmbeddingModel | None:
    """Write the vectors of ``chunk_ids`` into ``staging``; returns the model that made them
    (``None`` when the index holds no vector at all)."""
    try:
        model = saved_model(index_dir)
        dim = None if model is None else model.dim
        if dim is None and chunk_ids:
            raise NotIndexedError(len(chunk_ids))
        write_vectors(index_dir, np.asarray(chunk_ids, dtype=np.int64), staging / VECTORS, dim or 0)
    except NotIndexedError as error:
        raise BackupError(
            f"{error.missing} chunks of {name!r} are not in the index; run "
            "`assistant check --repair` and try again"
        ) from error
    except IndexFormatError as error:
        raise BackupError(f"the index cannot be read: {error}") from error
    return model


def _document_record(doc: Document) -> DocumentRecord:
    return DocumentRecord(
        id=doc.id,
        file_name=doc.file_name,
        content_hash=doc.content_hash,
        media_type=doc.media_type,
        size_bytes=doc.size_bytes,
        version=doc.version,
        status=_archived_status(DocumentStatus(doc.status)),
        error=doc.error,
        page_count=doc.page_count,
        page_labels=doc.page_labels,
        title=doc.title,
        created_at=as_utc(doc.created_at),
        updated_at=as_utc(doc.updated_at),
    )


def _archived_status(status: DocumentStatus) -> DocumentStatus:
    """A document being indexed is archived as ready: the export holds the vectors of all its
    chunks (it refuses chunks missing from the index), so the restore makes it searchable, and
    archives stay readable by installations that know only ready and failed."""
    return DocumentStatus.READY if status == DocumentStatus.INDEXING else status


def _chunk_records(
    session: Session, collection_id: int, documents: Set[int], ids: list[int]
) -> Iterator[ChunkRecord]:
    """The collection's chunks in document and reading order; each chunk's id is appended to
    ``ids`` as it goes, so that the vectors can be written in the same order. A chunk of a
    document not among ``documents`` (added since they were read) stops the backup."""
    query = (
        select(Chunk)
        .where(Chunk.collection_id == collection_id)
        .order_by(Chunk.document_id, Chunk.ordinal, Chunk.id)
        .execution_options(yield_per=2000)
    )
    for row in session.scalars(query):
        if row.document_id not in documents:
            raise BackupError("the collection changed while it was being saved; try again")
        ids.append(row.id)
        yield ChunkRecord.model_validate(row, from_attributes=True)


def _product_version() -> str:
    try:
        return metadata.version(PRODUCT)
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class _Content:
    """Everything an archive holds, validated."""

    collection: CollectionRecord
    documents: list[DocumentRecord]
    chunks: list[ChunkRecord]
    grants: list[GrantRecord]
    vectors: np.ndarray
    model: EmbeddingModel | None


def restore_collection(
    assistant: Assistant,
    archive_path: Path,
    *,
    name: str | None = None,
    accounts: Accounts | None = None,
    limits: ArchiveLimits | None = None,
) -> RestoreSummary:
    """Recreate the collection saved in ``archive_path``, under ``name`` when given.

    The archive is checked in full before anything changes: a damaged, altered or hostile
    archive raises ``ArchiveError``, a name already taken ``CollectionExistsError``, vectors of
    another embedding model ``ModelMismatchError``. Documents, chunks (with new ids) and grants
    are stored in one transaction; a grant is given only when a user of that name exists here
    and its role may hold the right, the others are listed in the summary. Then the chunks
    enter the index through the path ingestion uses, with the archived vectors.

    If updating the index fails, the stored collection is deleted again, so the installation
    is left as it was. If the process dies between the database commit and the index save,
    the collection is stored but not indexed: ``assistant check --repair`` indexes its chunks
    (embedding them again with the installation's model). With ``accounts``, the restore and
    the grants are recorded in its audit trail.
    """
    archive = Path(archive_path)
    work = assistant.settings.data_dir
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work, prefix=".restore-") as folder:
        unpacked = Path(folder)
        content = _read_content(unpacked, unpack(archive, unpacked, limits or ArchiveLimits()))
        target = _target_name(name or content.collection.name)
        model = _installation_model(assistant, content.model)
        assistant.index.commit()
        collection_id, rows, granted, skipped = _store(assistant, target, content)
        if rows and model is not None:
            _index(assistant, collection_id, target, rows, content.vectors, model)
    if accounts is not None:
        _audit(accounts, target, archive.name, content, granted)
    return RestoreSummary(
        collection=target,
        source_collection=content.collection.name,
        documents=len(content.documents),
        chunks=len(rows),
        grants=tuple(granted),
        skipped_grants=tuple(skipped),
    )


def _read_content(folder: Path, manifest: Manifest) -> _Content:
    collection = read_record(folder, COLLECTION, CollectionRecord)
    documents = read_records(folder, DOCUMENTS, DocumentRecord)
    chunks = read_records(folder, CHUNKS, ChunkRecord)
    grants = read_records(folder, GRANTS, GrantRecord)
    found = Counts(documents=len(documents), chunks=len(chunks), grants=len(grants))
    if found != manifest.counts:
        raise ArchiveError(f"the manifest counts {manifest.counts}, the archive holds {found}")
    _require_unique("document id", [d.id for d in documents])
    _require_unique("document file name", [d.file_name for d in documents])
    _require_unique("chunk id", [c.id for c in chunks])
    _require_unique("grant username", [g.username for g in grants])
    known = {d.id for d in documents}
    strays = sum(1 for c in chunks if c.document_id not in known)
    if strays:
        raise ArchiveError(f"{strays} chunks belong to no document of the archive")
    embedding = manifest.embedding
    model = None
    if chunks:
        if embedding.model_name is None or embedding.dim is None:
            raise ArchiveError("the manifest does not name the embedding model of the vectors")
        model = EmbeddingModel(embedding.model_name, embedding.dim)
    vectors = read_vectors(folder, len(chunks), embedding.dim)
    return _Content(collection, documents, chunks, grants, vectors, model)


def _require_unique(what: str, values: Sequence[object]) -> None:
    if len(set(values)) != len(values):
        raise ArchiveError(f"the archive repeats a {what}")


def _target_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise BackupError("a collection name has 1 to 200 characters")
    return clean


def _installation_model(
    assistant: Assistant, archived: EmbeddingModel | None
) -> EmbeddingModel | None:
    """The archived model, once checked to be the one this installation embeds with: the
    model of its saved vectors, or of its settings while it has none."""
    if archived is None:
        return None
    try:
        saved = saved_model(assistant.settings.index_dir)
    except IndexFormatError as error:
        raise BackupError(f"the index of this installation cannot be read: {error}") from error
    installed = saved or EmbeddingModel(configured_model_name(assistant.settings.index), None)
    if installed.name != archived.name or installed.dim not in (None, archived.dim):
        size = f" with {installed.dim} dimensions" if installed.dim is not None else ""
        raise ModelMismatchError(
            f"the archive holds vectors of the embedding model {archived.name!r} with "
            f"{archived.dim} dimensions, but this installation uses {installed.name!r}{size}; "
            "restore it on an installation configured with the same model"
        )
    return archived


def _store(
    assistant: Assistant, target: str, content: _Content
) -> tuple[int, list[Chunk], list[tuple[str, Right]], list[SkippedGrant]]:
    """Insert the collection, its documents, chunks and grants in one transaction; returns the
    new collection id, the chunk rows in archive order and the grants given and skipped."""
    try:
        with transaction(assistant.sessions) as session:
            if session.scalar(select(Collection.id).where(Collection.name == target)) is not None:
                raise CollectionExistsError(
                    f"a collection named {target!r} exists; restore under another name (--as NAME)"
                )
            coll = Collection(
                name=target,
                description=content.collection.description,
                created_at=content.collection.created_at,
            )
            session.add(coll)
            session.flush()
            documents = {record.id: _document_row(record, coll.id) for record in content.documents}
            session.add_all(documents.values())
            session.flush()
            rows = [
                _chunk_row(record, documents[record.document_id].id, coll.id)
                for record in content.chunks
            ]
            session.add_all(rows)
            session.flush()
            granted, skipped = _grant(session, coll.id, content.grants)
            collection_id = coll.id
    except IntegrityError as error:
        raise BackupError(f"storing the collection {target!r} failed: {error.orig}") from error
    return collection_id, rows, granted, skipped


def _document_row(record: DocumentRecord, collection_id: int) -> Document:
    """The record as a new row of this installation (which gives it its own id)."""
    return Document(collection_id=collection_id, **record.model_dump(exclude={"id"}))


def _chunk_row(record: ChunkRecord, document_id: int, collection_id: int) -> Chunk:
    """The record as a new row of this installation, in the restored document."""
    return Chunk(
        document_id=document_id,
        collection_id=collection_id,
        **record.model_dump(exclude={"id", "document_id"}),
    )


def _grant(
    session: Session, collection_id: int, grants: Sequence[GrantRecord]
) -> tuple[list[tuple[str, Right]], list[SkippedGrant]]:
    granted: list[tuple[str, Right]] = []
    skipped: list[SkippedGrant] = []
    for grant in grants:
        user = access_repo.get_user(session=session, username=grant.username)
        if user is None:
            skipped.append(SkippedGrant(grant.username, grant.right, "no user of that name here"))
        elif not may_hold(Role(user.role), grant.right):
            skipped.append(
                SkippedGrant(
                    grant.username, grant.right, "the viewer role cannot hold the editor right"
                )
            )
        else:
            access_repo.set_grant(
                session=session, user_id=user.id, collection_id=collection_id, right=grant.right
            )
            granted.append((grant.username, grant.right))
    return granted, skipped


def _index(
    assistant: Assistant,
    collection_id: int,
    target: str,
    rows: Sequence[Chunk],
    vectors: np.ndarray,
    model: EmbeddingModel,
) -> None:
    """Add the stored chunks to the index; on failure, delete the collection again."""
    try:
        with assistant.sessions() as session:
            names = repo.file_names(session=session, document_ids={r.document_id for r in rows})
        index_with_vectors(
            index_dir=assistant.settings.index_dir,
            settings=assistant.settings.index,
            model=model,
            chunks=to_indexed(rows, names),
            vectors=vectors,
            second_embedder=assistant.index.second_embedder,
        )
    except Exception as error:
        try:
            with transaction(assistant.sessions) as session:
                session.execute(delete(Collection).where(Collection.id == collection_id))
        except Exception as undo_error:
            raise BackupError(
                f"indexing the restored collection failed ({error}) and so did removing it "
                f"again ({undo_error}); {target!r} is stored but not searchable until "
                "`assistant check --repair` indexes it"
            ) from error
        raise BackupError(
            f"indexing the restored collection failed ({error}); the restore was undone"
        ) from error


def _audit(
    accounts: Accounts,
    target: str,
    archive_name: str,
    content: _Content,
    granted: Sequence[tuple[str, Right]],
) -> None:
    accounts.audit.record(
        OPERATOR,
        AuditAction.CREATE_COLLECTION,
        collection=target,
        detail=f"restored from {archive_name}: {len(content.documents)} documents, "
        f"{len(content.chunks)} chunks",
    )
    for username, right in granted:
        accounts.audit.record(
            OPERATOR,
            AuditAction.GRANT,
            collection=target,
            detail=f"grant {right.value} to {username} (restored)",
        )
