"""The answer check the settings ask for, built from the bundled or configured artefacts."""

from __future__ import annotations

from functools import partial

from assistant.collection_settings import answer_threshold
from assistant.guard.answer_shifts import ConfidenceShifts
from assistant.guard.calibrator import BUNDLED_CALIBRATOR, Calibrator
from assistant.guard.cross_encoder import BUNDLED_DETECTOR, CrossEncoderDetector
from assistant.guard.facts import FactDetector
from assistant.guard.phrases import PhraseDetector
from assistant.guard.policy import AnswerChecker
from assistant.guard.protocols import HallucinationDetector
from assistant.settings import GuardSettings


def build_detectors(settings: GuardSettings) -> list[HallucinationDetector]:
    """The detectors named in the settings, in order."""
    detectors: list[HallucinationDetector] = []
    for name in settings.detectors:
        if name == "facts":
            detectors.append(FactDetector())
        elif name == "phrases":
            detectors.append(PhraseDetector())
        else:
            adapter = settings.detector or BUNDLED_DETECTOR
            detectors.append(CrossEncoderDetector(adapter, threads=settings.threads))
    return detectors


def build_checker(settings: GuardSettings) -> AnswerChecker:
    """The checker; a detector model loads on first use, the calibrator and the confidence
    shifts (small JSON files) now, so a missing or stale artefact is reported at start rather
    than at the first question."""
    return AnswerChecker(
        detectors=build_detectors(settings),
        calibrator=Calibrator.load(settings.calibrator or BUNDLED_CALIBRATOR),
        threshold=partial(answer_threshold, settings),
        sentence_threshold=settings.sentence_threshold,
        min_source_relevance=settings.min_source_relevance,
        shifts=ConfidenceShifts.load(),
    )
