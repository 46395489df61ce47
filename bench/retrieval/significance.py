"""Whether a gain measured on a handful of queries is more than noise.

A collection's own fusion setting is chosen on its dev queries. With a few dozen queries, or a
dozen, the best of 36 settings beats the default by chance alone, and the choice then loses on
unseen queries. The sign-flip test below asks how often the mean per-query gain would be as
large if each query's gain were as likely to have gone the other way.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

EXACT_UP_TO = 16
"""Non-zero gains up to which every sign pattern is enumerated (2**16 patterns)."""
ROUNDS = 20_000
SEED = 20240611


def gain_p_value(gains: Sequence[float], *, rounds: int = ROUNDS, seed: int = SEED) -> float:
    """One-sided p-value of a positive mean ``gains`` (per-query differences, new minus old)
    under the sign-flip null; 1.0 when nothing was gained.

    Exact for up to ``EXACT_UP_TO`` non-zero gains, otherwise estimated from ``rounds`` random
    sign patterns with a fixed seed (counting the observed pattern, so never 0).
    """
    nonzero = [gain for gain in gains if gain != 0]
    observed = sum(nonzero)
    if observed <= 0:
        return 1.0
    tolerance = 1e-12 * max(1.0, sum(abs(gain) for gain in nonzero))
    if len(nonzero) <= EXACT_UP_TO:
        patterns = list(itertools.product((1, -1), repeat=len(nonzero)))
        extreme = sum(
            sum(sign * gain for sign, gain in zip(pattern, nonzero, strict=True))
            >= observed - tolerance
            for pattern in patterns
        )
        return extreme / len(patterns)
    rng = random.Random(seed)
    extreme = sum(
        sum(gain if rng.random() < 0.5 else -gain for gain in nonzero) >= observed - tolerance
        for _ in range(rounds)
    )
    return (extreme + 1) / (rounds + 1)
