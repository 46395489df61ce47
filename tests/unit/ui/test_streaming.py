"""An answer's draft handed to the page as it is written, then the checked answer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from assistant.answering import Answer, AnswerEvents, AnswerTimings
from assistant.generation.base import Queued
from ui.streaming import DraftStream


@dataclass
class Reader:
    """The events of one answer, recording how far they were read."""

    answer: Answer | None
    read: int = 0

    def events(self) -> AnswerEvents:
        for piece in ("first ", "second"):
            self.read += 1
            yield piece
        if self.answer is None:
            raise LookupError("no such collection")
        yield self.answer


ANSWER = Answer(
    question="What notice applies?",
    text="Notice is 30 days.",
    sentences=(),
    passages=(),
    abstained=False,
    invalid_citations=(),
    token_logprobs=(),
    prompt_tokens=10,
    timings=AnswerTimings(0.1, 0.2, 0.3, 0.4, 10.0),
)


def test_pieces_arrive_as_they_are_written_and_the_answer_follows() -> None:
    reader = Reader(ANSWER)
    draft = DraftStream(reader.events(), transform=str.upper)
    pieces = draft.pieces()
    assert next(pieces) == "FIRST "
    assert reader.read == 1  # nothing is read ahead of the page
    assert list(pieces) == ["SECOND"]
    assert draft.answer() is ANSWER


def test_an_error_of_the_answer_reaches_the_page() -> None:
    draft = DraftStream(Reader(None).events())
    pieces = draft.pieces()
    assert next(pieces) == "first "
    with pytest.raises(LookupError, match="no such collection"):
        list(pieces)


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


def test_a_waiting_question_reports_its_place_and_writes_no_piece_for_it() -> None:
    def events() -> AnswerEvents:
        yield Queued(2)
        yield Queued(1)
        yield "Notice is 30 days."
        yield ANSWER

    places: list[int] = []
    draft = DraftStream(events(), on_queued=places.append)
    assert list(draft.pieces()) == ["Notice is 30 days."]
    assert places == [2, 1]
    assert draft.answer() is ANSWER
