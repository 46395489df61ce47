"""The answer check gives the reasons behind each confidence: the calibrator features that
moved a draft's confidence most, where a table reading was read, and why an answer was
withheld."""

from __future__ import annotations

from functools import partial

from assistant.answering import Answer, AnswerTimings
from assistant.collection_settings import answer_threshold
from assistant.generation.citations import CitedSentence
from assistant.guard.policy import AnswerChecker
from assistant.reading.question import Operation
from assistant.reading.table_reader import CitedCell, TableReading
from assistant.settings import GuardSettings
from ingest.tables import Cell
from tests.unit.assistant.guard.fakes import FixedDetector, support_calibrator
from tests.unit.assistant.guard.test_policy import ask
from tests.unit.assistant.test_answering import passage


def test_a_shown_answer_gives_the_features_that_raised_its_confidence() -> None:
    answer = ask(FixedDetector("model", [0.9, 0.8]), FixedDetector("facts", [1.0, 0.3]), ["legal"])
    assert answer.check is not None and not answer.check.withheld
    assert answer.check.reasons == (
        "The sentences are supported at 60% on average, which raises the confidence.",
    )


def test_a_withheld_answer_says_why() -> None:
    answer = ask(FixedDetector("model", [0.5, 0.2]), FixedDetector("facts", [1.0, 1.0]), ["legal"])
    assert answer.check is not None and answer.check.withheld
    assert answer.check.reasons == (
        "The confidence (5%) is below the 50% these collections require, so the answer was "
        "withheld.",
        "The sentences are supported at only 35% on average, which lowers the confidence.",
    )


def test_a_draft_whose_every_sentence_invents_a_figure_says_so() -> None:
    answer = ask(
        FixedDetector("model", [1.0]),
        FixedDetector("facts", [1.0]),
        ["legal"],
        text="Notice is 45 days [1].",
    )
    assert answer.check is not None and answer.check.withheld
    assert answer.check.reasons == (
        "Every sentence stated a figure that is neither in a passage nor computed from one.",
    )
    assert answer.check.removed and "45" in answer.check.removed[0]


def read_answer(support: float) -> Answer:
    checker = AnswerChecker(
        detectors=(FixedDetector("model", [support]),),
        calibrator=support_calibrator(),
        threshold=partial(answer_threshold, GuardSettings(threshold=0.5)),
    )
    reading = TableReading(
        text="Total revenue was 180.3 in FY2025 [1].",
        value="180.3",
        operation=Operation.LOOKUP,
        cells=(CitedCell(1, Cell(0, 1, "Total revenue", "FY2025", "180.3", None)),),
        expression=None,
        result=None,
        label_precision=0.5,
        overlap=1,
        runner_up=0.0,
        confidence=0.8,
    )
    answer = Answer(
        question="What was revenue in FY2025?",
        text=reading.text,
        sentences=(CitedSentence("Total revenue was 180.3 in FY2025.", (1,)),),
        passages=(passage(1, "| | FY2025 |\n|---|---|\n| Total revenue | 180.3 |"),),
        abstained=False,
        invalid_citations=(),
        token_logprobs=(),
        prompt_tokens=0,
        timings=AnswerTimings(0.0, 0.0, 0.0, 0.0, 0.0),
        reading=reading,
    )
    return checker(answer)


def test_a_table_reading_says_where_it_was_read_and_what_makes_it_less_sure() -> None:
    check = read_answer(0.9).check
    assert check is not None and not check.withheld and check.confidence == 0.8
    assert check.reasons == (
        "Read from row 'Total revenue', column 'FY2025' of passage [1].",
        "The question names only part of the row label (50% of its words).",
    )


def test_a_withheld_table_reading_says_why_first() -> None:
    check = read_answer(0.3).check
    assert check is not None and check.withheld
    assert check.reasons == (
        "The confidence (30%) is below the 50% these collections require, so the answer was "
        "withheld.",
        "A sentence is supported by the passages at only 30%, which lowers the confidence.",
        "The question names only part of the row label (50% of its words).",
    )
