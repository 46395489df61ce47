"""BM25 with the product's default parameters still scores exactly as rank-bm25 does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from assistant.index_sync import hybrid_config
from assistant.settings import IndexSettings
from indexes.bm25 import BM25Index
from indexes.hybrid import open_hybrid_index
from indexes.protocols import IndexedChunk
from tests.unit.indexes.index_fakes import HashingEmbedder
from tests.unit.indexes.test_bm25_index import random_corpus

DEFAULTS = IndexSettings()


@pytest.mark.parametrize(
    ("k1", "b"), [(DEFAULTS.bm25_k1, DEFAULTS.bm25_b), (0.9, 0.4)], ids=["defaults", "other"]
)
def test_top_ten_matches_rank_bm25(k1: float, b: float) -> None:
    rng = np.random.default_rng(11)
    texts = random_corpus(rng, 800)
    index = BM25Index(k1=k1, b=b)
    index.add([IndexedChunk(n, 1, text) for n, text in enumerate(texts)])
    corpus = [index.tokenizer(text) for text in texts]
    reference = BM25Okapi(corpus, k1=k1, b=b)
    words = " ".join(texts).split()
    for _ in range(30):
        query = " ".join(rng.choice(words, size=3))
        tokens = index.tokenizer(query)
        scores = reference.get_scores(tokens)
        matching = [row for row, terms in enumerate(corpus) if set(tokens) & set(terms)]
        expected = sorted((scores[row] for row in matching), reverse=True)[:10]
        hits = index.search(query, 10)
        np.testing.assert_allclose([hit.score for hit in hits], expected, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(
            [scores[hit.chunk_id] for hit in hits], expected, rtol=1e-5, atol=1e-9
        )


def test_a_new_index_takes_the_configured_parameters(tmp_path: Path) -> None:
    texts = random_corpus(np.random.default_rng(3), 200)
    chunks = [IndexedChunk(n, 1, text) for n, text in enumerate(texts)]
    opened = open_hybrid_index(tmp_path / "index", hybrid_config(DEFAULTS), HashingEmbedder())
    opened.add(chunks)
    configured = BM25Index(k1=DEFAULTS.bm25_k1, b=DEFAULTS.bm25_b)
    classic = BM25Index()
    configured.add(chunks)
    classic.add(chunks)
    query = " ".join(texts[0].split()[:3])
    found = opened.search(query, 5, mode="bm25")
    assert found == configured.search(query, 5)
    assert [hit.score for hit in found] != [hit.score for hit in classic.search(query, 5)]
