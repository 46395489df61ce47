"""Typed table definitions. The database is the source of truth; indexes are derived from it."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class DocumentStatus(StrEnum):
    """``INDEXING``: stored, its chunks not yet all in the saved index, so not searchable yet;
    ``READY``: searchable; ``FAILED``: nothing usable stored (or its indexing failed, its
    chunks kept for a repair to index)."""

    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"


STORED_STATUSES = (DocumentStatus.INDEXING, DocumentStatus.READY)
"""Statuses of a document whose current version is stored with all its chunks."""


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"


class Collection(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    documents: Mapped[list[Document]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", passive_deletes=True
    )


class Document(Base):
    """One file in one collection. A changed file keeps its row and gets ``version + 1``."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("collection_id", "file_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    page_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    page_labels: Mapped[str] = mapped_column(
        Text, default="", server_default="", doc="JSON list of printed page labels, or empty"
    )
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    collection: Mapped[Collection] = relationship(back_populates="documents")
    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Chunk.ordinal",
    )


class Chunk(Base):
    """A passage of a document with the exact place it came from, its page's printed label
    and where its words stand on the page image.

    ``collection_id`` is repeated from the document so that access filters need no join. Ids
    are never reused (AUTOINCREMENT on SQLite), because indexes refer to chunks by id.
    """

    __tablename__ = "chunks"
    __table_args__ = (
        Index("ix_chunks_document_ordinal", "document_id", "ordinal"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    char_start: Mapped[int] = mapped_column(Integer)
    char_end: Mapped[int] = mapped_column(Integer)
    heading_path: Mapped[str] = mapped_column(Text, default="")
    is_table: Mapped[bool] = mapped_column(Boolean, default=False)
    token_count: Mapped[int] = mapped_column(Integer, default=0)
    page_label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    boxes: Mapped[str] = mapped_column(
        Text, default="", server_default="", doc="JSON boxes on the page image, or empty"
    )

    document: Mapped[Document] = relationship(back_populates="chunks")


class IngestionRun(Base):
    """One ``ingest`` invocation, so an interrupted batch is visible and can be resumed."""

    __tablename__ = "ingestion_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.RUNNING)
    owner: Mapped[str] = mapped_column(String(300), default="", doc="host:pid running it")
    files_total: Mapped[int] = mapped_column(Integer, default=0)
    files_added: Mapped[int] = mapped_column(Integer, default=0)
    files_replaced: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    files_failed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Role(StrEnum):
    """What a user may do across the installation; rights on collections come from grants."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class Right(StrEnum):
    """A user's right on one collection: read it, or also change its documents and grants."""

    VIEWER = "viewer"
    EDITOR = "editor"


class User(Base):
    """An account. ``failed_logins`` counts consecutive failures and drives the lockout;
    ``must_change_password`` marks a password made up for the user, to be replaced by one of
    their own before they do anything else."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.VIEWER)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )

    grants: Mapped[list[CollectionGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )


class CollectionGrant(Base):
    """One user's right on one collection."""

    __tablename__ = "collection_grants"
    __table_args__ = (UniqueConstraint("user_id", "collection_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    right: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="grants")
    collection: Mapped[Collection] = relationship()


class AuditEvent(Base):
    """Who did what, when. Names are copied, not referenced, so the trail outlives them."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(150), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    collection: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class ApiToken(Base):
    """A bearer token of the REST API. Only a SHA-256 digest of the token is stored; ``prefix``
    (its first characters) lets its owner tell tokens apart without revealing them."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
