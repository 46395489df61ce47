"""The answer check every answer goes through before it is shown.

Each sentence is judged by the configured detectors (the deterministic fact checks, the
learned phrase check, and the trained cross-encoder when enabled); its support is the lowest
of their probabilities, and a sentence below the sentence threshold is marked unsupported with
the parts no passage contains. A supported sentence that cites nothing is traced to the passage
that holds most of its words, when one holds most of them. The calibrator then turns the
signals into the probability that the whole answer is right. Below the threshold of the
collections asked (``assistant.collection_settings.answer_threshold``), the draft is withheld:
the answer becomes the abstention, and the passages stay attached as the best evidence to show
instead. The verdict carries the strongest reasons behind the confidence, in words
(``assistant.guard.explain``), and for a withheld draft why it was withheld.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from assistant.answering import Answer
from assistant.generation.citations import CitedSentence
from assistant.generation.prompt import ABSTENTION
from assistant.guard.agreement import agreement
from assistant.guard.answer_shifts import NO_SHIFTS, ConfidenceShifts
from assistant.guard.calibrator import (
    AnswerSignals,
    Calibrator,
    absent_share,
    answer_features,
)
from assistant.guard.evidence import best_passage
from assistant.guard.explain import (
    NOTHING_LEFT,
    UNRELATED_SOURCE,
    drafted_reasons,
    reading_reasons,
    span_reasons,
    withheld_drafted_reasons,
)
from assistant.guard.protocols import (
    DetectionInput,
    HallucinationDetector,
    SentenceSupport,
    SentenceToCheck,
)
from assistant.guard.provenance import check_numbers, render_sentences
from assistant.guard.relevance import answer_relevance, claim_source, is_table_row
from assistant.reading.answer_kind import type_mismatch
from assistant.reading.span_reader import SpanReading
from assistant.reading.table_reader import TableReading
from assistant.verdict import AnswerCheck, SentenceVerdict


def detection_input(
    question: str, sentences: Sequence[CitedSentence], texts: Sequence[str]
) -> DetectionInput:
    """The detectors' view of an answer: its sentences with the passage texts they cite."""
    return DetectionInput(
        question=question,
        sentences=tuple(
            SentenceToCheck(
                text=s.text, cited=tuple(texts[n - 1] for n in s.citations if 0 < n <= len(texts))
            )
            for s in sentences
        ),
        retrieved=tuple(texts),
    )


def combine(verdicts: Sequence[SentenceSupport], threshold: float) -> SentenceVerdict:
    """One sentence's verdict from several detectors: the lowest support decides."""
    support = min(v.probability for v in verdicts)
    return SentenceVerdict(
        support=support,
        supported=support >= threshold,
        unsupported=tuple(span for v in verdicts for span in v.unsupported),
        reasons=tuple(reason for v in verdicts for reason in v.reasons),
    )


def _traced(
    verdict: SentenceVerdict, sentence: CitedSentence, texts: Sequence[str]
) -> SentenceVerdict:
    if sentence.citations or not verdict.supported:
        return verdict
    found = best_passage(sentence.text, texts)
    return verdict if found is None else replace(verdict, found_in=(found + 1,))


