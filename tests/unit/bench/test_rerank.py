"""Pure parts of the second-stage study: the per-collection choice of a setting."""

from __future__ import annotations

from bench.retrieval.rerank import choose_setting


def test_a_weight_is_chosen_only_for_a_significant_dev_gain() -> None:
    without = [0.5] * 40
    clear = {0.25: [0.55] * 40, 0.5: [0.6] * 40}
    assert choose_setting(clear, without, 0.05) == 0.5
    few = {0.25: [0.9, 0.5, 0.5], 0.5: [0.5, 0.5, 0.5]}
    assert choose_setting(few, [0.5, 0.5, 0.5], 0.05) is None
    worse = {0.25: [0.4] * 40}
    assert choose_setting(worse, without, 0.05) is None


def test_fusion_and_second_stage_are_chosen_together() -> None:
    without = [0.5] * 40
    dev = {
        ("own fusion", None): [0.58] * 40,
        ("default", 1.0): [0.6] * 40,
        ("own fusion", 1.0): [0.62] * 40,
    }
    assert choose_setting(dev, without, 0.05) == ("own fusion", 1.0)
    unchanged = {("default", None): without, ("own fusion", None): [0.5] * 39 + [0.51]}
    assert choose_setting(unchanged, without, 0.05) is None
