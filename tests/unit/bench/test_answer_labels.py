from __future__ import annotations

from bench.answer_labels import is_correct


def test_unanswerable_questions_are_right_only_when_abstained() -> None:
    assert is_correct("tatqa", False, "The documents do not say.", True, [])
    assert not is_correct("tatqa", False, "It was 12.", False, [])


def test_abstaining_on_an_answerable_question_is_wrong() -> None:
    assert not is_correct("pubmedqa", True, "The documents do not say.", True, ["yes"])


def test_tatqa_numbers_are_compared_by_value_and_qualifiers_are_not_required() -> None:
    assert is_correct("tatqa", True, "Revenue was $1,234.50 million [1].", False, ["1234.5"])
    assert is_correct("tatqa", True, "The stake is 13% [2].", False, ["approximately 13%"])
    assert not is_correct("tatqa", True, "The stake is 31% [2].", False, ["approximately 13%"])


def test_tatqa_text_spans_must_appear_in_order() -> None:
    gold = ["cost of sales and in operating expenses"]
    assert is_correct(
        "tatqa", True, "It sits in cost of sales and in operating expenses.", False, gold
    )
    assert not is_correct("tatqa", True, "It sits in operating expenses.", False, gold)


def test_every_span_of_a_multi_span_answer_is_needed() -> None:
    assert is_correct("tatqa", True, "They were 2019 and 2018.", False, ["2019", "2018"])
    assert not is_correct("tatqa", True, "It was 2019.", False, ["2019", "2018"])


def test_pubmedqa_uses_the_decision() -> None:
    assert is_correct("pubmedqa", True, "Yes, it lowers the risk.", False, ["yes"])
    assert not is_correct("pubmedqa", True, "No, it does not.", False, ["yes"])


def test_financebench_headline_figure_within_one_percent() -> None:
    gold = ["$1,577.00 million, as shown in the cash flow statement"]
    assert is_correct("financebench", True, "Capital expenditure was $1,577 million.", False, gold)
    assert is_correct("financebench", True, "It was about $1,580 million.", False, gold)
    assert not is_correct("financebench", True, "It was $1,700 million.", False, gold)


def test_financebench_without_numbers_needs_half_the_content_words() -> None:
    gold = ["The company relies on consumer staples demand"]
    assert is_correct("financebench", True, "It relies on consumer demand.", False, gold)
    assert not is_correct("financebench", True, "Unclear.", False, gold)


def test_financebench_years_and_fiscal_year_names_are_not_the_headline_figure() -> None:
    gold = ["Effective tax rate in FY2022 was 0.62%, compared to -14.76% in FY2021."]
    assert is_correct("financebench", True, "It was 0.62% in FY2022 [1].", False, gold)
    assert not is_correct("financebench", True, "In FY2022 it was 2.2% higher.", False, gold)
    costs = ["Pepsico's restructuring costs in FY2022 amounted to $411 million ."]
    assert not is_correct("financebench", True, "The restructuring costs are 2022.", False, costs)
    assert is_correct("financebench", True, "They were $411 million in 2022.", False, costs)


def test_financebench_yes_no_questions_need_an_explicit_yes_or_no() -> None:
    gold = ["No, Pepsico is not involved in material legal battles."]
    wrong = "Yes, Pepsico has reported material legal battles from FY2022."
    assert not is_correct("financebench", True, wrong, False, gold)
    assert is_correct("financebench", True, "No, the filing reports none [2].", False, gold)
    assert is_correct("financebench", True, "The answer is: no, it is not.", False, gold)
    yes = ["Yes. Boeing has categories above 20% of revenue."]
    assert not is_correct("financebench", True, "Other investing, net [3].", False, yes)
    assert not is_correct("financebench", True, "It is not a useful metric.", False, gold)


def test_financebench_caveats_after_the_first_sentence_are_not_required() -> None:
    gold = [
        "Lower marketing expenses and leverage of incentive compensation. The answer here "
        "assumes FY2023 refers to the 12 months ended on January 28, 2023."
    ]
    answer = "Due to lower marketing expenses and leverage of incentive compensation [1]."
    assert is_correct("financebench", True, answer, False, gold)
    assert not is_correct("financebench", True, "Higher store wages [1].", False, gold)


def test_a_short_gold_given_in_fewer_of_its_words_is_found() -> None:
    assert is_correct("halueval", True, "Adam Shankman [1].", False, ["Adam Michael Shankman"])
    assert is_correct("halueval", True, "Austria-Hungary [2].", False, ["born in Austria-Hungary"])
    assert not is_correct("halueval", True, "Michael [1].", False, ["Adam Michael Shankman"])
    assert not is_correct("halueval", True, "Smriti Irani [1].", False, ["Smriti Malhotra"])
    long_gold = ["cost of sales and in operating expenses"]
    assert not is_correct("tatqa", True, "operating expenses [1].", False, long_gold)
