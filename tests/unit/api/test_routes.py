"""Every route of the API doing its job for a caller with the right to it."""

from __future__ import annotations

from assistant.audit import AuditAction, AuditQuery
from assistant.storage.db import transaction
from assistant.storage.models import Document, DocumentStatus
from tests.unit.api.conftest import FINANCE_TEXT, HR_TEXT, Api


def test_me_names_the_tokens_owner(api: Api) -> None:
    response = api.call("GET", "/v1/me", "bob")
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["role"]) == ("bob", "editor")


def test_editors_create_collections_with_unique_names(api: Api) -> None:
    created = api.call("POST", "/v1/collections", "bob", json={"name": "  plans "})
    assert created.status_code == 201
    assert created.json() == {"name": "plans", "right": "editor", "can_grant": True, "documents": 0}
    assert [c["name"] for c in api.call("GET", "/v1/collections", "bob").json()] == [
        "finance",
        "plans",
    ]
    taken = api.call("POST", "/v1/collections", "bob", json={"name": "plans"})
    assert taken.status_code == 409
    # a name taken by a collection bob cannot see is refused in the same words
    hidden = api.call("POST", "/v1/collections", "bob", json={"name": "hr"})
    assert (hidden.status_code, hidden.json()["detail"]) == (
        409,
        taken.json()["detail"].replace("plans", "hr"),
    )
    blank = api.call("POST", "/v1/collections", "bob", json={"name": "   "})
    assert blank.status_code == 400
    assert api.call("POST", "/v1/collections", "dave", json={"name": "x"}).status_code == 403


def test_documents_of_a_collection_and_one_document_with_its_chunks(api: Api) -> None:
    listed = api.call("GET", "/v1/collections/finance/documents", "bob")
    assert listed.status_code == 200
    [doc] = listed.json()
    assert doc["id"] == api.finance_doc
    assert (doc["file_name"], doc["status"], doc["chunks"], doc["version"]) == (
        "budget.txt",
        "ready",
        1,
        1,
    )
    opened = api.call("GET", f"/v1/documents/{api.finance_doc}", "bob")
    assert opened.status_code == 200
    body = opened.json()
    assert body["document"] == doc
    assert [c["text"] for c in body["chunks"]] == [FINANCE_TEXT]
    assert body["chunks"][0]["char_end"] == len(FINANCE_TEXT)
    events = api.accounts.audit.query(AuditQuery(action=AuditAction.OPEN_DOCUMENT))
    assert [(e.username, e.collection, e.detail) for e in events] == [
        ("bob", "finance", "budget.txt")
    ]


def test_deleting_a_document_removes_it_from_listings_and_search(api: Api) -> None:
    deleted = api.call("DELETE", "/v1/collections/finance/documents/budget.txt", "bob")
    assert deleted.status_code == 200
    assert deleted.json() == {
        "collection": "finance",
        "file_name": "budget.txt",
        "chunks_removed": 1,
    }
    assert api.call("GET", "/v1/collections/finance/documents", "bob").json() == []
    hits = api.call("POST", "/v1/search", "bob", json={"query": "Globex", "mode": "bm25"})
    assert hits.json() == {"passages": []}
    again = api.call("DELETE", "/v1/collections/finance/documents/budget.txt", "bob")
    assert again.status_code == 404
    assert "budget.txt" in again.json()["detail"]
    assert api.call("GET", f"/v1/documents/{api.finance_doc}", "bob").status_code == 404


def test_search_returns_ranked_passages_with_their_source(api: Api) -> None:
    response = api.call(
        "POST",
        "/v1/search",
        "root",
        json={"query": "Globex merger", "collections": ["finance", "hr"], "k": 2, "mode": "bm25"},
    )
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert 1 <= len(passages) <= 2
    top = passages[0]
    assert (top["file_name"], top["collection"], top["document_id"]) == (
        "budget.txt",
        "finance",
        api.finance_doc,
    )
    assert top["text"] == FINANCE_TEXT
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    blank = api.call("POST", "/v1/search", "root", json={"query": "   "})
    assert (blank.status_code, blank.json()) == (400, {"detail": "The query is empty."})


