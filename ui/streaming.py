"""Showing an answer while it is written: the answer's events are split into the draft's text,
which the page passes to ``st.write_stream``, and the checked answer that ends them; the
question's place in line, while it waits for the generator, goes to a callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from assistant.answering import Answer, AnswerEvents
from assistant.generation.base import Queued


class DraftStream:
    """Iterate ``pieces()`` for the draft's text, transformed, as it is written; then take
    ``answer()``. An error of the answer is raised from ``pieces()``; ``on_queued`` gets the
    question's place in line while it waits."""

    def __init__(
        self,
        events: AnswerEvents,
        *,
        transform: Callable[[str], str] = str,
        on_queued: Callable[[int], object] | None = None,
    ) -> None:
        self._events = events
        self._transform = transform
        self._on_queued = on_queued
        self._answer: Answer | None = None

    def pieces(self) -> Iterator[str]:
        for event in self._events:
            if isinstance(event, Answer):
                self._answer = event
                return
            if isinstance(event, Queued):
                if self._on_queued is not None:
                    self._on_queued(event.position)
                continue
            yield self._transform(event)

    def answer(self) -> Answer:
        if self._answer is None:
            raise RuntimeError("the draft has not been read to its end")
        return self._answer
