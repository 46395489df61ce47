"""Bearer-token authentication: every route but the health check acts as the token's owner.

A missing, unknown, revoked or expired token, or one of a disabled account, gets the same
401; the token itself is never logged or echoed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.services import ServicesDep
from assistant.scoped import ScopedAssistant

UNAUTHENTICATED = "Missing, unknown, expired or revoked API token."

bearer = HTTPBearer(
    auto_error=False,
    description="An API token, made with `assistant token create` or `POST /v1/tokens`.",
)


def unauthenticated() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=UNAUTHENTICATED,
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_user(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> ScopedAssistant:
    """The service as the token's owner sees it."""
    if credentials is None:
        raise unauthenticated()
    username = services.tokens.resolve(credentials.credentials)
    if username is None:
        raise unauthenticated()
    return ScopedAssistant(services.assistant, services.accounts, username)


CurrentUser = Annotated[ScopedAssistant, Depends(current_user)]
