"""A fitted logistic regression applied at run time: standardised features, weights and a bias.

The calibrator and the phrase detector are both such a model. They are fitted offline with
scikit-learn (``training.logistic_fit``) and stored as JSON beside the other trained
artefacts; applying one is a weighted sum and a sigmoid, so the product needs no fitting library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Logistic:
    """A fitted mapping from a feature vector to a probability."""

    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    fitted_on: int = 0

    def probability(self, features: Sequence[float]) -> float:
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        score = self.bias + sum(
            w * (x - m) / s
            for w, x, m, s in zip(self.weights, features, self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))

    def save(self, path: Path, *, features: Sequence[str], format_version: int) -> None:
        """Write the model as JSON, replacing ``path`` atomically."""
        payload: dict[str, Any] = {
            "format_version": format_version,
            "features": list(features),
            "means": list(self.means),
            "scales": list(self.scales),
            "weights": list(self.weights),
            "bias": self.bias,
            "fitted_on": self.fitted_on,
        }
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path, *, features: Sequence[str], format_version: int) -> Logistic:
        """The model in ``path``; refuses one fitted for other features or another format."""
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format_version") != format_version or payload.get("features") != list(
            features
        ):
            raise ValueError(f"{path} was fitted for other features; refit it")
        return cls(
            means=tuple(payload["means"]),
            scales=tuple(payload["scales"]),
            weights=tuple(payload["weights"]),
            bias=float(payload["bias"]),
            fitted_on=int(payload.get("fitted_on", 0)),
        )
