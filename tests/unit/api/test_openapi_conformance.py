"""Property-based requests generated from the API's own OpenAPI schema: no request, however odd,
may cause a server error, and every response must be one the schema documents.

The schema is loaded from a live installation built for the module, and each operation runs
its own bounded Hypothesis search inside a test, rather than through the pytest plugin, whose
lazily loaded schemas this pytest version does not support.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.schemas import APIOperation

from tests.unit.api.conftest import Api, build_api

pytestmark = pytest.mark.reliability(
    "hostile input",
    "requests generated from the OpenAPI schema: no server error, answers as documented",
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 15
OPERATIONS = [
    ("GET", "/v1/health"),
    ("GET", "/v1/me"),
    ("GET", "/v1/collections"),
    ("POST", "/v1/collections"),
    ("GET", "/v1/collections/{name}/documents"),
    ("POST", "/v1/collections/{name}/documents"),
    ("DELETE", "/v1/collections/{name}/documents/{file_name}"),
    ("GET", "/v1/documents/{document_id}"),
    ("GET", "/v1/documents/{document_id}/pages/{page}.png"),
    ("POST", "/v1/search"),
    ("POST", "/v1/ask"),
    ("GET", "/v1/tokens"),
    ("POST", "/v1/tokens"),
    ("DELETE", "/v1/tokens/{token_id}"),
]


WITHOUT_INPUT = {
    ("GET", "/v1/health"),
    ("GET", "/v1/me"),
    ("GET", "/v1/collections"),
    ("GET", "/v1/tokens"),
}
"""Operations no request can get wrong, so there are no invalid ones to generate."""
CASES = [
    pytest.param(method, path, mode, id=f"{mode.value} {method} {path}")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for method, path in OPERATIONS
    if mode == GenerationMode.POSITIVE or (method, path) not in WITHOUT_INPUT
]


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # no answer check: module fixtures are set up before the unit tests turn it off by default
    api = build_api(tmp_path_factory.mktemp("api"), guards=())
    yield api
    api.client.close()
    api.assistant.engine.dispose()


@pytest.fixture(scope="module")
def operations(installation: Api) -> dict[tuple[str, str], APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", installation.client.app)
    found: dict[tuple[str, str], APIOperation] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            pytest.fail(f"the schema has an invalid operation: {result.err()}")
        operation = result.ok()
        found[operation.method.upper(), operation.path] = operation
    return found


@pytest.fixture
def headers(installation: Api) -> dict[str, str]:
    """A fresh administrator token: an earlier test may have revoked the last one."""
    return {"Authorization": f"Bearer {installation.tokens.create('root').token}"}


def test_every_operation_of_the_schema_is_exercised(
    operations: dict[tuple[str, str], APIOperation],
) -> None:
    assert set(operations) == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_generated_requests_get_documented_responses(
    operations: dict[tuple[str, str], APIOperation],
    headers: dict[str, str],
    method: str,
    path: str,
    mode: GenerationMode,
    data: st.DataObject,
) -> None:
    case = data.draw(operations[method, path].as_strategy(generation_mode=mode))
    case.call_and_validate(headers=headers, checks=CHECKS)
