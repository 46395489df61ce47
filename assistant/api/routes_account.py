"""The caller's own account and API tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from assistant.api.auth import CurrentUser
from assistant.api.errors import error_responses
from assistant.api.params import IdPath
from assistant.api.schemas import IssuedTokenOut, Me, TokenCreate, TokenOut
from assistant.api.services import ServicesDep


def build_router() -> APIRouter:
    router = APIRouter(tags=["account"], responses=error_responses(401))

    @router.get("/me", summary="Who the token belongs to")
    def me(user: CurrentUser) -> Me:
        return Me.model_validate(user.me())

    @router.get("/tokens", summary="The caller's API tokens, revoked and expired ones included")
    def list_tokens(user: CurrentUser, services: ServicesDep) -> list[TokenOut]:
        return [TokenOut.model_validate(t) for t in services.tokens.list_tokens(user.username)]

    @router.post(
        "/tokens",
        status_code=status.HTTP_201_CREATED,
        summary="A new API token for the caller; the token is shown this once only",
        responses=error_responses(400),
    )
    def create_token(body: TokenCreate, user: CurrentUser, services: ServicesDep) -> IssuedTokenOut:
        expires = timedelta(days=body.days) if body.days is not None else None
        issued = services.tokens.create(user.username, name=body.name, expires_in=expires)
        return IssuedTokenOut.model_validate(issued)

    @router.delete(
        "/tokens/{token_id}",
        summary="Revoke one of the caller's tokens",
        responses=error_responses(404),
    )
    def revoke_token(token_id: IdPath, user: CurrentUser, services: ServicesDep) -> TokenOut:
        return TokenOut.model_validate(services.tokens.revoke(user.username, token_id))

    return router
