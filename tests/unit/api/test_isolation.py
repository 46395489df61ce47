"""A collection the caller may not read is, over HTTP, exactly a collection that does not exist:
same status, same body, and none of its names, counts or passages anywhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from httpx2 import Response

from tests.unit.api.conftest import SECRETS, Api

pytestmark = pytest.mark.reliability(
    "access control", "API: a collection one may not read looks exactly like a missing one"
)

GHOST_ID = 10**6

Probe = Callable[[Api, str, str, int], Response]

PROBES: dict[str, Probe] = {
    "documents": lambda a, u, c, d: a.call("GET", f"/v1/collections/{c}/documents", u),
    "open document": lambda a, u, c, d: a.call("GET", f"/v1/documents/{d}", u),
    "search": lambda a, u, c, d: a.call(
        "POST", "/v1/search", u, json={"query": "secret merger budget", "collections": [c]}
    ),
    "search bm25": lambda a, u, c, d: a.call(
        "POST", "/v1/search", u, json={"query": "Globex", "collections": [c], "mode": "bm25"}
    ),
    "ask": lambda a, u, c, d: a.call(
        "POST", "/v1/ask", u, json={"question": "What does the deal cost?", "collections": [c]}
    ),
    "ask streamed": lambda a, u, c, d: a.call(
        "POST",
        "/v1/ask",
        u,
        json={"question": "What does the deal cost?", "collections": [c], "stream": True},
    ),
    "upload": lambda a, u, c, d: a.call(
        "POST",
        f"/v1/collections/{c}/documents",
        u,
        files=[("files", ("memo.txt", b"A memo about nothing much at all.", "text/plain"))],
    ),
    "delete": lambda a, u, c, d: a.call("DELETE", f"/v1/collections/{c}/documents/budget.txt", u),
}


def _without_timings(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without_timings(v) for k, v in body.items() if k != "timings"}
    if isinstance(body, list):
        return [_without_timings(v) for v in body]
    return body


def seen(response: Response) -> tuple[int, str, Any]:
    """What a caller learns from a response, less the timings that vary from call to call."""
    kind = response.headers["content-type"]
    if kind.startswith("application/json"):
        return response.status_code, kind, _without_timings(response.json())
    lines = [line for line in response.text.splitlines() if '"timings"' not in line]
    return response.status_code, kind, lines


@pytest.mark.parametrize("probe", PROBES.values(), ids=PROBES.keys())
def test_a_hidden_collection_answers_like_a_missing_one(api: Api, probe: Probe) -> None:
    for user in ("alice", "dave"):
        hidden = probe(api, user, "finance", api.finance_doc)
        missing = probe(api, user, "ghost", GHOST_ID)
        assert hidden.status_code in (200, 404)
        normalised = (
            repr(seen(hidden))
            .replace("finance", "ghost")
            .replace(f"id {api.finance_doc}", f"id {GHOST_ID}")
        )
        assert normalised == repr(seen(missing)), user
        leaked = hidden.text.replace('"finance"', "").replace("'finance'", "")
        assert not any(secret in leaked for secret in SECRETS if secret != "finance")


def test_listings_show_only_readable_collections_and_their_counts(api: Api) -> None:
    alice = api.call("GET", "/v1/collections", "alice")
    assert alice.json() == [{"name": "hr", "right": "viewer", "can_grant": False, "documents": 1}]
    dave = api.call("GET", "/v1/collections", "dave")
    assert dave.json() == []
    bob = api.call("GET", "/v1/collections", "bob").json()
    assert [(c["name"], c["right"], c["documents"]) for c in bob] == [("finance", "editor", 1)]


def test_open_searches_and_answers_use_readable_passages_only(api: Api) -> None:
    for user in ("alice", "dave"):
        body = {"query": "Globex merger budget policy", "k": 50}
        response = api.call("POST", "/v1/search", user, json=body)
        assert not any(s in response.text for s in SECRETS)
        answer = api.call("POST", "/v1/ask", user, json={"question": "What does the deal cost?"})
        assert not any(s in answer.text for s in SECRETS)
    hits = api.call("POST", "/v1/search", "alice", json={"query": "policy", "k": 50}).json()
    assert {p["file_name"] for p in hits["passages"]} == {"salaries.txt"}
    nothing = api.call("POST", "/v1/ask", "dave", json={"question": "What is the policy?"}).json()
    assert nothing["abstained"] is True
    assert nothing["passages"] == []


def test_readers_may_not_change_what_they_can_read(api: Api) -> None:
    upload = api.call(
        "POST",
        "/v1/collections/hr/documents",
        "alice",
        files=[("files", ("memo.txt", b"A memo about the bonus policy.", "text/plain"))],
    )
    assert upload.status_code == 403
    assert upload.json() == {"detail": "You may not change the documents of 'hr'."}
    delete = api.call("DELETE", "/v1/collections/hr/documents/salaries.txt", "alice")
    assert delete.status_code == 403
    create = api.call("POST", "/v1/collections", "alice", json={"name": "mine"})
    assert create.status_code == 403
    listed = api.call("GET", "/v1/collections/hr/documents", "alice").json()
    assert [d["file_name"] for d in listed] == ["salaries.txt"]
