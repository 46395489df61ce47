from __future__ import annotations

import pytest

from assistant.guard.agreement import agreement, answer_words


def test_formatting_citations_and_small_words_do_not_count() -> None:
    assert answer_words("The fee is USD 1,500.00 [2].") == ["fee", "is", "usd", "1500"]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("Three (3) years [1].", "three (3) years [3].", 1.0),
        ("48 hours [1].", "forty-eight (48) hours", 0.5),
        ("the laws of the State of New York [1].", "New York", 0.5),
        ("10% [2].", "25% [1].", 0.0),
        ("Ireland [1].", "", 0.0),
    ],
)
def test_drafts_agree_fully_partly_or_not(first: str, second: str, expected: float) -> None:
    assert agreement(first, second) == expected


def test_a_missing_second_answer_is_no_agreement() -> None:
    assert agreement("Ireland [1].", None) == 0.0
