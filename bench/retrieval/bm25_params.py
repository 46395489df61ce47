"""BM25's ``k1`` and ``b`` on the dev halves, to choose the product's defaults.

``k1`` sets how fast repeated terms stop adding to a score (low: a term counts about once),
``b`` how much long chunks are penalised. Each pair of the grid gets its own index over a
set's passages, tokenized by the product's tokenizer, and is scored on dev queries only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

from bench.retrieval.metrics import mean
from bench.retrieval.qrels import EvalSet, Query
from indexes.bm25 import BM25Index
from indexes.protocols import IndexedChunk
from indexes.tokenize import Tokenizer

K1S = (0.3, 0.6, 0.9, 1.2, 1.5)
BS = (0.3, 0.5, 0.75, 1.0)

Params = tuple[float, float]


def bm25_grid() -> list[Params]:
    """Every ``(k1, b)`` pair tried, smaller values first."""
    return list(product(K1S, BS))


def label(params: Params) -> str:
    """A short label such as ``k1=0.9 b=0.4``."""
    return f"k1={params[0]:g} b={params[1]:g}"


def bm25_rankings(
    eval_set: EvalSet,
    queries: Sequence[Query],
    params: Params,
    tokenizer: Tokenizer,
    depth: int,
) -> dict[str, list[int]]:
    """Passage ids ranked by BM25 with ``params`` for each query, by query id."""
    k1, b = params
    index = BM25Index(tokenizer, k1=k1, b=b)
    index.add([IndexedChunk(p.passage_id, 1, p.text) for p in eval_set.passages])
    return {
        query.query_id: [hit.chunk_id for hit in index.search(query.text, depth)]
        for query in queries
    }


def choose_params(dev: Mapping[str, Mapping[str, float]]) -> str:
    """The label with the best dev nDCG@10 averaged over the sets (the first of equals)."""
    return max(dev, key=lambda name: mean(dev[name].values()))
