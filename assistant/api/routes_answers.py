"""Search and ask, over the collections the caller can read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import StreamingResponse

from assistant.api import render, streaming
from assistant.api.auth import CurrentUser
from assistant.api.errors import error_responses
from assistant.api.schemas import AnswerOut, AskRequest, SearchOut, SearchRequest

_STREAM_DOC = (
    "With `stream` set: one `token` event with `text` per piece of the draft as it is written, "
    "then one `answer` event holding the checked answer as in the JSON response (or `error` "
    "with `status` and `detail`). While the question waits for its turn at the answer writer "
    "(other questions are being answered), `queued` events with its `position` (1: next) come "
    "first, repeated about every second. The draft is not checked yet: only the final answer "
    "says whether it was withheld or which sentences the passages do not support. A client that "
    "disconnects stops the answer being written, or takes its question out of the line. When "
    "as many questions are waiting as the server takes, the answer is 503 with `Retry-After`."
)
_ASK_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer, or its stream when `stream` is set.",
        "content": {
            streaming.NDJSON: {"schema": {"type": "string"}},
            streaming.SSE: {"schema": {"type": "string"}},
        },
    },
    **error_responses(400, 404, 503),
}


def build_router() -> APIRouter:
    router = APIRouter(tags=["answers"], responses=error_responses(401))

    @router.post(
        "/search",
        summary="Passages ranked for a query",
        responses=error_responses(400, 404),
    )
    def search(body: SearchRequest, user: CurrentUser) -> SearchOut:
        if not body.query.strip():
            raise HTTPException(400, "The query is empty.")
        found = user.search(body.query, collections=body.collections, k=body.k, mode=body.mode)
        return SearchOut.model_validate({"passages": found})

    @router.post(
        "/ask",
        summary="A cited answer from the documents, or an abstention",
        description=_STREAM_DOC,
        responses=_ASK_RESPONSES,
        response_model=AnswerOut,
    )
    def ask(
        body: AskRequest,
        user: CurrentUser,
        accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> AnswerOut | StreamingResponse:
        if not body.question.strip():
            raise HTTPException(400, "The question is empty.")
        if not body.stream:
            return render.answer(user.ask(body.question, collections=body.collections))
        # rights are checked here, while the response can still be a 404 rather than a stream
        events = user.ask_stream(body.question, collections=body.collections)
        fmt = streaming.choose_format(accept)
        answer = streaming.AnswerStream(events, fmt)
        answer.start()  # a question refused as too many is a 503, not a stream
        return StreamingResponse(
            answer.body(),
            media_type=streaming.media_type(fmt),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router
