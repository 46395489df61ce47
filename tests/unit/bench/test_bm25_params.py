"""The BM25 parameter study of the retrieval benchmark."""

from __future__ import annotations

from bench.retrieval.bm25_params import (
    BS,
    K1S,
    bm25_grid,
    bm25_rankings,
    choose_params,
    label,
)
from bench.retrieval.qrels import EvalSet, Passage, Query
from indexes.tokenize import Tokenizer


def test_grid_and_labels() -> None:
    grid = bm25_grid()
    assert len(grid) == len(K1S) * len(BS)
    assert len({label(params) for params in grid}) == len(grid)
    assert label((0.9, 0.4)) == "k1=0.9 b=0.4"


def test_choice_is_the_best_mean_and_the_first_of_equals() -> None:
    dev = {
        "k1=0.3 b=1": {"a": 0.5, "b": 0.5},
        "k1=0.6 b=1": {"a": 0.9, "b": 0.3},
        "k1=0.9 b=1": {"a": 0.6, "b": 0.6},
        "k1=1.2 b=1": {"a": 0.7, "b": 0.5},
    }
    assert choose_params(dev) == "k1=0.6 b=1"
    dev["k1=0.6 b=1"] = {"a": 0.6, "b": 0.5}
    assert choose_params(dev) == "k1=0.9 b=1"


def test_k1_decides_whether_repeats_count() -> None:
    passages = (
        Passage(1, "lease lease lease lease lease rent", 1),
        Passage(2, "lease clause term", 2),
        Passage(3, "unrelated audit fee", 3),
        Passage(4, "unrelated drug dose", 4),
    )
    query = Query("q", "lease clause", frozenset({2}))
    eval_set = EvalSet("tiny", passages, (query,))
    tokenizer = Tokenizer()
    saturated = bm25_rankings(eval_set, [query], (0.0, 0.0), tokenizer, 10)
    assert saturated["q"][0] == 2
    assert set(saturated["q"]) == {1, 2}
