"""The FastAPI application: routes under ``/v1``, bearer tokens, JSON errors.

Building it has no side effects beyond the objects given; the command line opens the real
installation and serves it (``assistant api``).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, HTTPException
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from assistant.accounts import Accounts
from assistant.api import routes_account, routes_answers, routes_collections, routes_documents
from assistant.api.errors import error_responses, install_error_handlers
from assistant.api.plain_errors import PlainErrorsAsJson
from assistant.api.schemas import Health
from assistant.api.services import Services, ServicesDep
from assistant.api_tokens import ApiTokens
from assistant.service import Assistant

log = logging.getLogger(__name__)

JSON_BODY_LIMIT = 1024 * 1024
"""Bodies of every route but uploads: far more than any valid request needs."""


def _health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/health",
        summary="Whether the server and its database answer (no token needed)",
        responses=error_responses(503),
        response_model_exclude_none=True,
    )
    def health(services: ServicesDep) -> Health:
        try:
            with services.assistant.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.error("health check: the database does not answer: %s", exc)
            raise HTTPException(503, "The database does not answer.") from None
        return Health(status="ok", loading=services.assistant.loading)

    return router


def create_app(
    assistant: Assistant, accounts: Accounts, *, tokens: ApiTokens | None = None
) -> FastAPI:
    """The API over ``assistant``, signing callers in with API tokens (by default those stored
    in the assistant's database, recorded in the accounts' audit trail)."""
    app = FastAPI(
        title="Domain assistant",
        summary="Answers questions from your own documents, with citations.",
        version="1",
    )
    app.state.services = Services(
        assistant=assistant,
        accounts=accounts,
        tokens=tokens or ApiTokens(assistant.sessions, audit=accounts.audit),
    )
    install_error_handlers(app)
    app.add_middleware(PlainErrorsAsJson)
    v1 = APIRouter(prefix="/v1", max_body_size=JSON_BODY_LIMIT)
    v1.include_router(_health_router())
    v1.include_router(routes_account.build_router())
    v1.include_router(routes_collections.build_router())
    v1.include_router(routes_documents.build_router(assistant.settings.ingest))
    v1.include_router(routes_answers.build_router())
    app.include_router(v1)
    return app
