"""An access sweep over every route the application serves, found from ``app.routes``.

Each route is called anonymously, with a revoked token, with an expired token and as a reader
of another collection. A route added later is swept as soon as it has a sample request below;
until then the sweep fails and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx2 import Response

from assistant.api.auth import UNAUTHENTICATED
from tests.unit.api.conftest import Api, build_api
from tests.unit.api.test_isolation import seen

pytestmark = pytest.mark.reliability(
    "access control",
    "every API route: anonymous, revoked token, expired token, reader of another collection",
)

GHOST_ID = 10**6
SECRET = "secret"
SECRET_FILE = "quillfeather-dossier.txt"
SECRET_TEXT = "The zephyrine vault protocol moves the obsidian ledger every thursday at dawn."
PLANTED = (SECRET_FILE, "quillfeather", "zephyrine", "obsidian ledger", "vault protocol")
"""Strings that appear only in the secret collection's document and its names."""

PUBLIC = {
    ("GET", "/v1/health"): "liveness probe for load balancers; says nothing about the data",
    ("GET", "/openapi.json"): "the API description is public, like the documentation pages",
    ("GET", "/docs"): "interactive documentation page, static apart from the API description",
    ("GET", "/docs/oauth2-redirect"): "static helper page of the interactive documentation",
    ("GET", "/redoc"): "reference documentation page, static apart from the API description",
}
"""Routes that answer without a token, each with the reason it may."""


@dataclass(frozen=True)
class Target:
    """What a request points at: a collection, one of its documents and that file's name."""

    collection: str
    document_id: int
    file_name: str


@dataclass(frozen=True)
class Call:
    """One request, without its credentials."""

    method: str
    path: str
    json: Any = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None

    def send(self, api: Api, headers: dict[str, str]) -> Response:
        return api.client.request(
            self.method, self.path, headers=headers, json=self.json, files=self.files
        )


@dataclass(frozen=True)
class Sample:
    """The requests that exercise one route against ``target``.

    ``scoped`` routes take a collection, document or file name and must answer 404 for one the
    caller cannot read; the others must merely never mention it.
    """

    calls: Callable[[Target], list[Call]]
    scoped: bool = False


def _upload(t: Target) -> list[Call]:
    memo = ("files", ("memo.txt", b"A memo about nothing in particular.", "text/plain"))
    return [Call("POST", f"/v1/collections/{t.collection}/documents", files=[memo])]


def _search(t: Target) -> list[Call]:
    return [
        Call("POST", "/v1/search", {"query": "zephyrine vault obsidian ledger", "k": 50}),
        Call("POST", "/v1/search", {"query": "zephyrine", "mode": "bm25", "k": 50}),
        Call("POST", "/v1/search", {"query": "vault ledger", "collections": [t.collection]}),
    ]


def _ask(t: Target) -> list[Call]:
    question = "When is the vault ledger moved every thursday at dawn?"
    return [
        Call("POST", "/v1/ask", {"question": question}),
        Call("POST", "/v1/ask", {"question": question, "stream": True}),
        Call("POST", "/v1/ask", {"question": question, "collections": [t.collection]}),
        Call(
            "POST",
            "/v1/ask",
            {"question": question, "collections": [t.collection], "stream": True},
        ),
    ]


