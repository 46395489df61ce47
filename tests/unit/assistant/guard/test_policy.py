from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import pytest

from assistant.answering import Answer, AnswerPipeline
from assistant.collection_settings import answer_threshold
from assistant.generation.prompt import ABSTENTION
from assistant.guard.answer_shifts import ConfidenceShifts
from assistant.guard.policy import AnswerChecker
from assistant.guard.protocols import Span
from assistant.settings import GenerationSettings, GuardSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.assistant.guard.fakes import FixedDetector, support_calibrator
from tests.unit.assistant.test_answering import FakeSearch, passage


def ask(
    model: FixedDetector, facts: FixedDetector, collections: Sequence[str], **kw: object
) -> Answer:
    checker = AnswerChecker(
        detectors=(model, facts),
        calibrator=support_calibrator(),
        threshold=partial(
            answer_threshold, GuardSettings(threshold=0.5, collection_thresholds={"clinical": 0.9})
        ),
        shifts=ConfidenceShifts(draft=float(kw.get("draft_shift", 0.0))),  # type: ignore[arg-type]
        clock=StepClock(),
    )
    search = FakeSearch([passage(1, "Notice is thirty days."), passage(2, "Fees are monthly.")])
    generator = ScriptedGenerator(
        [str(kw.get("text", "Notice is thirty days [1]. Fees are monthly [2]."))]
    )
    pipeline = AnswerPipeline(
        search=search,
        generator=generator,
        settings=GenerationSettings(max_new_tokens=40, context_tokens=400, passages=2),
        guards=(checker,),
        clock=StepClock(),
    )
    return pipeline.run("What notice applies?", collections=collections)


def test_supported_answer_is_shown_with_its_confidence_and_sentence_verdicts() -> None:
    model = FixedDetector("model", [0.9, 0.8])
    facts = FixedDetector("facts", [1.0, 0.3], spans=True)
    answer = ask(model, facts, ["legal"])
    assert answer.check is not None
    assert not answer.check.withheld and not answer.abstained
    # mean support (0.9 + 0.3) / 2 = 0.6
    assert answer.check.confidence == pytest.approx(1 / (1 + math.exp(-2)), rel=1e-6)
    first, second = answer.check.sentences
    assert first.supported and first.support == pytest.approx(0.9)
    # the lowest support decides: the fact check marks the second sentence
    assert not second.supported and second.support == pytest.approx(0.3)
    assert second.unsupported == (Span(0, 2),)
    assert second.reasons == ("facts doubts it",)
    # each sentence is judged against the passage it cites
    assert model.seen[0].sentences[0].cited == ("Notice is thirty days.",)
    assert model.seen[0].sentences[1].cited == ("Fees are monthly.",)


def test_answer_below_the_threshold_is_withheld_and_the_evidence_kept() -> None:
    answer = ask(FixedDetector("model", [0.5, 0.2]), FixedDetector("facts", [1.0, 1.0]), ["legal"])
    assert answer.check is not None and answer.check.withheld
    assert answer.abstained and answer.text == ABSTENTION and answer.sentences == ()
    assert answer.check.confidence is not None and answer.check.confidence < 0.5
    assert [p.chunk.file_name for p in answer.passages] == ["doc1.pdf", "doc2.pdf"]
    # the judged draft stays on the verdict for audit and evaluation, not in the answer
    assert "thirty days" in answer.check.withheld_text.lower()


def test_a_stricter_collection_threshold_applies_to_a_question_over_it() -> None:
    model = FixedDetector("model", [0.55, 0.6])  # confidence about 0.82
    facts = FixedDetector("facts", [1.0, 1.0])
    shown = ask(model, facts, ["legal"])
    strict = ask(model, facts, ["legal", "clinical"])
    assert shown.check is not None and not shown.check.withheld
    assert strict.check is not None and strict.check.withheld and strict.check.threshold == 0.9


def test_model_abstention_is_not_judged() -> None:
    model = FixedDetector("model", [0.1])
    answer = ask(model, FixedDetector("facts", [0.1]), ["legal"], text=ABSTENTION)
    assert answer.abstained and answer.check is not None
    assert answer.check.confidence is None and not answer.check.withheld
    assert model.seen == []


def test_a_supported_sentence_that_cites_nothing_is_traced_to_its_passage() -> None:
    model = FixedDetector("model", [0.9, 0.2])
    facts = FixedDetector("facts", [1.0, 1.0])
    answer = ask(model, facts, ["legal"], text="Fees are monthly. Notice is thirty days.")
    assert answer.check is not None
    traced, doubted = answer.check.sentences
    assert traced.supported and traced.found_in == (2,)
    assert not doubted.supported and doubted.found_in == ()
    assert answer.sentence_sources(0) == ((2,), True)
    assert answer.sentence_sources(1) == ((), False)
    assert [n for n, _ in answer.source_passages] == [2]


def test_a_cited_sentence_keeps_its_citations_and_is_not_traced() -> None:
    model = FixedDetector("model", [0.9, 0.9])
    facts = FixedDetector("facts", [1.0, 1.0])
    answer = ask(model, facts, ["legal"], text="Notice is thirty days [1]. Fees are monthly [1].")
    assert answer.check is not None
    assert [v.found_in for v in answer.check.sentences] == [(), ()]
    assert answer.sentence_sources(1) == ((1,), False)
    assert [n for n, _ in answer.source_passages] == [1]


def test_a_draft_is_judged_with_its_path_confidence_shift() -> None:
    plain = ask(FixedDetector("model", [0.55, 0.6]), FixedDetector("facts", [1.0, 1.0]), [])
    lowered = ask(
        FixedDetector("model", [0.55, 0.6]),
        FixedDetector("facts", [1.0, 1.0]),
        [],
        draft_shift=-3.0,
    )
    assert plain.check is not None and not plain.check.withheld
    assert lowered.check is not None and lowered.check.withheld
    assert plain.check.confidence is not None and lowered.check.confidence is not None
    assert lowered.check.confidence == pytest.approx(
        1 / (1 + math.exp(-(math.log(plain.check.confidence / (1 - plain.check.confidence)) - 3)))
    )
