"""A small trained cross-encoder that reads a claim beside its evidence and scores support.

No entailment model ships offline, so the project trains one: the packaged all-MiniLM-L6-v2
encoder with a LoRA adapter, mean pooling and a one-logit head
(``python -m training.guard.train_detector``).
Only the adapter and the head are stored (a few MB, in ``assistant/models/detector``); the
encoder weights come from the installed package. The input is ``question [SEP] sentence`` as the
first segment and the best evidence window (``assistant.guard.evidence``) as the second. The
torch model (``assistant.guard.pair_classifier``) is imported on first use, so an answer that
needs no detector (one read from a table) never waits for torch to load.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.guard.evidence import evidence_window
from assistant.guard.protocols import DetectionInput, SentenceSupport
from assistant.model_loading import MODEL_LOADING

BUNDLED_DETECTOR = Path(__file__).resolve().parent.parent / "models" / "detector"
HEAD_FILE = "head.safetensors"
MAX_TOKENS = 160
CLAIM_TOKENS = 64
EVIDENCE_CHARS = 450


@dataclass(frozen=True)
class ClaimPair:
    """One sentence to judge, with the question it answers and its evidence window."""

    question: str
    sentence: str
    evidence: str


def pair_for(question: str, sentence: str, passages: Sequence[str]) -> ClaimPair:
    return ClaimPair(question, sentence, evidence_window(sentence, passages, EVIDENCE_CHARS))


def encode_pairs(tokenizer: Any, pairs: Sequence[ClaimPair]) -> Any:
    """Token tensors for ``pairs``; the claim is cut to ``CLAIM_TOKENS`` before the evidence
    fills the rest, so a long question never pushes the evidence out."""
    claims = []
    for pair in pairs:
        ids = tokenizer.encode(
            f"{pair.question} {tokenizer.sep_token} {pair.sentence}", add_special_tokens=False
        )
        claims.append(tokenizer.decode(ids[-CLAIM_TOKENS:]))
    return tokenizer(
        claims,
        [p.evidence for p in pairs],
        truncation="only_second",
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )


class CrossEncoderDetector:
    """``HallucinationDetector`` backed by the trained cross-encoder."""

    def __init__(self, adapter: Path = BUNDLED_DETECTOR, *, threads: int | None = None) -> None:
        self._adapter = adapter
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    @property
    def name(self) -> str:
        return "cross-encoder"

    def warm_up(self) -> None:
        self._model()

    def _model(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                if not (self._adapter / "adapter_config.json").is_file():
                    raise FileNotFoundError(f"no detector adapter in {self._adapter}")
                import torch

                from assistant.guard.pair_classifier import load_classifier

                if self._threads:
                    torch.set_num_threads(self._threads)
                with MODEL_LOADING:
                    model, tokenizer = load_classifier(self._adapter)
                model.eval()
                self._loaded = (model, tokenizer)
            return self._loaded

    def score(self, pairs: Sequence[ClaimPair]) -> list[float]:
        """Probability of support for each pair."""
        if not pairs:
            return []
        import torch

        model, tokenizer = self._model()
        with torch.inference_mode():
            logits = model(**encode_pairs(tokenizer, pairs))
        return [float(p) for p in torch.sigmoid(logits)]

    def detect(self, item: DetectionInput) -> tuple[SentenceSupport, ...]:
        pairs = [
            pair_for(item.question, sentence.text, item.evidence_for(index))
            for index, sentence in enumerate(item.sentences)
        ]
        return tuple(SentenceSupport(probability=p) for p in self.score(pairs))
