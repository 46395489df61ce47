"""Keeping earlier sizes when the search latency benchmark reruns one size."""

from __future__ import annotations

from bench.search_latency import merged_sizes


def test_new_rows_replace_their_size_and_others_stay() -> None:
    previous = [{"size": 10_000, "run": "old"}, {"size": 100_000, "run": "old"}]
    measured = [{"size": 1_000_000, "run": "new"}, {"size": 10_000, "run": "new"}]
    merged = merged_sizes(previous, measured)
    assert [(row["size"], row["run"]) for row in merged] == [
        (10_000, "new"),
        (100_000, "old"),
        (1_000_000, "new"),
    ]
    assert previous == [{"size": 10_000, "run": "old"}, {"size": 100_000, "run": "old"}]


def test_nothing_earlier_keeps_the_measured_rows() -> None:
    assert merged_sizes([], [{"size": 5}]) == [{"size": 5}]
