from __future__ import annotations

from dataclasses import replace

from assistant.answering import Answer, AnswerTimings
from assistant.generation.citations import CitedSentence
from assistant.guard.protocols import Span
from assistant.verdict import AnswerCheck, SentenceVerdict
from ui.verdict import (
    UNSUPPORTED_MARK,
    checked_answer_markdown,
    confidence_caption,
    link_citations,
    source_anchor,
    unsupported_notes,
    withheld_message,
)

ANSWER = Answer(
    question="What notice applies?",
    text="Notice is 30 days [1]. Fees are 5% [2].",
    sentences=(CitedSentence("Notice is 30 days.", (1,)), CitedSentence("Fees are 5%.", (2,))),
    passages=(),
    abstained=False,
    invalid_citations=(),
    token_logprobs=(),
    prompt_tokens=10,
    timings=AnswerTimings(0.1, 0.2, 0.3, 0.4, 10.0),
)
CHECK = AnswerCheck(
    confidence=0.72,
    threshold=0.5,
    withheld=False,
    sentences=(
        SentenceVerdict(0.9, True),
        SentenceVerdict(0.2, False, (Span(9, 11),), ("5% appears in no cited passage",)),
    ),
    seconds=0.05,
)


def test_confidence_is_explained_in_plain_words() -> None:
    caption = confidence_caption(CHECK)
    assert "72%" in caption and "7 times in 10" in caption
    assert confidence_caption(replace(CHECK, confidence=None)) == ""


def test_unsupported_sentence_is_marked_and_its_unbacked_part_highlighted() -> None:
    markdown = checked_answer_markdown(replace(ANSWER, check=CHECK))
    supported, unsupported = markdown.split(f"{UNSUPPORTED_MARK} ")
    assert "<mark>" not in supported and 'href="#source-1"' in supported
    assert "<mark>5%</mark>" in unsupported and 'href="#source-2"' in unsupported


def test_citations_link_to_their_passage_and_invalid_ones_stay_text() -> None:
    markdown = checked_answer_markdown(ANSWER)
    assert '<a href="#source-1" title="open passage 1">[1]</a>' in markdown
    assert '<a href="#source-2"' in markdown
    assert link_citations("see \\[3\\]", {1}) == "see \\[3\\]"
    assert source_anchor(2) == '<a id="source-2"></a>'


def test_without_a_check_sentences_are_shown_plainly() -> None:
    markdown = checked_answer_markdown(ANSWER)
    assert UNSUPPORTED_MARK not in markdown and "<mark>" not in markdown
    assert "<script>" not in markdown


def test_notes_say_why_a_sentence_is_marked() -> None:
    notes = unsupported_notes(replace(ANSWER, check=CHECK))
    assert len(notes) == 1
    assert "5% appears in no cited passage" in notes[0] and "20%" in notes[0]


def test_withheld_message_gives_both_figures() -> None:
    message = withheld_message(replace(CHECK, confidence=0.31, withheld=True, threshold=0.6))
    assert "31%" in message and "60%" in message


def test_document_text_cannot_inject_markup() -> None:
    hostile = replace(
        ANSWER,
        sentences=(CitedSentence("<script>alert(1)</script> [x](http://evil)", (1,)),),
        check=None,
    )
    markdown = checked_answer_markdown(hostile)
    assert "<script>" not in markdown and "](http" not in markdown


def test_a_sentence_that_cites_nothing_links_to_where_the_check_found_it() -> None:
    uncited = replace(
        ANSWER,
        text="Notice is 30 days. Fees are 5% [2].",
        sentences=(CitedSentence("Notice is 30 days.", ()), ANSWER.sentences[1]),
    )
    check = replace(
        CHECK, sentences=(SentenceVerdict(0.9, True, found_in=(1,)), CHECK.sentences[1])
    )
    markdown = checked_answer_markdown(replace(uncited, check=check))
    first, second = markdown.split(f"{UNSUPPORTED_MARK} ")
    assert '<a href="#source-1"' in first and "found in [1]" in first
    assert "found in" not in second and '<a href="#source-2"' in second
