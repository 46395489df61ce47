"""Whether a gain measured on a handful of queries is more than noise.

A collection's own fusion setting is chosen on its dev queries. With a few dozen queries, or a
dozen, the best of 36 settings beats the default by chance alone, and the choice then loses on
unseen queries. The sign-flip test (``scipy.stats.permutation_test``, one sample, paired) asks
how often the summed per-query gain would be as large if each query's gain were as likely to
have gone the other way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import permutation_test

EXACT_UP_TO = 16
"""Non-zero gains up to which every sign pattern is enumerated (2**16 patterns)."""
ROUNDS = 20_000
SEED = 20240611
BATCH = 2_000
"""Sign patterns drawn at a time: bounds memory, and is quicker than one at a time or all."""


def _summed(gains: np.ndarray, axis: int) -> np.ndarray:
    return np.sum(gains, axis=axis)


def gain_p_value(gains: Sequence[float], *, rounds: int = ROUNDS, seed: int = SEED) -> float:
    """One-sided p-value of a positive mean ``gains`` (per-query differences, new minus old)
    under the sign-flip null; 1.0 when nothing was gained.

    Exact for up to ``EXACT_UP_TO`` non-zero gains, otherwise estimated from ``rounds`` random
    sign patterns with a fixed seed (counting the observed pattern, so never 0).
    """
    nonzero = np.array([gain for gain in gains if gain != 0], dtype=float)
    if nonzero.sum() <= 0:
        return 1.0
    if len(nonzero) == 1:
        return 0.5  # of its two signs, one reaches the gain; scipy wants two observations
    result = permutation_test(
        (nonzero,),
        _summed,
        permutation_type="samples",
        vectorized=True,
        n_resamples=2**EXACT_UP_TO if len(nonzero) <= EXACT_UP_TO else rounds,
        batch=BATCH,
        alternative="greater",
        rng=np.random.default_rng(seed),
    )
    return float(result.pvalue)
