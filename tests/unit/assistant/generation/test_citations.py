from __future__ import annotations

from assistant.generation.citations import is_abstention, parse_answer, split_sentences


def test_sentences_map_to_their_citations() -> None:
    parsed = parse_answer("Revenue rose 5% [1]. Costs fell [2][3]. Margins held [1, 3].", 3)
    assert [s.citations for s in parsed.sentences] == [(1,), (2, 3), (1, 3)]
    assert [s.text for s in parsed.sentences] == [
        "Revenue rose 5%.",
        "Costs fell.",
        "Margins held.",
    ]
    assert parsed.cited == (1, 2, 3)
    assert parsed.invalid_citations == ()
    assert not parsed.abstained


def test_citations_of_missing_passages_are_removed_and_flagged() -> None:
    parsed = parse_answer("Fees are due monthly [2][7]. Notice is 30 days [9].", 3)
    assert parsed.invalid_citations == (7, 9)
    assert parsed.text == "Fees are due monthly [2]. Notice is 30 days."
    assert [s.citations for s in parsed.sentences] == [(2,), ()]
    assert parse_answer("See [0].", 3).invalid_citations == (0,)


def test_ranges_are_expanded() -> None:
    parsed = parse_answer("All of them agree [1-3].", 4)
    assert parsed.sentences[0].citations == (1, 2, 3)


def test_citation_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    parsed = parse_answer("Yes, it helps. [2] The effect is small [1].", 2)
    assert [s.citations for s in parsed.sentences] == [(2,), (1,)]


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = "The U.S. unit grew by 1.5 million, e.g. in Texas [1]. Dr. Smith agreed [2]."
    assert split_sentences(text) == [
        "The U.S. unit grew by 1.5 million, e.g. in Texas [1].",
        "Dr. Smith agreed [2].",
    ]


def test_abstention_is_detected_with_small_variations() -> None:
    for text in (
        "The documents do not say.",
        "the documents don't say",
        "The documents do not say",
    ):
        parsed = parse_answer(text, 3)
        assert parsed.abstained, text
        assert parsed.sentences[0].is_abstention
    assert not is_abstention("The documents do not say when the term ends.")


def test_an_answer_with_claims_is_not_an_abstention() -> None:
    parsed = parse_answer("The documents do not say. But the fee is $5 [1].", 1)
    assert not parsed.abstained
    assert [s.is_abstention for s in parsed.sentences] == [True, False]


def test_empty_answer_claims_nothing() -> None:
    parsed = parse_answer("", 2)
    assert parsed.sentences == ()
    assert parsed.abstained


def test_brackets_without_numbers_are_not_citations() -> None:
    parsed = parse_answer("The term [sic] is void [1].", 1)
    assert parsed.sentences[0].citations == (1,)
    assert "[sic]" in parsed.text
