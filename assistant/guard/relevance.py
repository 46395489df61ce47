"""Whether an answer's claim comes from a part of the passages that is about the question.

A small model often copies the right kind of value from the wrong sentence: asked how long
confidentiality survives, it answers "48 hours" from the clause on notifying a breach. Every
word of such an answer is in the passage, so wording checks pass it. What gives it away is the
sentence the claim comes from: it shares nothing with the question. This check finds that
source (the sentence or table row that best holds the answer's new information, its figures
weighing double; of equally good ones, the one closest to the question) and measures how much
of the question's content it shares.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.guard.evidence import content_terms, pieces_of


def claim_terms(sentence: str, question: str) -> set[str]:
    """The answer sentence's content terms that the question does not already contain."""
    return content_terms(sentence) - content_terms(question)


def source_relevance(question: str, sentence: str, passages: Sequence[str]) -> float | None:
    """Share of the question's content terms found where the sentence's claim comes from;
    ``None`` when the sentence adds nothing to the question or no passage holds its claim."""
    claim = claim_terms(sentence, question)
    asked = content_terms(question)
    if not claim or not asked or not passages:
        return None
    best_claim, best_relevance = 0.0, 0.0
    for passage in passages:
        for piece in pieces_of(passage):
            terms = content_terms(piece)
            held = sum(2.0 if t[0].isdigit() else 1.0 for t in claim & terms)
            relevance = len(asked & terms) / len(asked)
            if held > best_claim or (held == best_claim and relevance > best_relevance):
                best_claim, best_relevance = held, relevance
    return best_relevance if best_claim > 0 else None
