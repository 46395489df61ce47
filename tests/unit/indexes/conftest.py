"""Fixtures for the index tests."""

from __future__ import annotations

import pytest

from tests.unit.indexes.index_fakes import HashingEmbedder


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def make_embedder() -> type[HashingEmbedder]:
    """The fake embedder class, for tests that need one with other settings."""
    return HashingEmbedder
