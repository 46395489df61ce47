"""Errors as JSON ``{"detail": ...}``. The service's own errors carry messages fit to show and
become 4xx; anything unexpected becomes a bare 500 whose details stay in the server log."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.types import Scope

from assistant.accounts import AccountError
from assistant.api.schemas import ErrorBody
from assistant.generation.base import GeneratorBusy
from assistant.generation.model_files import ModelNotFoundError
from assistant.permissions import PermissionDeniedError
from assistant.storage.faults import StorageUnavailableError, storage_fault
from assistant.storage.repository import NotFoundError

log = logging.getLogger(__name__)

INTERNAL = "Internal server error."
MODEL_MISSING = "The language model is not available on this server."
BUSY_RETRY_AFTER_S = 5
"""Seconds a client refused as one question too many is told to wait (``Retry-After``): about
the time a batch of answers takes to make room."""
_GENERIC_TOO_LARGE = "Content Too Large"
_MB = 1024 * 1024

_DESCRIPTIONS = {
    400: "The request cannot be done as asked.",
    401: "Missing, unknown, expired or revoked API token.",
    403: "The caller's rights do not allow this.",
    404: "No such thing, or one the caller may not read.",
    409: "The name is taken.",
    413: "The request or one of its files is too large.",
    503: "A model or the database is not available, or too many questions are waiting for "
    "an answer (then with Retry-After).",
}


class SafeJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped, so that text echoed from a request (a
    validation error shows the input) renders even when it holds lone surrogates."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer with."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def describe(exc: Exception) -> tuple[int, str]:
    """The status and the message a client gets for an error raised by the service."""
    if isinstance(exc, NotFoundError):
        return 404, str(exc)
    if isinstance(exc, PermissionDeniedError):
        return 403, str(exc)
    if isinstance(exc, AccountError):
        return 400, str(exc)
    if isinstance(exc, GeneratorBusy):
        return 503, str(exc)
    fault = exc if isinstance(exc, StorageUnavailableError) else storage_fault(exc)
    if fault is not None:
        log.error("storage unavailable: %s", fault)
        return 503, str(fault)
    if isinstance(exc, ModelNotFoundError):
        log.error("the generator cannot be loaded: %s", exc)
        return 503, MODEL_MISSING
    log.error("unexpected error while serving a request", exc_info=exc)
    return 500, INTERNAL


async def _service_error(_request: Request, exc: Exception) -> Response:
    status, detail = describe(exc)
    return SafeJSONResponse({"detail": detail}, status_code=status)


async def _busy(_request: Request, exc: Exception) -> Response:
    status, detail = describe(exc)
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
    return SafeJSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        return await _service_error(request, exc)
    return SafeJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


def too_large_detail(scope: Scope) -> str:
    """What a client is told when its request body is over the limit."""
    limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY)
    if not isinstance(limit, int):
        return "The request is larger than this endpoint accepts."
    return f"The request is larger than the {limit / _MB:.1f} MB this endpoint accepts."


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's errors, with the body-size refusal saying what the limit is."""
    if not isinstance(exc, HTTPException):
        return await _service_error(request, exc)
    detail = exc.detail
    if exc.status_code == 413 and detail == _GENERIC_TOO_LARGE:
        detail = too_large_detail(request.scope)
    return SafeJSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    handled: tuple[type[Exception], ...] = (
        NotFoundError,
        PermissionDeniedError,
        AccountError,
        ModelNotFoundError,
        StorageUnavailableError,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        OSError,
    )
    for kind in handled:
        app.add_exception_handler(kind, _service_error)
    app.add_exception_handler(GeneratorBusy, _busy)
    app.add_exception_handler(Exception, _service_error)