SAMPLES: dict[tuple[str, str], Sample] = {
    ("GET", "/v1/health"): Sample(lambda t: [Call("GET", "/v1/health")]),
    ("GET", "/openapi.json"): Sample(lambda t: [Call("GET", "/openapi.json")]),
    ("GET", "/docs"): Sample(lambda t: [Call("GET", "/docs")]),
    ("GET", "/docs/oauth2-redirect"): Sample(lambda t: [Call("GET", "/docs/oauth2-redirect")]),
    ("GET", "/redoc"): Sample(lambda t: [Call("GET", "/redoc")]),
    ("GET", "/v1/me"): Sample(lambda t: [Call("GET", "/v1/me")]),
    ("GET", "/v1/tokens"): Sample(lambda t: [Call("GET", "/v1/tokens")]),
    ("POST", "/v1/tokens"): Sample(lambda t: [Call("POST", "/v1/tokens", {"name": "sweep"})]),
    ("DELETE", "/v1/tokens/{token_id}"): Sample(
        lambda t: [Call("DELETE", f"/v1/tokens/{GHOST_ID}")]
    ),
    ("GET", "/v1/collections"): Sample(lambda t: [Call("GET", "/v1/collections")]),
    ("POST", "/v1/collections"): Sample(
        lambda t: [Call("POST", "/v1/collections", {"name": t.collection})]
    ),
    ("GET", "/v1/collections/{name}/documents"): Sample(
        lambda t: [Call("GET", f"/v1/collections/{t.collection}/documents")], scoped=True
    ),
    ("POST", "/v1/collections/{name}/documents"): Sample(_upload, scoped=True),
    ("GET", "/v1/documents/{document_id}"): Sample(
        lambda t: [Call("GET", f"/v1/documents/{t.document_id}")], scoped=True
    ),
    ("GET", "/v1/documents/{document_id}/pages/{page}.png"): Sample(
        lambda t: [Call("GET", f"/v1/documents/{t.document_id}/pages/1.png")], scoped=True
    ),
    ("DELETE", "/v1/collections/{name}/documents/{file_name}"): Sample(
        lambda t: [Call("DELETE", f"/v1/collections/{t.collection}/documents/{t.file_name}")],
        scoped=True,
    ),
    ("POST", "/v1/search"): Sample(_search),
    ("POST", "/v1/ask"): Sample(_ask),
}
"""A sample request for every route; a route missing here fails the sweep."""


@dataclass
class Sweep:
    """The installation, with a ``secret`` collection that alice (reader of hr) cannot read."""

    api: Api
    secret: Target
    readable: Target
    failures: list[str] = field(default_factory=list)

    def routes(self) -> list[tuple[str, str]]:
        """Every method and path the application serves (HEAD aside, which mirrors GET)."""
        app: FastAPI = self.api.client.app  # type: ignore[assignment]
        found: list[tuple[str, str]] = []
        for route in iter_route_contexts(app.routes):
            if route.path is not None:
                methods = sorted((route.methods or set()) - {"HEAD"})
                found.extend((method, route.path) for method in methods)
        return found

    def samples(self) -> Iterator[tuple[tuple[str, str], Sample]]:
        for key in self.routes():
            sample = SAMPLES.get(key)
            if sample is None:
                method, path = key
                pytest.fail(
                    f"{method} {path} has no sample request: add one to SAMPLES in "
                    f"{Path(__file__).name} (and to PUBLIC, with a reason, if it needs no token)"
                )
            yield key, sample

    def expect(self, condition: bool, what: str) -> None:
        if not condition:
            self.failures.append(what)

    def documents_as_root(self) -> list[tuple[str, str]]:
        return sorted((d.collection, d.file_name) for d in self.api.assistant.documents())


@pytest.fixture
def sweep(tmp_path: Path, database_url: str) -> Iterator[Sweep]:
    api = build_api(tmp_path, database_url)
    report = api.assistant.ingest([api.file(SECRET_FILE, SECRET_TEXT)], collection=SECRET)
    secret = Target(SECRET, report.results[0].document_id or 0, SECRET_FILE)
    yield Sweep(api, secret, Target("hr", api.hr_doc, "salaries.txt"))
    api.client.close()
    api.assistant.engine.dispose()


def _refused_everywhere(sweep: Sweep, headers: dict[str, str], who: str) -> None:
    before = sweep.documents_as_root()
    for (method, path), sample in sweep.samples():
        for call in sample.calls(sweep.readable):
            response = call.send(sweep.api, headers)
            where = f"{who}: {call.method} {call.path} {call.json!r}"
            if (method, path) in PUBLIC:
                sweep.expect(response.status_code == 200, f"{where} -> {response.status_code}")
                continue
            sweep.expect(response.status_code == 401, f"{where} -> {response.status_code}")
            sweep.expect(
                response.headers.get("content-type", "").startswith("application/json")
                and response.json() == {"detail": UNAUTHENTICATED},
                f"{where}: body {response.text[:200]!r}",
            )
            sweep.expect(
                response.headers.get("www-authenticate") == "Bearer",
                f"{where}: no WWW-Authenticate challenge",
            )
    sweep.expect(sweep.documents_as_root() == before, f"{who}: the documents changed")
    assert not sweep.failures, "\n".join(sweep.failures)


