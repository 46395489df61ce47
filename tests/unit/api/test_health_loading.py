"""A server that is still loading its models says so in its health answer, and stops saying
it once they are loaded."""

from __future__ import annotations

from tests.unit.api.conftest import Api


def test_health_says_what_is_still_loading(api: Api) -> None:
    api.assistant.loading = "loading the answer model..."
    response = api.client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "loading": "loading the answer model..."}
    api.assistant.loading = None
    assert api.client.get("/v1/health").json() == {"status": "ok"}
