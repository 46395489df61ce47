"""An answer's text handed from a worker thread to the page as it is written."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from ui.streaming import TextStream


def test_pieces_arrive_while_the_work_runs_and_the_result_follows() -> None:
    release = threading.Event()

    def work(emit: Callable[[str], None]) -> str:
        emit("first ")
        release.wait(5)
        emit("second")
        return "done"

    stream = TextStream(work, transform=str.upper)
    pieces = stream.pieces()
    assert next(pieces) == "FIRST "  # before the work has finished
    release.set()
    assert list(pieces) == ["SECOND"]
    assert stream.result() == "done"


def test_an_error_of_the_work_reaches_the_caller() -> None:
    def work(emit: Callable[[str], None]) -> str:
        emit("partial")
        raise LookupError("no such collection")

    stream = TextStream(work)
    assert list(stream.pieces()) == ["partial"]
    with pytest.raises(LookupError, match="no such collection"):
        stream.result()


def test_the_loading_notice_goes_with_the_first_words() -> None:
    from ui.views.ask import clear_on_first

    class Notice:
        cleared = 0

        def empty(self) -> None:
            self.cleared += 1

    notice = Notice()
    pieces = clear_on_first(notice, iter(["The ", "answer."]))
    assert notice.cleared == 0
    assert next(pieces) == "The "
    assert notice.cleared == 1
    assert list(pieces) == ["answer."]
