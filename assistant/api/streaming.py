"""Streaming an answer while it is written: the question runs on a worker thread whose tokens
are passed on as they come, as NDJSON lines or server-sent events, followed by one final
event with the whole answer (or an error event when it failed)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from assistant.answering import Answer
from assistant.api import render
from assistant.api.errors import describe

NDJSON = "application/x-ndjson"
SSE = "text/event-stream"
Format = Literal["ndjson", "sse"]

TokenSink = Callable[[str], None]
Work = Callable[[TokenSink], Answer]
"""Answers the question, handing each piece of text to the callback as it is generated."""


@dataclass(frozen=True)
class _Finished:
    answer: Answer | None
    error: Exception | None


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


def events(work: Work) -> Iterator[tuple[str, dict[str, Any]]]:
    """``("token", {"text"})`` events while the work runs, then ``("answer", {"answer"})`` or
    ``("error", {"status", "detail"})``. The work runs to its end even when the client
    stops reading: generation cannot be interrupted midway."""
    pieces: queue.Queue[str | _Finished] = queue.Queue()

    def run() -> None:
        try:
            pieces.put(_Finished(work(pieces.put), None))
        except Exception as exc:  # reported to the client as an error event
            pieces.put(_Finished(None, exc))

    threading.Thread(target=run, name="api-answer", daemon=True).start()
    while not isinstance(item := pieces.get(), _Finished):
        yield "token", {"text": item}
    if item.answer is not None:
        yield "answer", {"answer": render.answer(item.answer).model_dump(mode="json")}
    else:
        status, detail = describe(item.error or RuntimeError("no answer"))
        yield "error", {"status": status, "detail": detail}


def stream(work: Work, fmt: Format) -> Iterator[str]:
    for kind, data in events(work):
        yield encode(kind, data, fmt)
