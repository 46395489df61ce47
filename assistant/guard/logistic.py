"""A logistic regression small enough to read: standardised features, weights and a bias.

The calibrator and the phrase detector are both such a model, fitted by Newton's method with a
small ridge penalty and stored as JSON beside the other trained artefacts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


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


def fit_logistic(
    features: Sequence[Sequence[float]], labels: Sequence[bool], *, ridge: float = 1.0
) -> Logistic:
    """Logistic regression by Newton's method; needs examples of both labels."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels, dtype=float)
    if x.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ValueError("features and labels must be non-empty and of the same length")
    if y.min() == y.max():
        raise ValueError("fitting needs examples of both labels")
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * ridge
    penalty[0, 0] = 0.0
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian + np.eye(len(w)) * 1e-9, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Logistic(
        means=tuple(float(v) for v in means),
        scales=tuple(float(v) for v in scales),
        weights=tuple(float(v) for v in w[1:]),
        bias=float(w[0]),
        fitted_on=len(x),
    )
