"""The answer check's verdict reaches API clients: confidence, per-sentence support, sentences
removed for an invented figure, the reasons behind the confidence, answers withheld below the
threshold, and how an answer read from a table was computed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answering import Answer
from assistant.generation.prompt import ABSTENTION
from assistant.guard.protocols import Span
from assistant.reading.question import Operation
from assistant.reading.table_reader import CitedCell, TableReading
from assistant.verdict import AnswerCheck, SentenceVerdict
from ingest.tables import Cell
from tests.unit.api.conftest import Api, build_api


def doubting_guard(answer: Answer) -> Answer:
    """Finds the first sentence half supported and withholds answers that mention bonuses."""
    withheld = "bonus" in answer.question
    sentences = () if withheld else (SentenceVerdict(0.5, False, (Span(0, 4),), ("odd",)),)
    removed = ('Removed "Bonuses rose 9%.": 9% is in no passage.',)
    reasons = ("Every sentence cites a passage, which raises the confidence.",)
    check = AnswerCheck(
        0.25 if withheld else 0.75, 0.5, withheld, sentences, 0.01, removed, reasons
    )
    if withheld:
        return replace(answer, text=ABSTENTION, sentences=(), abstained=True, check=check)
    return replace(answer, check=check)


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[Api]:
    api = build_api(tmp_path, guards=[doubting_guard])
    yield api
    api.client.close()
    api.assistant.engine.dispose()


def test_the_verdict_is_part_of_the_answer(checked: Api) -> None:
    body = checked.call("POST", "/v1/ask", "alice", json={"question": "Salary bands?"}).json()
    assert body["abstained"] is False
    assert body["check"] == {
        "confidence": 0.75,
        "threshold": 0.5,
        "withheld": False,
        "sentences": [
            {
                "support": 0.5,
                "supported": False,
                "unsupported": [{"start": 0, "end": 4}],
                "reasons": ["odd"],
                "found_in": [],
            }
        ],
        "seconds": 0.01,
        "removed": ['Removed "Bonuses rose 9%.": 9% is in no passage.'],
        "reasons": ["Every sentence cites a passage, which raises the confidence."],
    }
    assert body["computation"] is None


def test_a_withheld_answer_streams_its_draft_then_the_abstention(checked: Api) -> None:
    question = {"question": "What is the bonus policy?", "stream": True}
    response = checked.call("POST", "/v1/ask", "alice", json=question)
    *drafts, final = response.text.splitlines()
    assert len(drafts) == 2
    assert '"type": "answer"' in final
    assert f'"text": "{ABSTENTION}"' in final
    assert '"withheld": true' in final
    assert '"reasons": ["Every sentence cites a passage' in final
    assert '"passages": [{' in final


def test_answers_without_a_check_say_so(api: Api) -> None:
    body = api.call("POST", "/v1/ask", "alice", json={"question": "Salary bands?"}).json()
    assert body["check"] is None


def table_reading(answer: Answer) -> Answer:
    """Reads the answer from two cells of the first passage's table, as the table reader does."""
    cells = (
        CitedCell(1, Cell(0, 1, "Salary band A", "FY2024", "40,000", None)),
        CitedCell(1, Cell(0, 2, "Salary band A", "FY2025", "42,000", None)),
    )
    reading = TableReading(
        text="Salary band A rose by 2,000 [1].",
        value="2,000",
        operation=Operation.CHANGE,
        cells=cells,
        expression="42000 - 40000",
        result=None,
        label_precision=1.0,
        overlap=3,
        runner_up=0.0,
    )
    return replace(answer, reading=reading)


def test_an_answer_read_from_a_table_shows_its_computation(tmp_path: Path) -> None:
    api = build_api(tmp_path, guards=[table_reading])
    try:
        body = api.call("POST", "/v1/ask", "alice", json={"question": "Salary bands?"}).json()
    finally:
        api.client.close()
        api.assistant.engine.dispose()
    assert body["computation"] == {
        "operation": "change",
        "expression": "42000 - 40000",
        "value": "2,000",
        "cells": [
            {
                "passage": 1,
                "row_label": "Salary band A",
                "column_header": "FY2024",
                "text": "40,000",
            },
            {
                "passage": 1,
                "row_label": "Salary band A",
                "column_header": "FY2025",
                "text": "42,000",
            },
        ],
    }
