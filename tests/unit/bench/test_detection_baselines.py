from __future__ import annotations

import pytest

from bench.detection_baselines import (
    absent_word_fraction,
    answer_length_score,
    best_f1,
    length_matched_subset,
)


def test_answer_length_counts_words() -> None:
    assert answer_length_score("Delhi") == 1.0
    assert answer_length_score("The hotel company is based in Mumbai.") == 7.0
    assert answer_length_score("") == 0.0


def test_absent_word_fraction_ignores_stop_words_and_case() -> None:
    evidence = "The Oberoi Group is a hotel company with its head office in Delhi."
    assert absent_word_fraction("Delhi", evidence) == 0.0
    assert absent_word_fraction("It is in Mumbai.", evidence) == 1.0
    assert absent_word_fraction("The hotel company is in Mumbai.", evidence) == pytest.approx(1 / 3)
    assert absent_word_fraction("It is in the", evidence) == 0.0


def test_absent_word_fraction_reads_every_passage_and_keeps_numbers_whole() -> None:
    passages = ["Revenue was 1,496.5 million.", "Delhi office."]
    assert absent_word_fraction("Delhi revenue 1,496.5", passages) == 0.0
    assert absent_word_fraction("Delhi revenue 1,469.5", passages) == pytest.approx(1 / 3)


def test_best_f1_finds_the_threshold() -> None:
    labels = [0, 0, 1, 1, 0, 1]
    scores = [0.1, 0.3, 0.35, 0.8, 0.6, 0.9]
    # at 0.8 the top two are predicted: 2 true positives -> F1 = 4 / 5
    # at 0.35 the top four: 3 true positives, 1 false -> F1 = 6 / 7, the best
    f1, threshold = best_f1(labels, scores)
    assert f1 == pytest.approx(6 / 7)
    assert threshold == 0.35


def test_best_f1_keeps_tied_scores_together() -> None:
    f1, threshold = best_f1([1, 0, 1], [0.5, 0.5, 0.2])
    assert threshold == 0.2
    assert f1 == pytest.approx(0.8)


def test_best_f1_needs_a_positive_and_matching_lengths() -> None:
    with pytest.raises(ValueError, match="positive"):
        best_f1([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="same length"):
        best_f1([0, 1], [0.1])


def test_length_matched_subset() -> None:
    rows = [
        {"right_answer": "Delhi", "hallucinated_answer": "Mumbai"},
        {"right_answer": "New Delhi", "hallucinated_answer": "Mumbai"},
        {"right_answer": "Delhi", "hallucinated_answer": "It is based in Mumbai."},
    ]
    assert length_matched_subset(rows, 0) == rows[:1]
    assert length_matched_subset(rows, 1) == rows[:2]
    assert length_matched_subset(rows, 4) == rows
    with pytest.raises(ValueError, match="tolerance"):
        length_matched_subset(rows, -1)