class AnswerChecker:
    """``AnswerGuard`` that judges, calibrates and, below the threshold, withholds."""

    def __init__(
        self,
        *,
        detectors: Sequence[HallucinationDetector],
        calibrator: Calibrator,
        threshold: Callable[[Sequence[str]], float],
        sentence_threshold: float = 0.5,
        min_source_relevance: float = 0.0,
        shifts: ConfidenceShifts = NO_SHIFTS,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if not detectors:
            raise ValueError("the answer check needs at least one detector")
        self._detectors = tuple(detectors)
        self._calibrator = calibrator
        self._shifts = shifts
        self._threshold = threshold
        self._sentence_threshold = sentence_threshold
        self._min_source_relevance = min_source_relevance
        self._clock = clock

    @property
    def detectors(self) -> tuple[HallucinationDetector, ...]:
        return self._detectors

    def warm_up(self) -> None:
        for detector in self._detectors:
            detector.warm_up()

    def judge(
        self,
        question: str,
        sentences: Sequence[CitedSentence],
        texts: Sequence[str],
        token_logprobs: Sequence[float],
        span_guess: SpanReading | None = None,
    ) -> tuple[AnswerSignals, list[SentenceVerdict]]:
        """The calibrator's inputs and the sentence verdicts of a drafted answer whose passage
        ``[n]`` has the text ``texts[n - 1]``; ``span_guess`` is the span reader's best reading
        of the question, if it had one."""
        item = detection_input(question, sentences, texts)
        results = [detector.detect(item) for detector in self._detectors]
        verdicts = [
            _traced(combine(per_sentence, self._sentence_threshold), sentence, texts)
            for per_sentence, sentence in zip(zip(*results, strict=True), sentences, strict=True)
        ]
        cited = sorted({n for s in sentences for n in s.citations if 0 < n <= len(texts)})
        signals = AnswerSignals(
            supports=tuple(v.support for v in verdicts),
            absent_share=absent_share(
                [s.text for s in sentences],
                [e for index in range(len(sentences)) for e in item.evidence_for(index)],
            ),
            token_logprobs=tuple(token_logprobs),
            cited_sentences=sum(1 for s in sentences if s.citations),
            sentences=len(sentences),
            question=question,
            evidence=tuple(texts[n - 1] for n in cited) or tuple(texts),
            source_relevance=answer_relevance(question, sentences, texts),
            reader_agreement=0.0
            if span_guess is None
            else agreement(" ".join(s.text for s in sentences), span_guess.value),
            reader_confidence=None if span_guess is None else span_guess.confidence,
        )
        return signals, verdicts

    def _judge_reading(
        self, answer: Answer, reading: TableReading, texts: Sequence[str], threshold: float
    ) -> tuple[float, list[SentenceVerdict], tuple[str, ...]]:
        """A table reading's confidence is its own calibrated one, lowered to the weakest
        sentence support when a detector finds a sentence unsupported. A formula and its result
        are the product's own evaluation over the cited cells, so the detectors judge the
        sentence with the formula replaced by those cells as the passage writes them: each
        operand must still be in the passages, while constants such as the 100 of a percentage
        and the result need not. Also returns the reasons behind the confidence."""
        sentences = list(answer.sentences)
        if reading.expression is not None:
            formula = f"{reading.expression} = {reading.value}"
            operands = ", ".join(c.cell.text for c in reading.cells)
            sentences = [replace(s, text=s.text.replace(formula, operands)) for s in sentences]
        _, verdicts = self.judge(answer.question, sentences, texts, ())
        confidence = self._shifts.apply("table", reading.confidence or 0.0)
        weakest = None
        if any(not v.supported for v in verdicts):
            weakest = min(v.support for v in verdicts)
            confidence = min(confidence, weakest)
        reasons = reading_reasons(
            reading,
            weakest_support=weakest,
            withheld=(confidence, threshold) if confidence < threshold else None,
        )
        return confidence, verdicts, tuple(reasons)

    def _judge_span(
        self, answer: Answer, reading: SpanReading, texts: Sequence[str], threshold: float
    ) -> tuple[float, list[SentenceVerdict], tuple[str, ...]]:
        """Words copied from a passage have their own calibrated confidence, lowered to the
        weakest sentence support when a detector finds a sentence unsupported, and none when
        they are not the kind of answer the question asks for. Also returns the reasons."""
        _, verdicts = self.judge(answer.question, answer.sentences, texts, ())
        confidence = self._shifts.apply("span", reading.confidence or 0.0)
        weakest = None
        if any(not v.supported for v in verdicts):
            weakest = min(v.support for v in verdicts)
            confidence = min(confidence, weakest)
        mismatch = type_mismatch(answer.question, answer.text)
        if mismatch is not None:
            confidence = 0.0
        reasons = span_reasons(
            reading,
            weakest_support=weakest,
            mismatch=mismatch,
            withheld=(confidence, threshold) if confidence < threshold else None,
        )
        return confidence, verdicts, tuple(reasons)

    def __call__(self, answer: Answer) -> Answer:
        started = self._clock()
        threshold = self._threshold(answer.collections)
        if answer.abstained or not answer.sentences:
            check = AnswerCheck(None, threshold, False, (), self._clock() - started)
            return replace(answer, check=check)
        texts = [p.chunk.text for p in answer.passages]
        removed: tuple[str, ...] = ()
        if answer.reading is not None:
            confidence, verdicts, reasons = self._judge_reading(
                answer, answer.reading, texts, threshold
            )
        elif answer.span is not None:
            confidence, verdicts, reasons = self._judge_span(answer, answer.span, texts, threshold)
        else:
            answer, removed = self._with_number_provenance(answer, texts)
            unrelated = self._unrelated_source(answer, texts)
            if unrelated is not None:
                removed = (*removed, unrelated)
            mismatch = type_mismatch(answer.question, answer.text) if answer.sentences else None
            if not answer.sentences or unrelated is not None or mismatch is not None:
                found = (UNRELATED_SOURCE if unrelated is not None else None, mismatch)
                why = tuple(r for r in found if r is not None) or (NOTHING_LEFT,)
                check = AnswerCheck(0.0, threshold, True, (), self._clock() - started, removed, why)
                return self._withheld(answer, check)
            signals, verdicts = self.judge(
                answer.question,
                answer.sentences,
                texts,
                answer.token_logprobs,
                answer.span_guess,
            )
            features = answer_features(signals)
            confidence = self._shifts.apply("draft", self._calibrator.probability(features))
            if confidence < threshold:
                reasons = tuple(
                    withheld_drafted_reasons(self._calibrator, features, confidence, threshold)
                )
            else:
                reasons = tuple(drafted_reasons(self._calibrator, features))
        seconds = self._clock() - started
        if confidence < threshold:
            check = AnswerCheck(confidence, threshold, True, (), seconds, removed, reasons)
            return self._withheld(answer, check)
        check = AnswerCheck(
            confidence, threshold, False, tuple(verdicts), seconds, removed, reasons
        )
        return replace(answer, check=check)

    def _unrelated_source(self, answer: Answer, texts: Sequence[str]) -> str | None:
        """Why the drafted answer is withheld when every claim it makes comes from a table row
        that shares too little with the question (``None`` when one claim is about the
        question, comes from prose, or nothing can be judged)."""
        relevances = []
        for sentence in answer.sentences:
            cited = [texts[n - 1] for n in sentence.citations if 0 < n <= len(texts)]
            source = claim_source(answer.question, sentence.text, cited or texts)
            if source is None:
                continue
            piece, relevance = source
            if relevance >= self._min_source_relevance or not is_table_row(piece):
                return None
            relevances.append(relevance)
        if not relevances:
            return None
        return (
            "The drafted answer was taken from a table row that shares "
            f"{max(relevances):.0%} of the question's words, too little to be about it."
        )

    @staticmethod
    def _with_number_provenance(
        answer: Answer, texts: Sequence[str]
    ) -> tuple[Answer, tuple[str, ...]]:
        """The drafted answer with formula results recomputed and sentences that state an
        invented figure removed, and why each was removed."""
        provenance = check_numbers(answer.sentences, texts)
        if not provenance.removed and not provenance.recomputed:
            return answer, ()
        kept = replace(
            answer, sentences=provenance.sentences, text=render_sentences(provenance.sentences)
        )
        return kept, tuple(f'Removed "{r.text}": {r.reason}.' for r in provenance.removed)

    @staticmethod
    def _withheld(answer: Answer, check: AnswerCheck) -> Answer:
        return replace(
            answer,
            text=ABSTENTION,
            sentences=(),
            abstained=True,
            invalid_citations=(),
            check=replace(check, withheld_text=answer.text),
        )
