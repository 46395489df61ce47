"""The audit trail: recording, filtered queries on each database, and CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from assistant.audit import (
    MAX_DETAIL_CHARS,
    AuditAction,
    AuditEntry,
    AuditLog,
    AuditQuery,
    audit_csv,
)
from assistant.service import Assistant
from tests.unit.assistant.access_fakes import FakeClock, make_assistant


@pytest.fixture
def assistant(tmp_path: Path, database_url: str) -> Iterator[Assistant]:
    service = make_assistant(tmp_path / "data", database_url)
    yield service
    service.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def audit(assistant: Assistant, clock: FakeClock) -> AuditLog:
    log = AuditLog(assistant.sessions, clock=clock)
    for username, action, collection in [
        ("alice", AuditAction.LOGIN, None),
        ("alice", AuditAction.SEARCH, "hr"),
        ("bob", AuditAction.UPLOAD, "finance"),
        ("bob", AuditAction.DELETE, "finance"),
        ("alice", AuditAction.SEARCH, "finance"),
    ]:
        log.record(username, action, collection=collection, detail=f"{username} {action}")
        clock.advance(hours=1)
    return log


def test_events_come_back_newest_first_with_utc_times(audit: AuditLog) -> None:
    events = audit.query(AuditQuery())
    assert [e.action for e in events] == ["search", "delete", "upload", "search", "login"]
    assert events[0].at == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert events[-1].collection is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (AuditQuery(username="alice"), ["search", "search", "login"]),
        (AuditQuery(action="search"), ["search", "search"]),
        (AuditQuery(collection="finance"), ["search", "delete", "upload"]),
        (AuditQuery(username="bob", action="delete"), ["delete"]),
        (AuditQuery(limit=2), ["search", "delete"]),
        (AuditQuery(username="nobody"), []),
    ],
)
def test_filters_combine(audit: AuditLog, query: AuditQuery, expected: list[str]) -> None:
    assert [e.action for e in audit.query(query)] == expected


def test_time_window_includes_its_start_and_excludes_its_end(audit: AuditLog) -> None:
    since = datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    until = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    events = audit.query(AuditQuery(since=since, until=until))
    assert [e.at.hour for e in events] == [14, 13]
    # the same instants written in another time zone select the same events
    paris = timezone(timedelta(hours=1))
    shifted = AuditQuery(since=since.astimezone(paris), until=until.astimezone(paris))
    assert audit.query(shifted) == events


def test_long_details_are_cut_and_a_bad_limit_is_refused(
    assistant: Assistant, clock: FakeClock
) -> None:
    log = AuditLog(assistant.sessions, clock=clock)
    log.record("alice", AuditAction.SEARCH, detail="x" * (MAX_DETAIL_CHARS + 50))
    assert len(log.query(AuditQuery())[0].detail) == MAX_DETAIL_CHARS
    with pytest.raises(ValueError, match="limit"):
        log.query(AuditQuery(limit=0))


def test_csv_export_has_a_header_and_neutralises_formulas() -> None:
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    entries = [
        AuditEntry(at, "alice", "upload", "hr", '=HYPERLINK("http://x")'),
        AuditEntry(at, "bob", "login", None, "plain, with comma"),
    ]
    rows = list(csv.reader(io.StringIO(audit_csv(entries))))
    assert rows[0] == ["at", "username", "action", "collection", "detail"]
    assert rows[1] == [
        "2026-03-01T12:00:00+00:00",
        "alice",
        "upload",
        "hr",
        '\'=HYPERLINK("http://x")',
    ]
    assert rows[2] == ["2026-03-01T12:00:00+00:00", "bob", "login", "", "plain, with comma"]
