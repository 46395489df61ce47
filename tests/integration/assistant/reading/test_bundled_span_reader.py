"""The shipped span reader: the trained scorer and its calibrator, on clauses it never saw; the
export that serving runs finds the torch scorer's spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.reading.span_model import SpanModel
from assistant.reading.span_reader import SpanReader, load_span_calibrator

pytestmark = pytest.mark.integration

LAW = (
    "This Agreement and any dispute arising out of it shall be governed by and construed in "
    "accordance with the laws of the State of Oregon, without regard to its conflict of laws "
    "rules."
)
STAFF = "The depot employs forty drivers and operates two shifts a day from its main yard."


@pytest.fixture(scope="module")
def spans(tmp_path_factory: pytest.TempPathFactory) -> SpanModel:
    model = SpanModel(cache_dir=tmp_path_factory.mktemp("model-cache"))
    model.warm_up()
    return model


def test_the_export_finds_the_torch_scorers_spans(spans: SpanModel) -> None:
    torch_scorer = SpanModel()
    filler = " ".join(f"Clause {n} sets out routine administrative matters." for n in range(60))
    for question, passages in (
        ("Which state's laws govern the agreement?", [STAFF, LAW]),
        ("How many drivers does the depot employ?", [LAW, STAFF]),
        ("Which state's laws govern the agreement?", [f"{filler} {LAW}", STAFF]),
    ):
        exported, reference = (
            spans.candidates(question, passages),
            torch_scorer.candidates(question, passages),
        )
        assert [(c.passage, c.start, c.end) for c in exported] == [
            (c.passage, c.start, c.end) for c in reference
        ]
        for got, expected in zip(exported, reference, strict=True):
            assert got.margin == pytest.approx(expected.margin, abs=1e-3)
            assert got.share == pytest.approx(expected.share, abs=1e-4)


def test_an_export_is_made_once_and_reused(spans: SpanModel, tmp_path: Path) -> None:
    from assistant.reading.span_export import prepare_span_export
    from assistant.reading.span_model import BUNDLED_SPAN_READER

    first = prepare_span_export(BUNDLED_SPAN_READER, tmp_path)
    again = prepare_span_export(BUNDLED_SPAN_READER, tmp_path)
    assert first.converted and not again.converted and first.folder == again.folder


def test_the_scorer_points_at_the_answer_in_the_passage_that_holds_it(spans: SpanModel) -> None:
    found = spans.candidates("Which state's laws govern the agreement?", [STAFF, LAW])
    assert found, "no span proposed"
    best = found[0]
    assert best.passage == 1
    assert "Oregon" in best.text
    assert LAW[best.start : best.end] == best.text


def test_the_reader_answers_with_the_words_and_cites_their_passage(spans: SpanModel) -> None:
    reader = SpanReader(spans, load_span_calibrator(), min_confidence=0.0)
    reading = reader.read("Which state's laws govern the agreement?", [STAFF, LAW])
    assert reading is not None and reading.confidence is not None
    assert "Oregon" in reading.value and reading.passage == 2
    assert reading.text.endswith("[2].")


def test_a_long_passage_is_read_in_windows(spans: SpanModel) -> None:
    filler = " ".join(f"Clause {n} sets out routine administrative matters." for n in range(60))
    found = spans.candidates("Which state's laws govern the agreement?", [f"{filler} {LAW}"])
    assert found and "Oregon" in found[0].text
