"""Streaming an answer while it is written: the answer's events become NDJSON lines or
server-sent events, a token event per piece of the draft and then one event with the whole
answer (or an error event when it failed). A client that goes away stops the generation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from assistant.answering import Answer, AnswerEvents
from assistant.api import render
from assistant.api.errors import describe

NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
Format = Literal["ndjson", "sse"]


def media_type(fmt: Format) -> str:
    return SSE if fmt == "sse" else NDJSON


def choose_format(accept: str | None) -> Format:
    """Server-sent events when the client asks for them, else NDJSON."""
    return "sse" if accept and SSE in accept.lower() else "ndjson"


def encode(kind: str, data: dict[str, Any], fmt: Format) -> str:
    payload = json.dumps(data, ensure_ascii=False)
    if fmt == "sse":
        return f"event: {kind}\ndata: {payload}\n\n"
    return json.dumps({"type": kind, **data}, ensure_ascii=False) + "\n"


def stream(answer: AnswerEvents, fmt: Format) -> Generator[str, None, None]:
    """``token`` events with the draft's ``text``, then an ``answer`` event with the rendered
    ``answer``, or an ``error`` event with its ``status`` and ``detail``. Closing it closes
    ``answer``."""
    try:
        for event in answer:
            if isinstance(event, Answer):
                body = render.answer(event).model_dump(mode="json")
                yield encode("answer", {"answer": body}, fmt)
            else:
                yield encode("token", {"text": event}, fmt)
    except Exception as exc:  # reported to the client as an error event
        status, detail = describe(exc)
        yield encode("error", {"status": status, "detail": detail}, fmt)
    finally:
        answer.close()


async def body(answer: AnswerEvents, fmt: Format) -> AsyncGenerator[str, None]:
    """``stream`` as a response body. Each part is computed on one worker thread of this
    response, off the event loop: generating blocks, and the model's per-thread state
    (such as torch's inference mode) must stay on the thread that entered it. When the client
    disconnects the stream is closed on that thread, which stops generation after the token
    being computed."""
    parts = stream(answer, fmt)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-answer")
    loop = asyncio.get_running_loop()
    try:
        while (part := await loop.run_in_executor(worker, next, parts, None)) is not None:
            yield part
    finally:
        worker.submit(parts.close)
        worker.shutdown(wait=False)
