"""Other ways to put BM25 and cosine scores on one scale before a convex sum.

The product normalises each index's candidates by min-max (``indexes.fusion.convex_fusion``),
which pins every query's best and worst candidate to 1 and 0 whatever the gap between them.
Two alternatives are measured against it:

* ``zscore``: subtract the candidates' mean and divide by their standard deviation, so a
  score says how far it stands out of its own list; a chunk missing from a list gets that
  list's lowest value.
* ``distribution``: min-max between mean - 3 sd and mean + 3 sd of the candidates, clipped
  to [0, 1], so the scale follows the whole list rather than its two extremes, and the last
  candidate is not made equal to a chunk the index did not return; a missing chunk gets 0.

Ties are broken as in ``indexes.fusion``: by a chunk's first position, rank by rank.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from indexes.fusion import ordered_by_score
from indexes.protocols import SearchHit

Normalisation = Literal["minmax", "zscore", "distribution"]
NORMALISATIONS: tuple[Normalisation, ...] = ("minmax", "zscore", "distribution")


def normalised_scores(
    ranking: Sequence[SearchHit], how: Normalisation
) -> tuple[dict[int, float], float]:
    """Each chunk's normalised score (best position of a repeated chunk) and the value a
    chunk absent from ``ranking`` gets."""
    best = {hit.chunk_id: hit.score for hit in reversed(ranking)}
    if not best:
        return {}, 0.0
    scores = list(best.values())
    if not all(math.isfinite(score) for score in scores):
        raise ValueError("normalisation needs finite scores")
    if how == "minmax":
        low, high = min(scores), max(scores)
        spread = high - low
        return {c: (s - low) / spread if spread > 0 else 1.0 for c, s in best.items()}, 0.0
    mean = sum(scores) / len(scores)
    deviation = math.sqrt(sum((score - mean) ** 2 for score in scores) / len(scores))
    if how == "zscore":
        if deviation == 0:
            return dict.fromkeys(best, 0.0), 0.0
        normalised = {c: (s - mean) / deviation for c, s in best.items()}
        return normalised, min(normalised.values())
    if how == "distribution":
        if deviation == 0:
            return dict.fromkeys(best, 1.0), 0.0
        low = mean - 3 * deviation
        return {c: min(1.0, max(0.0, (s - low) / (6 * deviation))) for c, s in best.items()}, 0.0
    raise ValueError(f"unknown normalisation {how!r}")


def normalised_fusion(
    rankings: Sequence[Sequence[SearchHit]], weights: Sequence[float], how: Normalisation
) -> list[int]:
    """Chunk ids ranked by the weighted sum of their normalised scores."""
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    fused = dict.fromkeys((hit.chunk_id for ranking in rankings for hit in ranking), 0.0)
    for ranking, weight in zip(rankings, weights, strict=True):
        scores, missing = normalised_scores(ranking, how)
        for chunk_id in fused:
            fused[chunk_id] += weight * scores.get(chunk_id, missing)
    return [hit.chunk_id for hit in ordered_by_score(fused, rankings)]
