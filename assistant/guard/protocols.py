"""The seams of answer checking.

A hallucination detector reads the question, the answer's sentences and the passages (the ones
each sentence cites and all the ones retrieved) and says, per sentence, how likely the passages
support it. Detectors are plug-ins: a trained cross-encoder, deterministic fact checks, or any
combination of them, all behind the same small protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.verdict import Span


@dataclass(frozen=True)
class SentenceToCheck:
    """One answer sentence (citation markers removed) and the texts of the passages it cites."""

    text: str
    cited: tuple[str, ...]


@dataclass(frozen=True)
class DetectionInput:
    """Everything a detector may look at for one answer."""

    question: str
    sentences: tuple[SentenceToCheck, ...]
    retrieved: tuple[str, ...]

    def evidence_for(self, index: int) -> tuple[str, ...]:
        """The passages sentence ``index`` is judged against: the ones it cites, or all retrieved
        passages when it cites none (an uncited claim must still be somewhere in the evidence)."""
        cited = self.sentences[index].cited
        return cited if cited else self.retrieved


@dataclass(frozen=True)
class SentenceSupport:
    """A detector's verdict on one sentence.

    ``probability`` is the probability that the evidence supports the sentence; ``unsupported``
    lists the parts of the sentence found in no passage, where the detector can tell;
    ``reasons`` are short human-readable explanations ("12.5% appears in no passage").
    """

    probability: float
    unsupported: tuple[Span, ...] = ()
    reasons: tuple[str, ...] = ()


class HallucinationDetector(Protocol):
    """Judges each answer sentence against the evidence; returns one verdict per sentence, in
    order. Creating one is cheap; ``warm_up()`` loads any model it needs."""

    @property
    def name(self) -> str: ...

    def warm_up(self) -> None: ...

    def detect(self, item: DetectionInput) -> tuple[SentenceSupport, ...]: ...
