"""Real models for integration tests, loaded once per test session."""

from __future__ import annotations

import pytest

from indexes.embedder import SentenceTransformerEmbedder


@pytest.fixture(scope="session")
def minilm() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    return embedder
