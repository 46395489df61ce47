from __future__ import annotations

import numpy as np

from bench.draft_agreement import cross_validated_auroc


def test_a_feature_that_tells_right_from_wrong_scores_high_out_of_fold() -> None:
    rng = np.random.default_rng(3)
    labels = rng.random(200) < 0.5
    telling = labels + rng.normal(0.0, 0.3, 200)
    noise = rng.normal(0.0, 1.0, 200)
    assert cross_validated_auroc(np.column_stack([telling, noise]), labels) > 0.9
    assert cross_validated_auroc(noise.reshape(-1, 1), labels) < 0.7
