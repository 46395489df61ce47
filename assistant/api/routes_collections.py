"""Collections: list the readable ones, create one, list a collection's documents.

A collection the caller may not read is answered exactly like a missing one (404).
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, HTTPException, status

from assistant.api.auth import CurrentUser
from assistant.api.errors import error_responses
from assistant.api.params import CollectionPath
from assistant.api.schemas import CollectionCreate, CollectionOut, DocumentOut
from assistant.storage.models import Right
from assistant.storage.repository import NotFoundError


def build_router() -> APIRouter:
    router = APIRouter(tags=["collections"], responses=error_responses(401))

    @router.get("/collections", summary="The collections the caller can read")
    def list_collections(user: CurrentUser) -> list[CollectionOut]:
        counts = Counter(d.collection for d in user.documents())
        return [
            CollectionOut(
                name=c.name, right=c.right, can_grant=c.can_grant, documents=counts[c.name]
            )
            for c in user.collections()
        ]

    @router.post(
        "/collections",
        status_code=status.HTTP_201_CREATED,
        summary="Create a collection (editors and administrators)",
        responses=error_responses(400, 403, 409),
    )
    def create_collection(body: CollectionCreate, user: CurrentUser) -> CollectionOut:
        name = body.name.strip()
        if not name:
            raise HTTPException(400, "A collection name needs a visible character.")
        try:
            user.create_collection(name)
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from exc
        # its creator is its editor (an administrator edits every collection anyway)
        return CollectionOut(name=name, right=Right.EDITOR, can_grant=True, documents=0)

    @router.get(
        "/collections/{name}/documents",
        summary="The documents of a collection",
        responses=error_responses(404),
    )
    def list_documents(name: CollectionPath, user: CurrentUser) -> list[DocumentOut]:
        clean = name.strip()
        if clean not in {c.name for c in user.collections()}:
            raise NotFoundError(f"no collection named {clean!r}")
        return [DocumentOut.model_validate(d) for d in user.documents(collections=[clean])]

    return router
