"""Bearer authentication: one 401 for every way a token can be wrong; JSON errors only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from assistant.api.auth import UNAUTHENTICATED
from assistant.api.errors import INTERNAL
from assistant.service import Assistant
from tests.unit.api.conftest import Api

PROTECTED = [
    ("GET", "/v1/me", None),
    ("GET", "/v1/collections", None),
    ("POST", "/v1/collections", {"name": "new"}),
    ("GET", "/v1/collections/hr/documents", None),
    ("GET", "/v1/documents/1", None),
    ("DELETE", "/v1/collections/hr/documents/salaries.txt", None),
    ("POST", "/v1/search", {"query": "salary"}),
    ("POST", "/v1/ask", {"question": "salary?"}),
    ("GET", "/v1/tokens", None),
    ("POST", "/v1/tokens", {}),
    ("DELETE", "/v1/tokens/1", None),
]


def assert_unauthenticated(api: Api, headers: dict[str, str]) -> None:
    for method, path, body in PROTECTED:
        response = api.client.request(method, path, headers=headers, json=body)
        assert response.status_code == 401, (method, path)
        assert response.json() == {"detail": UNAUTHENTICATED}
        assert response.headers["www-authenticate"] == "Bearer"


def test_health_needs_no_token_and_reports_a_silent_database(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = api.client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}

    def unreachable() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused by db:5432"))

    monkeypatch.setattr(api.assistant.engine, "connect", unreachable)
    response = api.client.get("/v1/health")
    assert response.status_code == 503
    assert response.json() == {"detail": "The database does not answer."}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer da_made-up-token"},
        {"Authorization": "Basic cm9vdDpjb3JyZWN0IGhvcnNlIGJhdHRlcnk="},
        {"Authorization": "correct horse battery"},
    ],
    ids=["none", "empty", "unknown", "basic", "bare"],
)
def test_every_route_but_health_refuses_a_missing_or_unknown_token(
    api: Api, headers: dict[str, str]
) -> None:
    assert_unauthenticated(api, headers)


def test_a_revoked_token_stops_working_at_once(api: Api) -> None:
    assert api.call("GET", "/v1/me", "alice").status_code == 200
    listed = api.call("GET", "/v1/tokens", "alice").json()
    response = api.call("DELETE", f"/v1/tokens/{listed[0]['id']}", "alice")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert_unauthenticated(api, api.headers("alice"))


def test_an_expired_token_stops_working(api: Api) -> None:
    created = api.call("POST", "/v1/tokens", "alice", json={"name": "short", "days": 1})
    assert created.status_code == 201
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert api.client.get("/v1/me", headers=headers).json()["username"] == "alice"
    api.clock.advance(days=1, seconds=1)
    assert_unauthenticated(api, headers)
    assert api.call("GET", "/v1/me", "alice").status_code == 200


def test_a_disabled_account_cannot_use_its_tokens(api: Api) -> None:
    api.accounts.set_disabled("alice", True)
    assert_unauthenticated(api, api.headers("alice"))
    api.accounts.set_disabled("alice", False)
    assert api.call("GET", "/v1/me", "alice").status_code == 200


def test_the_scheme_name_is_case_insensitive(api: Api) -> None:
    headers = {"Authorization": f"bearer {api.token['dave']}"}
    assert api.client.get("/v1/me", headers=headers).json()["username"] == "dave"


def test_unexpected_errors_are_a_bare_500_without_internals(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(Assistant, "search", broken)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    response = client.post("/v1/search", headers=api.headers("root"), json={"query": "salary"})
    assert response.status_code == 500
    assert response.json() == {"detail": INTERNAL}
    assert "secret" not in response.text


def test_validation_errors_are_json_422(api: Api) -> None:
    response = api.call("POST", "/v1/search", "root", json={"query": "", "k": 0, "extra": 1})
    assert response.status_code == 422
    problems = {tuple(d["loc"]) for d in response.json()["detail"]}
    assert {("body", "query"), ("body", "k"), ("body", "extra")} <= problems
    headers = {**api.headers("root"), "Content-Type": "application/json"}
    response = api.client.post("/v1/search", headers=headers, content=b"{not json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_invalid_text_is_refused_not_crashed_on(api: Api) -> None:
    headers = {**api.headers("root"), "Content-Type": "application/json"}
    for path, field in [("/v1/search", "query"), ("/v1/ask", "question")]:
        lone_surrogate = f'{{"{field}": "x\\ud800"}}'.encode()
        response = api.client.post(path, headers=headers, content=lone_surrogate)
        assert response.status_code == 422
        assert response.json()["detail"][0]["type"] == "string_unicode"
    nul = api.call("POST", "/v1/collections", "root", json={"name": "a\x00b"})
    assert nul.status_code == 422
    assert api.call("GET", "/v1/collections/a%00b/documents", "root").status_code == 422


def test_unknown_routes_and_methods_answer_in_json(api: Api) -> None:
    missing = api.client.get("/v1/nothing")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong = api.client.put("/v1/health")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}
