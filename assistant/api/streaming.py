"""Streaming an answer while it is written: the answer's events become NDJSON lines or
server-sent events: ``queued`` events with the question's place while it waits for the
generator, a token event per piece of the draft and then one event with the whole answer (or an
error event when it failed). A client that goes away stops the generation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from assistant.answering import Answer, AnswerEvents
from assistant.api import render
from assistant.api.errors import describe
from assistant.generation.base import GeneratorBusy, Queued

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
    """``queued`` events with the ``position`` of a waiting question, ``token`` events with the
    draft's ``text``, then an ``answer`` event with the rendered ``answer``, or an ``error``
    event with its ``status`` and ``detail``. A question refused before anything was written
    (``GeneratorBusy``) raises instead, so that the response can still be a 503. Closing it
    closes ``answer``."""
    written = False
    try:
        for event in answer:
            if isinstance(event, Answer):
                body = render.answer(event).model_dump(mode="json")
                yield encode("answer", {"answer": body}, fmt)
            elif isinstance(event, Queued):
                yield encode("queued", {"position": event.position}, fmt)
            else:
                yield encode("token", {"text": event}, fmt)
            written = True
    except Exception as exc:  # reported to the client as an error event
        if isinstance(exc, GeneratorBusy) and not written:
            raise
        status, detail = describe(exc)
        yield encode("error", {"status": status, "detail": detail}, fmt)
    finally:
        answer.close()


class AnswerStream:
    """``stream`` as a response body. Each part is computed on one worker thread of this
    response, off the event loop: generating blocks, and a generator's per-thread state (such
    as torch's inference mode) must stay on the thread that entered it. When the client
    disconnects the stream is closed on that thread, which stops generation after the part
    being computed."""

    def __init__(self, answer: AnswerEvents, fmt: Format) -> None:
        self._parts = stream(answer, fmt)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="api-answer")
        self._first: list[str | None] = []

    def start(self) -> None:
        """Compute the first part now, waiting for it: a refusal raised before anything is
        written comes out here, while the response can still be an error."""
        try:
            self._first.append(self._worker.submit(next, self._parts, None).result())
        except BaseException:
            self.close()
            raise

    async def body(self) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        try:
            if self._first:
                if self._first[0] is None:
                    return
                yield self._first[0]
            while (
                part := await loop.run_in_executor(self._worker, next, self._parts, None)
            ) is not None:
                yield part
        finally:
            self.close()

    def close(self) -> None:
        self._worker.submit(self._parts.close)
        self._worker.shutdown(wait=False)


def body(answer: AnswerEvents, fmt: Format) -> AsyncGenerator[str, None]:
    """``answer``'s parts as a response body (``AnswerStream``), computed as they are read."""
    return AnswerStream(answer, fmt).body()
