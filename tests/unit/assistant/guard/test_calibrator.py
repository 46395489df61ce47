from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.calibrator import (
    FEATURES,
    AnswerSignals,
    Calibrator,
    absent_share,
    answer_features,
    question_coverage,
)


def signals(**changes: object) -> AnswerSignals:
    base: dict[str, object] = {
        "supports": (0.9, 0.4),
        "absent_share": 0.25,
        "token_logprobs": tuple([-0.1] * 18 + [-3.0, -5.0]),
        "cited_sentences": 1,
        "sentences": 2,
        "question": "What was the revenue in 2019?",
        "evidence": ("Revenue in 2019 was $5 million.",),
    }
    base.update(changes)
    return AnswerSignals(**base)  # type: ignore[arg-type]


def test_features_follow_the_declared_order() -> None:
    values = dict(zip(FEATURES, answer_features(signals()), strict=True))
    assert values["support_min"] == pytest.approx(0.4)
    assert values["support_mean"] == pytest.approx(0.65)
    assert values["absent_share"] == pytest.approx(0.25)
    assert values["logprob_mean"] == pytest.approx((18 * -0.1 - 8.0) / 20)
    assert values["logprob_low"] == pytest.approx(-4.0)  # the lowest tenth: two tokens
    assert values["cited_share"] == pytest.approx(0.5)
    assert values["question_coverage"] == pytest.approx(1.0)
    assert values["source_relevance"] == pytest.approx(1.0)
    assert values["reader_agreement"] == 0.0
    assert values["reader_support"] == values["reader_dissent"] == 0.0


@pytest.mark.parametrize(
    ("agreement", "confidence", "support", "dissent"),
    [(1.0, 0.8, 0.8, 0.0), (0.5, 0.6, 0.6, 0.0), (0.0, 0.7, 0.0, 0.7), (0.0, None, 0.0, 0.0)],
)
def test_the_span_readers_confidence_backs_an_agreeing_draft_and_weighs_against_another(
    agreement: float, confidence: float | None, support: float, dissent: float
) -> None:
    features = answer_features(
        signals(reader_agreement=agreement, reader_confidence=confidence, source_relevance=0.3)
    )
    values = dict(zip(FEATURES, features, strict=True))
    assert values["reader_agreement"] == agreement
    assert values["reader_support"] == pytest.approx(support)
    assert values["reader_dissent"] == pytest.approx(dissent)
    assert values["source_relevance"] == pytest.approx(0.3)


def test_answer_length_is_not_a_feature() -> None:
    short = answer_features(signals(token_logprobs=(-0.5,) * 10))
    long = answer_features(signals(token_logprobs=(-0.5,) * 100))
    assert short == long


def test_question_coverage_counts_content_terms_found() -> None:
    assert question_coverage(
        "termination notice period", ["The notice is given."]
    ) == pytest.approx(1 / 3)
    assert question_coverage("the and", ["anything"]) == 0.0


def test_absent_share_counts_answer_terms_found_in_no_passage() -> None:
    sentences = ["The fee is 1,500 euros.", "Payment is monthly."]
    assert absent_share(sentences, ["A fee of 1500 euros applies."]) == pytest.approx(2 / 5)
    assert absent_share(["the and"], ["x"]) == 0.0


def test_a_calibrator_for_other_features_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.json"
    path.write_text(
        '{"format_version": 2, "features": ["length"], "means": [0], "scales": [1],'
        ' "weights": [1], "bias": 0}',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="refit"):
        Calibrator.load(path)


def test_wrong_feature_count_is_refused() -> None:
    with pytest.raises(ValueError):
        Calibrator((0.0,), (1.0,), (1.0,), 0.0).probability([1.0, 2.0])
