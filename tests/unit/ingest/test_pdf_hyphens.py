"""Line-end hyphens decided by how the document writes the word elsewhere."""

from __future__ import annotations

from ingest.parsers.pdf_hyphens import HyphenVocabulary


def test_a_word_written_whole_elsewhere_loses_its_line_end_hyphen() -> None:
    text = "could materi-ally affect"
    vocabulary = HyphenVocabulary.of([(text, (text.index("-"),)), ("Materially so.", ())])

    assert vocabulary.resolve(text, (text.index("-"),)) == "could materially affect"


def test_a_compound_written_with_its_hyphen_elsewhere_keeps_it() -> None:
    text = "its forward-looking statements"
    vocabulary = HyphenVocabulary.of(
        [(text, (text.index("-"),)), ("Other forward-looking words.", ())]
    )

    assert vocabulary.resolve(text, (text.index("-"),)) == text


def test_the_more_frequent_spelling_wins() -> None:
    text = "a non-qualified plan"
    vocabulary = HyphenVocabulary.of(
        [
            (text, (text.index("-"),)),
            ("nonqualified plans and nonqualified options", ()),
            ("one non-qualified plan", ()),
        ]
    )

    assert vocabulary.resolve(text, (text.index("-"),)) == "a nonqualified plan"


def test_a_word_the_document_never_writes_keeps_its_hyphen() -> None:
    text = "the self-service portal"
    vocabulary = HyphenVocabulary.of([(text, (text.index("-"),))])

    assert vocabulary.resolve(text, (text.index("-"),)) == text


def test_hyphens_inside_words_are_left_alone() -> None:
    text = "long-term and short-term plans"
    vocabulary = HyphenVocabulary.of([(text, ()), ("longterm", ())])

    assert vocabulary.resolve(text, ()) == text
