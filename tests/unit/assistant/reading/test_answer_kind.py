from __future__ import annotations

import pytest

from assistant.answering import Answer, AnswerPipeline
from assistant.guard.policy import AnswerChecker
from assistant.reading.answer_kind import expected_answer, type_mismatch
from assistant.settings import GenerationSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.assistant.guard.fakes import FixedDetector, support_calibrator
from tests.unit.assistant.test_answering import FakeSearch, passage

BREACH = "Within how many hours must the provider notify the customer of a data breach?"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (BREACH, "Within forty-eight (48) hours [1]."),
        (BREACH, "48 hours."),
        ("How long is the initial term?", "Thirty-six (36) months [1]."),
        ("How long are backups kept?", "35 days"),
        ("In which year was revenue the largest?", "2019 [1]."),
        ("What percentage of revenue came from services?", "17.4% [1]."),
        ("How many named users does it cover?", "250 [1]."),
        ("Who signed the agreement?", "The chief executive [1]."),
        ("What dose of amlodipine was she discharged on?", "10 mg once daily [1]."),
        ("What is the usual dose?", "2.5–5 mg [1]."),
    ],
)
def test_an_answer_of_the_kind_asked_for_passes(question: str, answer: str) -> None:
    assert type_mismatch(question, answer) is None


@pytest.mark.parametrize(
    ("question", "answer", "described"),
    [
        (BREACH, "Within thirty (30) days [1].", "a number of hours"),
        ("How long are backups kept?", "In the primary region [1].", "a length of time"),
        ("In which year was revenue the largest?", "Revenue grew [1].", "a year"),
        ("What percentage of revenue came from services?", "17.4 [1].", "a percentage"),
        ("How many named users does it cover?", "Named users [1].", "a number"),
        ("What dose of amlodipine was she discharged on?", "8 September 2025 [1].", "a dose"),
    ],
)
def test_an_answer_of_another_kind_is_named(question: str, answer: str, described: str) -> None:
    reason = type_mismatch(question, answer)
    assert reason is not None and described in reason


def test_a_question_that_does_not_say_expects_nothing() -> None:
    assert expected_answer("What governs the agreement?") is None


def test_the_check_withholds_a_draft_of_the_wrong_kind_and_says_why() -> None:
    text = "The provider notifies the customer of a data breach within thirty (30) days."
    checker = AnswerChecker(
        detectors=(FixedDetector("model", [0.9]),),
        calibrator=support_calibrator(),
        threshold=lambda collections: 0.5,
        clock=StepClock(),
    )
    pipeline = AnswerPipeline(
        search=FakeSearch([passage(1, text)]),
        generator=ScriptedGenerator(["Within thirty (30) days [1]."]),
        settings=GenerationSettings(max_new_tokens=40, context_tokens=400, passages=1),
        guards=(checker,),
        clock=StepClock(),
    )
    answer: Answer = pipeline.run(BREACH, collections=["legal"])
    assert answer.abstained
    assert answer.check is not None and answer.check.withheld
    assert any("a number of hours" in reason for reason in answer.check.reasons)