def test_the_sweep_knows_every_route_and_only_those(sweep: Sweep) -> None:
    served = set(sweep.routes())
    assert set(SAMPLES) == served, (
        f"routes without a sample: {sorted(served - set(SAMPLES))}; "
        f"samples without a route: {sorted(set(SAMPLES) - served)}"
    )
    assert set(PUBLIC) <= served
    assert ("POST", "/v1/ask") in served


def test_anonymous_callers_reach_only_the_public_routes(sweep: Sweep) -> None:
    _refused_everywhere(sweep, {}, "anonymous")


def test_a_revoked_token_is_refused_everywhere(sweep: Sweep) -> None:
    api = sweep.api
    issued = api.tokens.create("root", name="soon revoked")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert api.client.get("/v1/me", headers=headers).status_code == 200
    api.tokens.revoke("root", issued.info.id)
    _refused_everywhere(sweep, headers, "revoked")


def test_an_expired_token_is_refused_everywhere(sweep: Sweep) -> None:
    api = sweep.api
    issued = api.tokens.create("root", name="short", expires_in=timedelta(days=1))
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert api.client.get("/v1/me", headers=headers).status_code == 200
    api.clock.advance(days=1, seconds=1)
    _refused_everywhere(sweep, headers, "expired")


def _as_missing(response: Response, secret: Target) -> str:
    """What the caller learns, with the secret names swapped for those of missing things."""
    return (
        repr(seen(response))
        .replace(f"'{SECRET}'", "'ghost'")
        .replace(f'"{SECRET}"', '"ghost"')
        .replace(f"/{SECRET}/", "/ghost/")
        .replace(f"id {secret.document_id}", f"id {GHOST_ID}")
        .replace(secret.file_name, "missing.txt")
    )


def _names_the_secret(call: Call, sample: Sample) -> bool:
    return sample.scoped or (isinstance(call.json, dict) and "collections" in call.json)


def test_a_reader_of_another_collection_learns_nothing_of_the_secret_one(sweep: Sweep) -> None:
    api = sweep.api
    ghost = Target("ghost", GHOST_ID, "missing.txt")
    before = sweep.documents_as_root()
    for (method, path), sample in sweep.samples():
        for call, ghost_call in zip(sample.calls(sweep.secret), sample.calls(ghost), strict=True):
            hidden = call.send(api, api.headers("alice"))
            where = f"alice: {call.method} {call.path} {call.json!r}"
            text = hidden.text
            if _names_the_secret(call, sample) or (method, path) == ("POST", "/v1/collections"):
                missing = ghost_call.send(api, api.headers("alice"))
                sweep.expect(
                    _as_missing(hidden, sweep.secret) == repr(seen(missing)),
                    f"{where}: unlike a missing one: {text[:200]!r} vs {missing.text[:200]!r}",
                )
                # the caller gave the name, so an answer may say it back; nothing else may
                text = text.replace(f"'{SECRET}'", "").replace(f'"{SECRET}"', "")
                text = text.replace(f"/{SECRET}/", "/")
            if sample.scoped:
                sweep.expect(hidden.status_code == 404, f"{where} -> {hidden.status_code}")
            leaked = [s for s in (*PLANTED, f'"{SECRET}"', f"'{SECRET}'") if s in text]
            sweep.expect(not leaked, f"{where}: shows {leaked} in {text[:300]!r}")
    listed = api.call("GET", "/v1/collections", "alice").json()
    sweep.expect([c["name"] for c in listed] == ["hr"], f"alice lists {listed!r}")
    sweep.expect(sweep.documents_as_root() == before, "alice changed the documents")
    assert not sweep.failures, "\n".join(sweep.failures)