def test_ask_returns_cited_sentences_passages_and_timings(api: Api) -> None:
    response = api.call("POST", "/v1/ask", "alice", json={"question": "What is the bonus policy?"})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "What is the bonus policy?"
    assert body["abstained"] is False
    assert body["text"] == "From the passages [1]."
    assert body["sentences"] == [
        {"text": "From the passages.", "citations": [1], "is_abstention": False}
    ]
    [source] = body["passages"]
    assert (source["number"], source["cited"], source["file_name"], source["page"]) == (
        1,
        True,
        "salaries.txt",
        None,
    )
    assert source["document_id"] == api.hr_doc
    assert source["text"] == HR_TEXT
    assert set(body["timings"]) == {
        "retrieval_s",
        "first_token_s",
        "generation_s",
        "total_s",
        "tokens_per_s",
    }
    assert body["timings"]["total_s"] >= body["timings"]["retrieval_s"] >= 0
    events = api.accounts.audit.query(AuditQuery(action=AuditAction.ASK))
    assert [(e.username, e.collection) for e in events] == [("alice", "hr")]
    blank = api.call("POST", "/v1/ask", "alice", json={"question": " \n "})
    assert blank.status_code == 400


def test_callers_manage_their_own_tokens_only(api: Api) -> None:
    created = api.call("POST", "/v1/tokens", "dave", json={"name": "script", "days": 30})
    assert created.status_code == 201
    issued = created.json()
    secret = issued["token"]
    assert issued["info"]["name"] == "script"
    assert issued["info"]["prefix"] == secret[: len(issued["info"]["prefix"])]
    assert issued["info"]["expires_at"] is not None
    own = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/v1/me", headers=own).json()["username"] == "dave"

    listed = api.call("GET", "/v1/tokens", "dave")
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()] == ["script", ""]
    assert secret not in listed.text

    token_id = issued["info"]["id"]
    assert api.call("DELETE", f"/v1/tokens/{token_id}", "alice").status_code == 404
    assert api.client.get("/v1/me", headers=own).status_code == 200
    revoked = api.call("DELETE", f"/v1/tokens/{token_id}", "dave")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert api.client.get("/v1/me", headers=own).status_code == 401
    assert api.call("DELETE", "/v1/tokens/999999", "dave").status_code == 404
    actions = [e.action for e in api.accounts.audit.query(AuditQuery(username="dave"))]
    assert AuditAction.TOKEN_CREATED in actions
    assert AuditAction.TOKEN_REVOKED in actions


def test_the_schema_documents_every_route_under_v1(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/v1/health",
        "/v1/me",
        "/v1/collections",
        "/v1/collections/{name}/documents",
        "/v1/collections/{name}/documents/{file_name}",
        "/v1/documents/{document_id}",
        "/v1/documents/{document_id}/pages/{page}.png",
        "/v1/search",
        "/v1/ask",
        "/v1/tokens",
        "/v1/tokens/{token_id}",
    }
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    ask = schema["paths"]["/v1/ask"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "application/x-ndjson", "text/event-stream"} <= set(ask)
    assert api.client.get("/docs").status_code == 200


def test_a_document_not_searchable_yet_is_listed_as_indexing(api: Api) -> None:
    with transaction(api.assistant.sessions) as session:  # as a running ingestion leaves it
        doc = session.get(Document, api.finance_doc)
        assert doc is not None
        doc.status = DocumentStatus.INDEXING

    opened = api.call("GET", f"/v1/documents/{api.finance_doc}", "bob").json()
    assert opened["document"]["status"] == "indexing"
    [listed] = api.call("GET", "/v1/collections/finance/documents", "bob").json()
    assert listed["status"] == "indexing"

    api.assistant.check(repair=True)  # the saved index holds its chunks
    [listed] = api.call("GET", "/v1/collections/finance/documents", "bob").json()
    assert listed["status"] == "ready"
