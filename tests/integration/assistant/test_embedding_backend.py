"""The ONNX backends with the packaged all-MiniLM-L6-v2: exported through the product's own
path, their vectors agree with sentence-transformers' (loads the real model): closely for int8
weights, to rounding for the fp32 graph run by OpenVINO (in bfloat16 where the CPU has it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embedding_backend import settings_embedder
from assistant.settings import IndexSettings
from indexes.embedder import SentenceTransformerEmbedder

pytestmark = pytest.mark.integration

TEXTS = [
    "The tenant must pay the monthly rent on the first day of each month.",
    "Either party may end this agreement by giving ninety days written notice.",
    "Net revenue grew by twelve percent compared with the prior year.",
    "The board declared a quarterly dividend of fifty cents per share.",
    "Patients with high blood pressure received a daily dose of the drug.",
    "Children under twelve were excluded from the clinical trial.",
    "When is the rent due?",
    "How much did revenue grow?",
    "Who was left out of the trial?",
    "Operating income, segment results and cash flows for the year. " * 40,  # past 256 tokens
]


def test_int8_vectors_agree_with_the_plain_model(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    settings = IndexSettings.model_validate({"embedding_backend": "onnx-int8"})
    embedder = settings_embedder(settings, tmp_path / "model-cache")
    vectors = embedder.encode(TEXTS)
    plain = minilm.encode(TEXTS)
    assert vectors.shape == plain.shape and embedder.dim == minilm.dim
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(vectors * plain, axis=1)
    assert cosines.min() >= 0.97, cosines
    assert cosines.mean() >= 0.98, cosines
    questions, passages = slice(6, 9), slice(0, 6)
    nearest = np.argmax(vectors[questions] @ vectors[passages].T, axis=1)
    assert nearest.tolist() == np.argmax(plain[questions] @ plain[passages].T, axis=1).tolist()


def test_openvino_vectors_are_the_plain_models_to_rounding(
    tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    settings = IndexSettings.model_validate({"embedding_backend": "openvino"})
    embedder = settings_embedder(settings, tmp_path / "model-cache")
    vectors = embedder.encode(TEXTS)
    plain = minilm.encode(TEXTS)
    assert embedder.model_name == minilm.model_name
    cosines = np.sum(vectors * plain, axis=1)
    assert cosines.min() >= 0.9999, cosines
    scores, plain_scores = vectors[6:9] @ vectors[:6].T, plain[6:9] @ plain[:6].T
    np.testing.assert_allclose(scores, plain_scores, atol=2e-3)
