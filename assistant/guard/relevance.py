"""Whether an answer's claim comes from a part of the passages that is about the question.

A small model often copies the right kind of value from the wrong sentence: asked how long
confidentiality survives, it answers "48 hours" from the clause on notifying a breach. Every
word of such an answer is in the passage, so wording checks pass it. What gives it away is the
sentence the claim comes from: it shares nothing with the question. This check finds that
source (the sentence or table row that best holds the answer's new information, its figures
weighing double; of equally good ones, the one closest to the question) and measures how much
of the question's content it shares.

The share is one of the calibrator's signals for every drafted answer. As an outright veto it is
kept for claims read from table rows only: in prose, a question often names its answer
indirectly (a film by its director, a drug by what it treats), so a right answer's sentence may
share few of its words, while a table row that shares none of them is another line item.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.generation.citations import CitedSentence
from assistant.guard.evidence import content_terms, pieces_of


def claim_terms(sentence: str, question: str) -> set[str]:
    """The answer sentence's content terms that the question does not already contain."""
    return content_terms(sentence) - content_terms(question)


def claim_source(question: str, sentence: str, passages: Sequence[str]) -> tuple[str, float] | None:
    """The sentence or table row the sentence's claim comes from, with the share of the
    question's content terms it holds; ``None`` when the sentence adds nothing to the question
    or no passage holds its claim."""
    claim = claim_terms(sentence, question)
    asked = content_terms(question)
    if not claim or not asked or not passages:
        return None
    best_claim, best_relevance, best_piece = 0.0, 0.0, ""
    for passage in passages:
        for piece in pieces_of(passage):
            terms = content_terms(piece)
            held = sum(2.0 if t[0].isdigit() else 1.0 for t in claim & terms)
            relevance = len(asked & terms) / len(asked)
            if held > best_claim or (held == best_claim and relevance > best_relevance):
                best_claim, best_relevance, best_piece = held, relevance, piece
    return (best_piece, best_relevance) if best_claim > 0 else None


def source_relevance(question: str, sentence: str, passages: Sequence[str]) -> float | None:
    """Share of the question's content terms found where the sentence's claim comes from;
    ``None`` when the sentence adds nothing to the question or no passage holds its claim."""
    source = claim_source(question, sentence, passages)
    return None if source is None else source[1]


def is_table_row(piece: str) -> bool:
    """Whether a passage piece is a row of a table as passages write them (cells between
    bars)."""
    return piece.count("|") >= 2


def answer_relevance(
    question: str, sentences: Sequence[CitedSentence], texts: Sequence[str]
) -> float:
    """The best source relevance among the answer's sentences, each judged against the passages
    it cites (all of them when it cites none): 1 when no sentence adds to the question, 0 when
    no passage holds any sentence's claim."""
    relevances = []
    for sentence in sentences:
        cited = [texts[n - 1] for n in sentence.citations if 0 < n <= len(texts)]
        relevance = source_relevance(question, sentence.text, cited or texts)
        if relevance is None:
            relevance = 0.0 if claim_terms(sentence.text, question) else 1.0
        relevances.append(relevance)
    return max(relevances, default=1.0)
