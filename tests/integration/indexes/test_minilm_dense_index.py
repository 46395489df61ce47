"""The dense index with the packaged all-MiniLM-L6-v2 model (loads the real model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.embedder import SentenceTransformerEmbedder
from indexes.hybrid import HybridIndex
from indexes.protocols import IndexedChunk

pytestmark = pytest.mark.integration

SENTENCES = [
    "The tenant must pay the monthly rent on the first day of each month.",
    "Either party may end this agreement by giving ninety days written notice.",
    "The supplier is not liable for indirect or consequential losses.",
    "All disputes shall be settled by arbitration in London.",
    "The employee may not work for a competitor for two years after leaving.",
    "Confidential information must not be disclosed to third parties.",
    "This contract is governed by the laws of the State of New York.",
    "Net revenue grew by twelve percent compared with the prior year.",
    "The company recorded a goodwill impairment charge in the fourth quarter.",
    "Operating cash flow was used mainly to repay long-term debt.",
    "The board declared a quarterly dividend of fifty cents per share.",
    "Inventory is valued at the lower of cost and net realisable value.",
    "Foreign exchange movements reduced reported earnings.",
    "Patients with high blood pressure received a daily dose of the drug.",
    "The most common side effect was mild headache.",
    "Children under twelve were excluded from the clinical trial.",
    "The vaccine reduced hospital admissions by half.",
    "Diabetes patients showed lower blood sugar after six months.",
    "The surgery was followed by two weeks of physical therapy.",
    "Smoking increased the risk of lung cancer in the study population.",
]

PARAPHRASES = [
    ("Can the worker join a rival firm after quitting?", 4),
    ("How much did sales rise versus last year?", 7),
    ("What adverse reaction occurred most often?", 14),
    ("How can the contract be cancelled?", 1),
]


@pytest.fixture
def embedder(minilm: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    return minilm


def test_embeddings_are_normalised_384_dimensional(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.encode(SENTENCES[:3])
    assert embedder.dim == 384
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_paraphrase_ranks_the_right_sentence_first(
    embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    index = DenseIndex(embedder)
    index.add([IndexedChunk(n, n // 7, text) for n, text in enumerate(SENTENCES)])
    for query, expected in PARAPHRASES:
        assert index.search(query, 3)[0].chunk_id == expected, query
    index.save(tmp_path / "dense")
    loaded = DenseIndex.load(tmp_path / "dense", embedder)
    for query, expected in PARAPHRASES:
        assert loaded.search(query, 1)[0].chunk_id == expected, query


def test_hybrid_search_keeps_the_paraphrase_match(embedder: SentenceTransformerEmbedder) -> None:
    index = HybridIndex(BM25Index(), DenseIndex(embedder))
    index.add([IndexedChunk(n, 1, text) for n, text in enumerate(SENTENCES)])
    for query, expected in PARAPHRASES:
        assert expected in {hit.chunk_id for hit in index.search(query, 3)}, query
