from __future__ import annotations

from assistant.generation.citations import CitedSentence
from assistant.guard.provenance import check_numbers, render_sentences

TABLE = "| USD m | FY2024 | FY2025 |\n|---|---|---|\n| Operating income | 138.8 | 180.3 |"
PROSE = "Net income increased 35.5% to USD 127.9 million."


def test_copied_figures_are_kept() -> None:
    sentences = (CitedSentence("Operating income was 180.3 in FY2025.", (1,)),)
    result = check_numbers(sentences, [TABLE])
    assert result.sentences == sentences
    assert result.removed == ()
    assert not result.recomputed


def test_a_formula_result_is_recomputed_exactly() -> None:
    sentences = (CitedSentence("It rose by 180.3 - 138.8 = 42.0 million.", (1,)),)
    result = check_numbers(sentences, [TABLE])
    assert result.recomputed
    assert result.sentences[0].text == "It rose by 180.3 - 138.8 = 41.5 million."
    assert result.removed == ()


def test_a_right_formula_result_keeps_its_written_form() -> None:
    sentences = (CitedSentence("It rose by 180.3 - 138.8 = 41.50.", (1,)),)
    result = check_numbers(sentences, [TABLE])
    assert result.sentences[0].text == "It rose by 180.3 - 138.8 = 41.50."


def test_an_invented_figure_removes_its_sentence_with_the_reason() -> None:
    sentences = (
        CitedSentence("Operating income was 180.3 in FY2025.", (1,)),
        CitedSentence("Margins were 17.9%.", (2,)),
    )
    result = check_numbers(sentences, [TABLE, PROSE])
    assert [s.text for s in result.sentences] == ["Operating income was 180.3 in FY2025."]
    [removed] = result.removed
    assert removed.text == "Margins were 17.9%."
    assert "17.9%" in removed.reason and "cited" in removed.reason


def test_a_formula_over_invented_operands_is_removed() -> None:
    sentences = (CitedSentence("It rose by 190.3 - 148.8 = 41.5.", (1,)),)
    result = check_numbers(sentences, [TABLE])
    assert result.sentences == ()
    assert "190.3" in result.removed[0].reason


def test_an_uncited_sentence_is_held_to_all_passages() -> None:
    sentences = (CitedSentence("Net income rose 35.5%.", ()),)
    assert check_numbers(sentences, [TABLE, PROSE]).sentences == sentences


def test_sentences_render_with_their_citations_before_the_stop() -> None:
    sentences = (CitedSentence("A is 1.", (1,)), CitedSentence("B is 2", (1, 2)))
    assert render_sentences(sentences) == "A is 1 [1]. B is 2 [1][2]"


def test_a_figure_in_the_wrong_unit_of_time_is_not_copied() -> None:
    support = "| Severity | First response |\n|---|---|\n| 1 | 1 hour |\n| 2 | 4 hours |"
    wrong = (CitedSentence("The first response time is 1 minute.", (1,)),)
    right = (CitedSentence("The first response time is 1 hour.", (1,)),)
    [removed] = check_numbers(wrong, [support]).removed
    assert "1 minute" in removed.reason
    assert check_numbers(right, [support]).removed == ()
