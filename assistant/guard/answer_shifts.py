"""How far each kind of answer's confidence is moved to match the product's answers end to end.

Each answer path has its own calibrated confidence: a table reading's, a span reading's, and a
draft's. Each was fitted on its own kind of example (readings over a question's own table,
spans of HaluEval and TAT-QA passages, the generator's answers to questions handed to it
alone). In the product the paths meet retrieval and each other: a draft is written only for
what the readers leave, a reading may come from a retrieved table of another report. A constant
added to each path's logit (a prior shift, fitted offline on training-side questions answered
end to end by ``training.guard.fit_answer_shifts``) brings each confidence back in line with
how often that path's shown answers are right. The shifts ship as a small JSON file.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

BUNDLED_SHIFTS = Path(__file__).resolve().parent.parent / "models" / "answer_shifts.json"
Path_ = Literal["table", "span", "draft"]


@dataclass(frozen=True)
class ConfidenceShifts:
    """The constant added to the logit of each path's confidence (0: unchanged)."""

    table: float = 0.0
    span: float = 0.0
    draft: float = 0.0

    def apply(self, path: Path_, confidence: float) -> float:
        """``confidence`` moved by its path's shift; 0 and 1 stay as they are."""
        return shift_confidence(confidence, getattr(self, path))

    @classmethod
    def load(cls, path: Path = BUNDLED_SHIFTS) -> ConfidenceShifts:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{name: float(payload[name]) for name in ("table", "span", "draft")})

    def save(self, path: Path, **notes: object) -> None:
        """Write the shifts (with ``notes`` on how they were fitted), replacing ``path``."""
        temporary = path.with_suffix(".tmp")
        payload = {**asdict(self), **notes}
        temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)


NO_SHIFTS = ConfidenceShifts()


def shift_confidence(confidence: float, shift: float) -> float:
    """``confidence`` with ``shift`` added to its logit; 0 and 1 stay as they are."""
    if not 0.0 < confidence < 1.0:
        return confidence
    return 1 / (1 + math.exp(-(math.log(confidence / (1 - confidence)) + shift)))
