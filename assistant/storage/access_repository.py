"""Keyword-only data access for users, collection grants and audit events.

Like ``repository``, callers own the session and its transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from assistant.storage.models import AuditEvent, CollectionGrant, Document, User


def get_user(*, session: Session, username: str, for_update: bool = False) -> User | None:
    """The user; with ``for_update`` its row stays locked until the transaction ends (where
    the database supports row locks), so concurrent sign-ins count failures exactly."""
    query = select(User).where(User.username == username)
    return session.scalar(query.with_for_update() if for_update else query)


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def count_users(*, session: Session) -> int:
    return int(session.scalar(select(func.count(User.id))) or 0)


def grants_of(*, session: Session, user_id: int) -> dict[int, str]:
    """The user's rights by collection id."""
    rows = session.execute(
        select(CollectionGrant.collection_id, CollectionGrant.right).where(
            CollectionGrant.user_id == user_id
        )
    )
    return {collection_id: right for collection_id, right in rows}


def grants_on(*, session: Session, collection_id: int) -> list[tuple[str, str]]:
    """``(username, right)`` of everyone granted a right on the collection, by username."""
    rows = session.execute(
        select(User.username, CollectionGrant.right)
        .join(CollectionGrant, CollectionGrant.user_id == User.id)
        .where(CollectionGrant.collection_id == collection_id)
        .order_by(User.username)
    )
    return [(username, right) for username, right in rows]


def set_grant(*, session: Session, user_id: int, collection_id: int, right: str) -> None:
    """Give the user ``right`` on the collection, replacing any right held before."""
    grant = session.scalar(
        select(CollectionGrant).where(
            CollectionGrant.user_id == user_id, CollectionGrant.collection_id == collection_id
        )
    )
    if grant is None:
        session.add(CollectionGrant(user_id=user_id, collection_id=collection_id, right=right))
    else:
        grant.right = right
    session.flush()


def remove_grant(*, session: Session, user_id: int, collection_id: int) -> bool:
    """Take away the user's right on the collection; ``False`` when there was none."""
    result = session.execute(
        delete(CollectionGrant).where(
            CollectionGrant.user_id == user_id, CollectionGrant.collection_id == collection_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def get_document(*, session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def add_audit_event(
    *,
    session: Session,
    at: datetime,
    username: str,
    action: str,
    collection: str | None,
    detail: str,
) -> None:
    session.add(
        AuditEvent(at=at, username=username, action=action, collection=collection, detail=detail)
    )


def query_audit_events(
    *,
    session: Session,
    username: str | None = None,
    action: str | None = None,
    collection: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[AuditEvent]:
    """Matching events, newest first; ``since`` is inclusive and ``until`` exclusive."""
    query = select(AuditEvent)
    if username is not None:
        query = query.where(AuditEvent.username == username)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if collection is not None:
        query = query.where(AuditEvent.collection == collection)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(query))
