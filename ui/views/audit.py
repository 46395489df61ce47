"""Audit log (administrators): who did what and when, filtered, and downloadable as CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from assistant.audit import AuditAction, AuditEntry, AuditQuery, audit_csv
from assistant.scoped import ScopedAssistant
from ui.feedback import USER_ERRORS, show_error
from ui.session import require_user

ANY = "(any)"
DEFAULT_DAYS = 7


def day_window(chosen: object) -> tuple[datetime | None, datetime | None]:
    """The UTC instants bounding the chosen days: from the first day's start to the day after
    the last (a single chosen day is a one-day window)."""
    days = [d for d in (chosen if isinstance(chosen, tuple | list) else (chosen,)) if d]
    if not days or not all(isinstance(d, date) for d in days):
        return None, None
    first, last = min(days), max(days)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    return since, datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)


def entry_rows(entries: list[AuditEntry]) -> list[dict[str, str]]:
    return [
        {
            "time (UTC)": e.at.strftime("%Y-%m-%d %H:%M:%S"),
            "user": e.username,
            "action": e.action,
            "collection": e.collection or "",
            "detail": e.detail,
        }
        for e in entries
    ]


def render(admin: ScopedAssistant) -> None:
    st.title("Audit log")
    first, second, third = st.columns(3)
    username = first.text_input("User", key="audit_user").strip().lower()
    action = second.selectbox("Action", [ANY, *(a.value for a in AuditAction)], key="audit_action")
    collection = third.text_input("Collection", key="audit_collection").strip()
    today = datetime.now(UTC).date()
    chosen = first.date_input(
        "Days (UTC)", value=(today - timedelta(days=DEFAULT_DAYS - 1), today), key="audit_days"
    )
    limit = int(second.number_input("At most", 1, 100_000, 1000, step=100, key="audit_limit"))
    since, until = day_window(chosen)
    query = AuditQuery(
        username=username or None,
        action=None if action in (None, ANY) else action,
        collection=collection or None,
        since=since,
        until=until,
        limit=limit,
    )
    try:
        entries = admin.audit_events(query)
    except USER_ERRORS as exc:
        show_error(exc)
        return
    st.caption(f"{len(entries)} events, newest first.")
    st.dataframe(entry_rows(entries), hide_index=True)
    st.download_button(
        "Download CSV",
        data=audit_csv(entries),
        file_name="audit-log.csv",
        mime="text/csv",
        key="audit_csv",
    )


if __name__ == "__main__":
    render(require_user())
