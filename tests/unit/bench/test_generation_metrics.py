from __future__ import annotations

from bench.generation_metrics import (
    abstention_scores,
    citation_precision,
    decision,
    exact_match,
    normalise,
    token_f1,
)


def test_normalise_drops_citations_currency_separators_and_scale() -> None:
    assert normalise("The total was $1,496.5 million [1].") == "total was 1496.5"
    assert normalise("12.5% [2]") == "12.5 %"


def test_exact_match_single_and_multi_span() -> None:
    assert exact_match("$1,496.5 million [1].", ["$1,496.5"]) == 1.0
    assert exact_match("About $1,496.5 million [1].", ["$1,496.5"]) == 0.0
    spans = ["fixed-price type", "cost-plus type"]
    assert exact_match("cost-plus type and fixed-price type [2].", spans) == 1.0
    assert exact_match("fixed-price type [2].", spans) == 0.0


def test_token_f1_rewards_partial_overlap() -> None:
    assert token_f1("Officer Smith [1].", ["Officer Smith"]) == 1.0
    assert 0.0 < token_f1("The chief is Officer Smith [1].", ["Officer Smith"]) < 1.0
    assert token_f1("The documents do not say.", ["42"]) == 0.0


def test_decision_rule() -> None:
    assert decision("Yes, the drug helps [1].", abstained=False) == "yes"
    assert decision("No. It did not [2].", abstained=False) == "no"
    assert decision("Maybe, more work is needed [1].", abstained=False) == "maybe"
    assert decision("The effect is unclear [1].", abstained=False) == "maybe"
    assert decision("The drug did not lower pressure [1].", abstained=False) == "no"
    assert decision("The drug lowered pressure [1].", abstained=False) == "yes"
    assert decision("The documents do not say.", abstained=True) == "none"


def test_abstention_precision_and_recall() -> None:
    scores = abstention_scores([(True, True), (True, False), (False, True), (False, False)])
    assert (scores.precision, scores.recall) == (0.5, 0.5)
    assert (scores.abstained, scores.unanswerable) == (2, 2)
    assert abstention_scores([(False, False)]).precision == 1.0


def test_citation_precision() -> None:
    assert citation_precision([1, 3], [1]) == 0.5
    assert citation_precision([], [1]) is None
