"""The span reader stage, in the answer pipeline and the answer check, with a scripted scorer
in place of the trained model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from assistant.answering import Answer, AnswerPipeline, SpanReaderStage
from assistant.guard.explain import span_source
from assistant.guard.facts import FactDetector
from assistant.guard.policy import AnswerChecker
from assistant.logistic import Logistic
from assistant.reading.span_model import SpanCandidate
from assistant.reading.span_reader import (
    FEATURES,
    NO_RIVAL,
    SpanReader,
    SpanReading,
    completed_for_kind,
    other_period,
    readings,
    sentence_around,
    span_features,
    whole_span,
)
from assistant.settings import GenerationSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.assistant.guard.fakes import support_calibrator
from tests.unit.assistant.test_answering import FakeSearch, passage

NDA = (
    "This Agreement is governed by the laws of the State of Delaware. "
    "Each party submits to the courts of Wilmington."
)
TERM = "The obligations survive for three (3) years after termination."
SETTINGS = GenerationSettings(max_new_tokens=40, context_tokens=400, passages=2)


class ScriptedSpans:
    """Points at the first occurrence of each scripted phrase in the passages, in order."""

    def __init__(self, phrases: Sequence[tuple[str, float]]) -> None:
        self._phrases = phrases
        self.calls: list[str] = []

    def candidates(self, question: str, passages: Sequence[str]) -> list[SpanCandidate]:
        self.calls.append(question)
        found = []
        for phrase, margin in self._phrases:
            for index, text in enumerate(passages):
                at = text.find(phrase)
                if at >= 0:
                    found.append(SpanCandidate(index, at, at + len(phrase), phrase, margin, 0.9))
                    break
        return found


def calibrator(bias: float) -> Logistic:
    size = len(FEATURES)
    return Logistic((0.0,) * size, (1.0,) * size, (0.0,) * size, bias=bias)


def test_a_reading_copies_the_words_and_cites_their_passage() -> None:
    found = readings(
        "Which state's law governs the agreement?",
        [TERM, NDA],
        ScriptedSpans([("Delaware", 6.0), ("three (3) years", 1.0)]),
    )
    assert [r.value for r in found] == ["Delaware", "three (3) years"]
    reading = found[0]
    assert reading.text == "Delaware [2]."
    assert reading.passage == 2
    assert reading.sentence == "This Agreement is governed by the laws of the State of Delaware."
    assert reading.rival_margin == 1.0
    assert reading.sentence_overlap == pytest.approx(2 / 3)  # law, governs; not state
    assert reading.kind_match == 0.5  # the wording does not say what kind of answer
    assert len(span_features(reading)) == len(FEATURES)
    assert found[1].rival_margin == 6.0


def test_the_same_words_in_another_passage_are_no_rival() -> None:
    spans = ScriptedSpans([("Delaware", 6.0)])
    [reading] = readings("Which law governs?", [NDA], spans)
    assert reading.rival_margin == NO_RIVAL


def test_nothing_found_is_no_reading() -> None:
    assert readings("Which law governs?", [TERM], ScriptedSpans([])) == []


def test_words_are_widened_to_whole_brackets_with_the_spelled_number() -> None:
    text = "Notice of thirty (30) days is required (in writing)."
    start = text.index("30)")
    assert text[slice(*whole_span(text, start, start + len("30) days")))] == "thirty (30) days"
    start = text.index("(in")
    assert text[slice(*whole_span(text, start, start + 3))] == "(in writing)"
    [reading] = readings("How long is the notice?", [text], ScriptedSpans([("30) days", 3.0)]))
    assert reading.value == "thirty (30) days" and reading.kind_match == 1.0


def test_words_are_taken_on_until_they_are_the_kind_asked_for() -> None:
    text = "Notify within forty-eight (48) hours of discovery."
    start = text.index("forty")
    question = "Within how many hours must the breach be notified?"
    end = completed_for_kind(question, text, start, start + len("forty-eight"))
    assert text[start:end] == "forty-eight (48) hours"
    assert completed_for_kind("Who notifies?", text, start, start + 5) == start + 5
    short = text.index("of discovery")
    assert completed_for_kind(question, text, short, short + 2) == short + 2


def test_a_question_asking_for_a_computation_is_never_answered_with_copied_words() -> None:
    spans = ScriptedSpans([("12.5", 6.0)])
    reader = SpanReader(spans, calibrator(5.0), min_confidence=0.5)
    text = "Revenue grew to 12.5 million in 2025 from 10.0 million in 2024."
    assert reader.read("What was the change in revenue from 2024 to 2025?", [text]) is None
    assert reader.read("What was the average revenue in 2024 and 2025?", [text]) is None
    assert reader.read("What was revenue in 2025 and 2024 respectively?", [text]) is None
    assert reader.read("What was revenue in 2025?", [text]) is not None


def test_words_of_another_kind_than_asked_for_are_never_the_reading() -> None:
    spans = ScriptedSpans([("Delaware", 6.0)])
    reader = SpanReader(spans, calibrator(5.0), min_confidence=0.5)
    assert reader.read("How many years do the obligations survive?", [NDA]) is None


def test_words_about_another_year_than_the_question_names_are_not_proposed() -> None:
    text = "In FY2024 the company had 465 employees."
    assert other_period("How many employees were there in FY2023?", text, text)
    assert not other_period("How many employees were there in FY2024?", text, text)
    assert not other_period("How many employees were there?", text, text)
    assert not other_period("How many in FY2023?", "It had 465.", "No year here.")
    spans = ScriptedSpans([("465", 4.0)])
    assert readings("How many employees were there in FY2023?", [text], spans) == []


def test_sentence_around_keeps_decimal_points_inside_a_sentence() -> None:
    text = "Uptime below 99.5% earns a credit. Nothing else applies."
    start = text.index("99.5%")
    assert sentence_around(text, start, start + 5) == "Uptime below 99.5% earns a credit."


def test_the_proposal_most_likely_right_is_the_reading() -> None:
    # weights favour the kind of answer asked for over the scorer's margin
    size = len(FEATURES)
    weights = tuple(1.0 if name == "kind_match" else 0.0 for name in FEATURES)
    prefers_kind = Logistic((0.0,) * size, (1.0,) * size, weights, bias=0.0)
    spans = ScriptedSpans([("Delaware", 6.0), ("three (3) years", 1.0)])
    reader = SpanReader(spans, prefers_kind, min_confidence=0.5)
    reading = reader.read("How long do the obligations survive?", [NDA, TERM])
    assert reading is not None and reading.value == "three (3) years"


def test_a_doubtful_reading_is_dropped_and_a_sure_one_kept() -> None:
    spans = ScriptedSpans([("Delaware", 6.0)])
    sure = SpanReader(spans, calibrator(5.0), min_confidence=0.5).read("Which law?", [NDA])
    assert sure is not None and sure.confidence == pytest.approx(1 / (1 + 2.718281828459045**-5))
    unsure = SpanReader(spans, calibrator(-5.0), min_confidence=0.5).read("Which law?", [NDA])
    assert unsure is None
    with pytest.raises(ValueError):
        SpanReader(spans, calibrator(0.0), min_confidence=1.5)


def run(
    question: str, reader: SpanReaderStage | None
) -> tuple[Answer, ScriptedGenerator, list[str]]:
    generator = ScriptedGenerator(["The documents do not say."])
    checker = AnswerChecker(
        detectors=(FactDetector(),),
        calibrator=support_calibrator(),
        threshold=lambda collections: 0.5,
        clock=StepClock(),
    )
    pipeline = AnswerPipeline(
        search=FakeSearch([passage(1, TERM), passage(2, NDA)]),
        generator=generator,
        settings=SETTINGS,
        guards=(checker,),
        span_reader=reader,
        clock=StepClock(),
    )
    streamed: list[str] = []
    answer = pipeline.run(question, collections=["legal"], on_token=streamed.append)
    return answer, generator, streamed


def test_a_confident_span_answers_without_the_model_and_says_where_it_came_from() -> None:
    reader = SpanReader(ScriptedSpans([("Delaware", 6.0)]), calibrator(5.0), min_confidence=0.5)
    answer, generator, streamed = run("Which state's law governs the agreement?", reader)
    assert generator.prompts == []
    assert answer.span is not None and answer.reading is None
    assert answer.text == "Delaware [2]."
    assert streamed == [answer.text]
    check = answer.check
    assert check is not None and not check.withheld
    assert check.reasons[0].startswith('Copied from passage [2]: "This Agreement is governed')


def test_the_reason_quotes_the_part_of_a_long_sentence_around_the_words() -> None:
    long_sentence = (
        "This Agreement is entered into between Harbour Ltd, a company with its seat at "
        + "the old quay, " * 12
        + "and is governed by the laws of Ireland without regard to conflict rules."
    )
    [reading] = readings("Which law governs?", [long_sentence], ScriptedSpans([("Ireland", 6.0)]))
    reason = span_source(reading)
    assert "Ireland" in reason
    assert reason.startswith('Copied from passage [1]: "...')
    assert len(reason) < len(long_sentence)


def test_a_doubtful_span_leaves_the_question_to_the_model() -> None:
    reader = SpanReader(ScriptedSpans([("Delaware", 6.0)]), calibrator(-5.0), min_confidence=0.5)
    answer, generator, _ = run("Which state's law governs the agreement?", reader)
    assert len(generator.prompts) == 1
    assert answer.span is None


def test_a_reading_the_check_finds_of_the_wrong_kind_is_withheld_with_the_reason() -> None:
    class AnyKind:
        """A stage that proposes words without asking what kind of answer is wanted."""

        def best(self, question: str, passages: Sequence[str]) -> SpanReading | None:
            [reading] = readings(question, passages, ScriptedSpans([("Delaware", 6.0)]))
            return replace(reading, confidence=0.9)

        def accepts(self, reading: SpanReading | None) -> bool:
            return reading is not None

    answer, _, _ = run("How many years do the obligations survive?", AnyKind())
    check = answer.check
    assert check is not None and check.withheld and check.confidence == 0.0
    assert answer.abstained
    assert any("asks for a number" in r for r in check.reasons)


def test_a_question_relating_two_items_or_adding_them_up_is_not_answered_with_copied_words() -> (
    None
):
    text = "The company granted 346,453 PSUs in April 2019 and 375,000 PSUs in December 2019."
    reader = SpanReader(ScriptedSpans([("346,453", 6.0)]), calibrator(5.0), min_confidence=0.5)
    altogether = "What is the total number of PSUs granted in April and December 2019 altogether?"
    assert reader.read(altogether, [text]) is None
    ratio = "What is the ratio of PSUs granted in April to PSUs granted in December?"
    assert reader.read(ratio, [text]) is None


def test_a_how_or_why_question_is_answered_with_the_whole_sentence() -> None:
    text = (
        "Rates are reviewed yearly. The discount rate is determined by comparison against "
        "the FTSE pension liability index for AA rated corporate instruments. Other text."
    )
    reader = SpanReader(
        ScriptedSpans([("FTSE pension liability index", 6.0)]), calibrator(5.0), min_confidence=0.5
    )
    reading = reader.read("How is the discount rate determined?", [text])
    assert reading is not None
    assert reading.value.startswith("The discount rate is determined by comparison")
    assert reading.text.endswith("corporate instruments [1].")
    short = reader.read("Which index is the discount rate compared against?", [text])
    assert short is not None and short.value == "FTSE pension liability index"
    how_many = SpanReader(ScriptedSpans([("yearly", 6.0)]), calibrator(5.0), min_confidence=0.5)
    often = how_many.read("How often are rates reviewed?", [text])
    assert often is not None and often.value == "yearly"


def test_a_doubtful_reading_stays_the_best_guess_for_the_answer_check() -> None:
    reader = SpanReader(ScriptedSpans([("Delaware", 6.0)]), calibrator(-5.0), min_confidence=0.5)
    guess = reader.best("Which state's law governs the agreement?", [NDA])
    assert guess is not None and guess.value == "Delaware"
    assert not reader.accepts(guess) and not reader.accepts(None)
    answer, generator, _ = run("Which state's law governs the agreement?", reader)
    assert generator.prompts, "a doubtful reading leaves the answer to the model"
    assert answer.span is None
    assert answer.span_guess is not None and answer.span_guess.value == "Delaware"


@pytest.mark.parametrize(
    "question", ["Is the agreement governed by Delaware law?", "does Delaware law govern it?"]
)
def test_a_yes_or_no_question_is_not_answered_with_copied_words(question: str) -> None:
    reader = SpanReader(ScriptedSpans([("Delaware", 6.0)]), calibrator(5.0), min_confidence=0.5)
    assert reader.best(question, [NDA]) is None
