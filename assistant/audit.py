"""The audit trail: who signed in, searched, read, uploaded, deleted or granted what, and when.

Events are written in their own short transaction, so a recorded attempt survives even when
the action it describes fails afterwards.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from assistant.storage import access_repository as access_repo
from assistant.storage.db import transaction
from assistant.storage.models import utcnow

Clock = Callable[[], datetime]

MAX_DETAIL_CHARS = 2000
CSV_COLUMNS = ("at", "username", "action", "collection", "detail")
# A spreadsheet runs a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    ASK = "ask"
    SEARCH = "search"
    OPEN_DOCUMENT = "open_document"
    VIEW_PAGE = "view_page"
    UPLOAD = "upload"
    DELETE = "delete"
    REINDEX = "reindex"
    CHECK_INDEXES = "check_indexes"
    CREATE_COLLECTION = "create_collection"
    GRANT = "grant"
    REVOKE = "revoke"
    USER_CREATED = "user_created"
    USER_DISABLED = "user_disabled"
    USER_ENABLED = "user_enabled"
    ROLE_CHANGED = "role_changed"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGED = "password_changed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    DENIED = "denied"


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    username: str
    action: str
    collection: str | None
    detail: str


@dataclass(frozen=True)
class AuditQuery:
    """Filters of an audit search; ``None`` means any. ``since`` is inclusive, ``until``
    exclusive; naive datetimes are taken as UTC."""

    username: str | None = None
    action: str | None = None
    collection: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive value (as SQLite returns it) is already UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _db_time(moment: datetime | None) -> datetime | None:
    return None if moment is None else as_utc(moment)


class AuditLog:
    """Appends events and answers filtered queries over them."""

    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(
        self,
        username: str,
        action: AuditAction,
        *,
        collection: str | None = None,
        detail: str = "",
    ) -> None:
        with transaction(self._sessions) as session:
            access_repo.add_audit_event(
                session=session,
                at=as_utc(self._clock()),
                username=username,
                action=action.value,
                collection=collection,
                detail=detail[:MAX_DETAIL_CHARS],
            )

    def query(self, query: AuditQuery) -> list[AuditEntry]:
        """Matching events, newest first, at most ``query.limit`` of them."""
        if query.limit <= 0:
            raise ValueError("the limit must be positive")
        with self._sessions() as session:
            rows = access_repo.query_audit_events(
                session=session,
                username=query.username,
                action=query.action,
                collection=query.collection,
                since=_db_time(query.since),
                until=_db_time(query.until),
                limit=query.limit,
            )
            return [
                AuditEntry(as_utc(r.at), r.username, r.action, r.collection, r.detail) for r in rows
            ]


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: names and details come from users and documents."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """The entries as CSV with a header row; times in ISO 8601 UTC."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            [
                e.at.isoformat(),
                _cell(e.username),
                e.action,
                _cell(e.collection or ""),
                _cell(e.detail),
            ]
        )
    return out.getvalue()
