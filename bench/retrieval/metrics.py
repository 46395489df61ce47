"""Ranking metrics with binary relevance, as used in the retrieval benchmark.

A ranking is a sequence of evaluation units (chunk ids, or ``(document, page)`` pairs when a
set is judged by page). Relevance is binary: a unit is relevant or it is not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from typing import TypeVar

Unit = TypeVar("Unit", bound=Hashable)
Item = TypeVar("Item")


def ndcg_at_k(ranking: Sequence[Hashable], relevant: Collection[Hashable], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first ``k`` units.

    Gain 1 at rank ``r`` (1-based) is discounted by ``log2(r + 1)``; the ideal ranking puts
    ``min(k, len(relevant))`` relevant units first. A query without relevant units scores 0:
    it cannot be answered, so it must not look like a success.
    """
    _check_k(k)
    if not relevant:
        return 0.0
    gains = sum(
        1.0 / math.log2(rank + 2) for rank, unit in enumerate(ranking[:k]) if unit in relevant
    )
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gains / ideal


def recall_at_k(ranking: Sequence[Hashable], relevant: Collection[Hashable], k: int = 10) -> float:
    """Share of the relevant units found among the first ``k``; 0 when none are relevant."""
    _check_k(k)
    if not relevant:
        return 0.0
    return len(set(ranking[:k]) & set(relevant)) / len(relevant)


def ranked_units(ranking: Iterable[Item], unit_of: Callable[[Item], Unit]) -> list[Unit]:
    """The units of ``ranking`` in order, each kept at its first (best) rank only.

    Several chunks of one page count once when a set is judged by page, so a page does not
    fill the top ``k`` with copies of itself.
    """
    seen: set[Unit] = set()
    units: list[Unit] = []
    for item in ranking:
        unit = unit_of(item)
        if unit not in seen:
            seen.add(unit)
            units.append(unit)
    return units


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0 for no values."""
    collected = list(values)
    return sum(collected) / len(collected) if collected else 0.0


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
