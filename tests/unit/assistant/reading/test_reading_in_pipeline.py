"""The table reader inside the answer pipeline and the answer check (no model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from assistant.answering import Answer, AnswerPipeline
from assistant.guard.facts import FactDetector
from assistant.guard.policy import AnswerChecker
from assistant.logistic import Logistic
from assistant.reading.reader import TableReader
from assistant.reading.table_reader import TableReading
from assistant.settings import GenerationSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.assistant.guard.fakes import support_calibrator
from tests.unit.assistant.test_answering import FakeSearch, passage

INCOME = """| USD m | FY2024 | FY2025 |
|---|---:|---:|
| Revenue | 952.6 | 1,077.4 |
| Operating income | 138.8 | 180.3 |"""

SETTINGS = GenerationSettings(max_new_tokens=40, context_tokens=400, passages=2)


def sure_reader(confidence_bias: float = 5.0) -> TableReader:
    """A reader whose calibrator is sure of every reading (or of none, with a low bias)."""
    calibrator = Logistic((0.0,) * 7, (1.0,) * 7, (0.0,) * 7, bias=confidence_bias)
    return TableReader(calibrator, min_confidence=0.5)


def run(
    question: str, reader: TableReader | None, generated: Sequence[str] = ("Draft [1].",)
) -> tuple[Answer, ScriptedGenerator, list[str]]:
    generator = ScriptedGenerator(list(generated))
    checker = AnswerChecker(
        detectors=(FactDetector(),),
        calibrator=support_calibrator(),
        threshold=lambda collections: 0.5,
        clock=StepClock(),
    )
    pipeline = AnswerPipeline(
        search=FakeSearch([passage(1, "Notice is thirty days."), passage(2, INCOME)]),
        generator=generator,
        settings=SETTINGS,
        guards=(checker,),
        reader=reader,
        clock=StepClock(),
    )
    streamed: list[str] = []
    answer = pipeline.run(question, collections=["finance"], on_token=streamed.append)
    return answer, generator, streamed


def test_a_table_question_is_answered_from_the_cells_without_the_model() -> None:
    answer, generator, streamed = run("What was revenue in FY2025?", sure_reader())
    assert generator.prompts == []
    assert answer.reading is not None
    assert answer.text == "Revenue was 1,077.4 in FY2025 (USD millions) [2]."
    assert streamed == [answer.text]
    check = answer.check
    assert check is not None and not check.withheld
    assert check.confidence == pytest.approx(1 / (1 + 2.718281828459045**-5))


def test_a_computed_figure_passes_the_fact_check_its_operands_must_pass_too() -> None:
    answer, _, _ = run(
        "By how much did operating income change from FY2024 to FY2025?", sure_reader()
    )
    check = answer.check
    assert "180.3 - 138.8 = 41.5" in answer.text
    assert check is not None and not check.withheld
    assert all(v.supported for v in check.sentences)


def test_an_invented_operand_is_caught_by_the_fact_check() -> None:
    checker = AnswerChecker(
        detectors=(FactDetector(),),
        calibrator=support_calibrator(),
        threshold=lambda collections: 0.5,
        clock=StepClock(),
    )
    answer, _, _ = run(
        "By how much did operating income change from FY2024 to FY2025?", sure_reader()
    )
    reading = answer.reading
    assert isinstance(reading, TableReading)
    forged_text = answer.text.replace("180.3 - 138.8", "190.3 - 148.8")
    forged = replace(
        answer,
        text=forged_text,
        sentences=tuple(
            replace(s, text=s.text.replace("180.3 - 138.8", "190.3 - 148.8"))
            for s in answer.sentences
        ),
        check=None,
    )
    checked = checker(forged)
    assert checked.check is not None
    assert checked.check.withheld


def test_an_unsure_reading_leaves_the_question_to_the_model() -> None:
    answer, generator, _ = run("What was revenue in FY2025?", sure_reader(-5.0))
    assert len(generator.prompts) == 1
    assert answer.reading is None


def test_without_a_reader_the_model_drafts_every_answer() -> None:
    answer, generator, _ = run("What was revenue in FY2025?", None)
    assert len(generator.prompts) == 1
    assert answer.reading is None


def test_a_percentage_formula_is_not_doubted_for_its_constant_100() -> None:
    answer, _, _ = run(
        "What was the percentage change in operating income from FY2024 to FY2025?",
        sure_reader(),
    )
    check = answer.check
    assert answer.text.endswith("* 100 = 29.9% [2].")
    assert check is not None and not check.withheld
    assert all(v.supported for v in check.sentences)
