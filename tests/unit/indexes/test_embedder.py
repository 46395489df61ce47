from __future__ import annotations

from pathlib import Path

import pytest

from indexes.embedder import DEFAULT_MODEL_NAME, SentenceTransformerEmbedder


def test_construction_is_cheap_and_names_the_model(tmp_path: Path) -> None:
    assert SentenceTransformerEmbedder().model_name == DEFAULT_MODEL_NAME
    embedder = SentenceTransformerEmbedder(tmp_path / "legal-minilm", batch_size=8)
    assert embedder.model_name == "legal-minilm"


def test_a_missing_model_fails_on_first_use_with_a_clear_error(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="absent does not exist"):
        embedder.encode(["text"])
    with pytest.raises(FileNotFoundError):
        embedder.warm_up()


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        SentenceTransformerEmbedder(batch_size=0)
