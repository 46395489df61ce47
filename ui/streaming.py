"""Showing an answer while it is written: the question runs in a worker thread that hands its
text over piece by piece, so the page can pass the pieces to ``st.write_stream``."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

Work = Callable[[Callable[[str], None]], T]
"""Something that produces a result and reports its text, piece by piece, to a callback."""


class TextStream(Generic[T]):
    """Runs ``work`` on a thread: iterate ``pieces()`` for its text as it comes, then take
    ``result()``, which re-raises what the work raised."""

    def __init__(self, work: Work[T], *, transform: Callable[[str], str] = str) -> None:
        self._work = work
        self._transform = transform
        self._pieces: queue.Queue[str | None] = queue.Queue()
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="answer", daemon=True)

    def _run(self) -> None:
        try:
            self._result = self._work(self._pieces.put)
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc
        finally:
            self._pieces.put(None)

    def pieces(self) -> Iterator[str]:
        """Start the work and yield its text, transformed, until it ends."""
        self._thread.start()
        while (piece := self._pieces.get()) is not None:
            yield self._transform(piece)

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._result is None:
            raise RuntimeError("the work returned nothing")
        return self._result
