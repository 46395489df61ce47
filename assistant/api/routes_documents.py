"""Documents: upload files into a collection, open one with its passages or the image of one of
its pages, delete one."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import Response

from assistant.api import render
from assistant.api.auth import CurrentUser
from assistant.api.errors import error_responses
from assistant.api.params import CollectionPath, FileNamePath, IdPath, PageNumberPath
from assistant.api.schemas import Deleted, DocumentDetail, FileOutcome, UploadOut
from assistant.api.uploads import FileTooLargeError, StagedFile, stage
from assistant.ingestion.pipeline import Outcome
from assistant.settings import IngestSettings
from assistant.storage.repository import NotFoundError

MAX_UPLOAD_FILES = 20
_PRIVATE = {"Cache-Control": "private, no-store"}
"""A page image is as private as its document: no cache keeps it."""
_MB = 1024 * 1024
_MULTIPART_OVERHEAD = _MB


def build_router(ingest: IngestSettings) -> APIRouter:
    router = APIRouter(tags=["documents"], responses=error_responses(401))
    file_limit = int(ingest.max_file_mb * _MB)

    @router.post(
        "/collections/{name}/documents",
        summary="Upload files into a collection (editors of it)",
        description=f"One or more files (at most {MAX_UPLOAD_FILES}) in the multipart field "
        "`files`, each within the server's size limit per file. Every file gets its own "
        "outcome: one that cannot be read fails alone, with its reason, and the rest go on.",
        responses=error_responses(400, 403, 404, 413),
        max_body_size=file_limit * MAX_UPLOAD_FILES + _MULTIPART_OVERHEAD,
        form_limits={"max_files": MAX_UPLOAD_FILES, "max_fields": 0},
    )
    def upload(
        name: CollectionPath,
        files: Annotated[list[UploadFile], File(description="The files to add.")],
        user: CurrentUser,
    ) -> UploadOut:
        with tempfile.TemporaryDirectory(prefix="assistant-api-upload-") as tmp:
            staged: list[StagedFile] = []
            for index, upload in enumerate(files):
                sent = upload.filename or ""
                try:
                    staged.append(stage(sent, upload.file, Path(tmp), index, file_limit))
                except FileTooLargeError:
                    raise HTTPException(
                        413,
                        f"{sent!r} is larger than the limit of {ingest.max_file_mb:g} MB per "
                        "file; nothing was uploaded.",
                    ) from None
            paths = [s.path for s in staged if s.path is not None]
            report = user.upload(paths, collection=name)
        by_path = {r.path: r for r in report.results}
        return UploadOut(
            collection=report.collection,
            files=[
                render.file_outcome(by_path[s.path], s.path.name)
                if s.path is not None and s.path in by_path
                else _unusable(s.sent_name)
                for s in staged
            ],
        )

    @router.get(
        "/documents/{document_id}",
        summary="A document's status and its passages in reading order",
        responses=error_responses(404),
    )
    def open_document(document_id: IdPath, user: CurrentUser) -> DocumentDetail:
        chunks = user.open_document(document_id)
        scope = [chunks[0].collection] if chunks else None
        info = next((d for d in user.documents(collections=scope) if d.id == document_id), None)
        if info is None:
            raise NotFoundError(f"no document with id {document_id}")
        return DocumentDetail.model_validate({"document": info, "chunks": chunks})

    @router.get(
        "/documents/{document_id}/pages/{page}.png",
        summary="The image of a page of a PDF document",
        description="The page drawn as a PNG image, for showing a cited passage where it "
        "stands (its boxes on the page are not drawn). 404 for a document the caller may not "
        "read, a page it does not have, a document without pages, or a page whose image is "
        "unavailable.",
        response_class=Response,
        responses={
            200: {"content": {"image/png": {}}, "description": "The page as a PNG image."},
            **error_responses(404),
        },
    )
    def page_image(document_id: IdPath, page: PageNumberPath, user: CurrentUser) -> Response:
        shown = user.page_image(document_id, page)
        if shown.png is None:
            raise NotFoundError(shown.unavailable or f"page {page} has no image")
        return Response(shown.png, media_type="image/png", headers=_PRIVATE)

    @router.delete(
        "/collections/{name}/documents/{file_name}",
        summary="Delete a document from storage and every index (editors of its collection)",
        responses=error_responses(403, 404),
    )
    def delete_document(
        name: CollectionPath, file_name: FileNamePath, user: CurrentUser
    ) -> Deleted:
        removed = user.delete_document(collection=name, file_name=file_name)
        return Deleted(collection=name.strip(), file_name=file_name, chunks_removed=removed)

    return router


def _unusable(sent_name: str) -> FileOutcome:
    return FileOutcome(
        file_name=sent_name,
        outcome=Outcome.FAILED,
        document_id=None,
        chunks=0,
        error="The file has no usable name.",
        error_code="file_name",
    )
