from __future__ import annotations

import pytest

from assistant.answering import Answer, AnswerPipeline
from assistant.generation.citations import CitedSentence
from assistant.guard.policy import AnswerChecker
from assistant.guard.relevance import (
    answer_relevance,
    claim_terms,
    is_table_row,
    source_relevance,
)
from assistant.settings import GenerationSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.assistant.guard.fakes import FixedDetector, support_calibrator
from tests.unit.assistant.test_answering import FakeSearch, passage

NDA = (
    "The Receiving Party shall notify the Disclosing Party in writing within forty-eight (48) "
    "hours of becoming aware of any unauthorised use or disclosure. "
    "The confidentiality obligations in this Agreement survive for three (3) years after its "
    "expiry or termination."
)
QUESTION = "How long do the confidentiality obligations survive after termination?"


def test_a_claim_from_the_sentence_the_question_is_about_is_relevant() -> None:
    relevance = source_relevance(QUESTION, "They survive for three (3) years.", [NDA])
    assert relevance is not None and relevance >= 0.5


def test_a_claim_copied_from_an_unrelated_sentence_is_not() -> None:
    relevance = source_relevance(QUESTION, "Within forty-eight (48) hours.", [NDA])
    assert relevance is not None and relevance < 0.25


def test_nothing_to_judge_gives_none() -> None:
    assert source_relevance(QUESTION, "The confidentiality obligations survive.", [NDA]) is None
    assert source_relevance(QUESTION, "Ten parrots.", [NDA]) is None
    assert source_relevance(QUESTION, "Three years.", []) is None


def test_claim_terms_leave_out_what_the_question_says() -> None:
    assert claim_terms("Obligations survive three years.", QUESTION) == {"three", "years"}


@pytest.mark.parametrize("sentence", ["48 hours", "forty-eight hours"])
def test_figures_find_their_sentence(sentence: str) -> None:
    assert source_relevance("When must a breach be notified?", sentence, [NDA]) is not None


TABLE = (
    "| Obligation | Term |\n"
    "| Confidentiality survives after termination | 3 years |\n"
    "| Notice of a breach | 48 hours |"
)


def checked(answer_text: str, evidence: str = NDA) -> Answer:
    checker = AnswerChecker(
        detectors=(FixedDetector("model", [0.9]),),
        calibrator=support_calibrator(),
        threshold=lambda collections: 0.5,
        min_source_relevance=0.2,
        clock=StepClock(),
    )
    pipeline = AnswerPipeline(
        search=FakeSearch([passage(1, evidence)]),
        generator=ScriptedGenerator([answer_text]),
        settings=GenerationSettings(max_new_tokens=40, context_tokens=400, passages=1),
        guards=(checker,),
        clock=StepClock(),
    )
    return pipeline.run(QUESTION, collections=["legal"])


def test_the_check_withholds_a_draft_read_from_an_unrelated_table_row() -> None:
    answer = checked("48 hours [1].", TABLE)
    assert answer.abstained
    assert answer.check is not None and answer.check.withheld
    assert any("table row that shares" in reason for reason in answer.check.removed)


def test_a_draft_from_an_unrelated_sentence_of_prose_is_left_to_the_calibrator() -> None:
    answer = checked("Within forty-eight (48) hours [1].")
    assert answer.check is not None and not answer.check.removed
    assert answer.check.confidence is not None and answer.check.confidence > 0.0


def test_table_rows_are_told_from_prose() -> None:
    assert is_table_row("| Notice of a breach | 48 hours |")
    assert not is_table_row("The fee is 5 | 6 euros.")


def test_the_check_keeps_a_draft_taken_from_the_sentence_asked_about() -> None:
    answer = checked("They survive for three (3) years [1].")
    assert not answer.abstained
    assert answer.check is not None and not answer.check.withheld


def test_an_answer_is_as_relevant_as_its_best_sourced_sentence() -> None:
    related = CitedSentence("They survive for three (3) years.", (1,))
    unrelated = CitedSentence("Within forty-eight (48) hours.", (1,))
    best = answer_relevance(QUESTION, [unrelated, related], [NDA])
    assert best == source_relevance(QUESTION, related.text, [NDA])
    assert answer_relevance(QUESTION, [unrelated], [NDA]) < best


def test_a_claim_no_passage_holds_scores_nothing_and_a_restatement_everything() -> None:
    assert answer_relevance(QUESTION, [CitedSentence("Ten parrots.", (1,))], [NDA]) == 0.0
    restated = CitedSentence("The confidentiality obligations survive.", (1,))
    assert answer_relevance(QUESTION, [restated], [NDA]) == 1.0
