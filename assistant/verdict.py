"""What checking found about one answer, carried on the answer to every front end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Character offsets ``[start, end)`` into a sentence's text."""

    start: int
    end: int


@dataclass(frozen=True)
class SentenceVerdict:
    """One answer sentence's support (0..1), whether it is shown as supported, the parts found
    in no passage, and why. ``found_in`` numbers the passage where the check found a supported
    sentence that cites none, so it can still be traced to its source."""

    support: float
    supported: bool
    unsupported: tuple[Span, ...] = ()
    reasons: tuple[str, ...] = ()
    found_in: tuple[int, ...] = ()


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on an answer.

    ``confidence`` is the calibrated probability that the answer is right (``None`` when the
    model abstained by itself, so there was nothing to judge). ``withheld`` means the draft fell
    below ``threshold`` and was replaced by an abstention with the best evidence. ``sentences``
    line up with the answer's sentences (empty when withheld or abstained). ``removed`` says
    which drafted sentences were taken out because they stated a figure that is neither in a
    passage nor computed from passages, and why. ``reasons`` are the two or three strongest
    reasons behind the confidence, in words, most important first; for a withheld answer, why
    it was withheld. ``withheld_text`` is the judged answer a withheld one replaced, kept so
    that an audit or an evaluation can say whether withholding it was right; pages and routes
    never show it.
    """

    confidence: float | None
    threshold: float
    withheld: bool
    sentences: tuple[SentenceVerdict, ...]
    seconds: float
    removed: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    withheld_text: str = ""
