"""Naming a collection on search and ask: one the caller cannot read, or that does not exist,
is answered 404 before anything is searched or generated, streamed or not."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.audit import AuditAction, AuditQuery
from tests.unit.api.conftest import Api

ASK = {"question": "What is the bonus policy?"}
SEARCH = {"query": "bonus policy"}

REQUESTS: dict[str, tuple[str, dict[str, Any], dict[str, str]]] = {
    "search": ("/v1/search", SEARCH, {}),
    "ask": ("/v1/ask", ASK, {}),
    "ask streamed as NDJSON": ("/v1/ask", {**ASK, "stream": True}, {}),
    "ask streamed as events": (
        "/v1/ask",
        {**ASK, "stream": True},
        {"Accept": "text/event-stream"},
    ),
}


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
@pytest.mark.parametrize("named", [["nope"], ["hr", "nope"], ["finance"], ["hr", " finance "]])
def test_a_named_collection_that_cannot_be_read_is_not_found(
    api: Api, request_: tuple[str, dict[str, Any], dict[str, str]], named: list[str]
) -> None:
    path, body, extra = request_
    headers = {**api.headers("alice"), **extra}
    response = api.client.post(path, headers=headers, json={**body, "collections": named})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    unreadable = "nope" if "nope" in named else "finance"
    assert response.json() == {"detail": f"no collection named {unreadable!r}"}


@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
def test_readable_collections_named_once_or_twice_are_used(
    api: Api, request_: tuple[str, dict[str, Any], dict[str, str]]
) -> None:
    path, body, extra = request_
    headers = {**api.headers("alice"), **extra}
    response = api.client.post(path, headers=headers, json={**body, "collections": ["hr", "hr "]})
    assert response.status_code == 200
    assert "salaries.txt" in response.text


def test_a_refused_name_is_audited_as_denied(api: Api) -> None:
    api.call("POST", "/v1/ask", "alice", json={**ASK, "collections": ["finance"], "stream": True})
    denied = api.accounts.audit.query(AuditQuery(action=AuditAction.DENIED.value))
    assert [(e.username, e.collection) for e in denied] == [("alice", "finance")]
