"""The cluster ingestion stages and the driver's vector hand-over, called without a cluster."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.ingestion.pipeline import FailedFile, PreparedFile, prepare_file
from assistant.ingestion.ray_pipeline import PrecomputedEmbedder, RayOptions
from assistant.ingestion.ray_stages import EmbedFiles, decode, index_texts, prepare_row
from assistant.ingestion.steps import FileSteps
from assistant.service import Assistant
from assistant.settings import Settings
from tests.unit.assistant.ingestion.fakes import fake_chunker, fake_parse
from tests.unit.indexes.index_fakes import HashingEmbedder


class RefusingEmbedder(HashingEmbedder):
    """Fails on any batch holding the word 'poison', as a model could on one bad input."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if any("poison" in text for text in texts):
            raise RuntimeError("cannot embed")
        return super().encode(texts)


def prepared_row(tmp_path: Path, position: int, name: str, text: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return prepare_row(
        {"position": position, "path": str(path)}, parse=fake_parse, chunker=fake_chunker
    )


def batch_of(rows: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    payloads = np.empty(len(rows), dtype=object)
    payloads[:] = [row["payload"] for row in rows]
    return {"position": np.array([row["position"] for row in rows]), "payload": payloads}


def test_prepare_row_turns_a_bad_file_into_a_failure_record(tmp_path: Path) -> None:
    good = prepared_row(tmp_path, 0, "good.txt", "one\n\ntwo")
    bad = prepared_row(tmp_path, 1, "bad.txt", "CORRUPT")
    missing = prepare_row(
        {"position": 2, "path": str(tmp_path / "gone.txt")}, parse=fake_parse, chunker=fake_chunker
    )

    item = pickle.loads(good["payload"])
    assert isinstance(item, PreparedFile) and [d.text for d in item.drafts] == ["one", "two"]
    failure = pickle.loads(bad["payload"])
    assert isinstance(failure, FailedFile) and failure.error_code == "corrupt_file"
    gone = pickle.loads(missing["payload"])
    assert isinstance(gone, FailedFile) and gone.error_code == "io"


def test_embed_files_gives_each_file_its_own_vectors(tmp_path: Path) -> None:
    rows = [
        prepared_row(tmp_path, 0, "a.txt", "alpha\n\nbeta\n\ngamma"),
        prepared_row(tmp_path, 1, "bad.txt", "CORRUPT"),
        prepared_row(tmp_path, 2, "b.txt", "delta"),
    ]

    out = EmbedFiles([HashingEmbedder])(batch_of(rows))

    assert list(out["position"]) == [0, 1, 2]
    (a, va), (bad, vbad), (b, vb) = (decode(p) for p in out["payload"])
    assert isinstance(a, PreparedFile) and isinstance(b, PreparedFile)
    assert isinstance(bad, FailedFile) and vbad is None
    assert va is not None and vb is not None and len(va) == len(vb) == 1
    np.testing.assert_allclose(va[0], HashingEmbedder().encode(index_texts(a)), atol=1e-6)
    np.testing.assert_allclose(vb[0], HashingEmbedder().encode(["b\ndelta"]), atol=1e-6)


def test_embed_files_embeds_with_the_second_stage_model_too(tmp_path: Path) -> None:
    rows = [
        prepared_row(tmp_path, 0, "a.txt", "alpha\n\nbeta"),
        prepared_row(tmp_path, 1, "b.txt", "delta"),
    ]
    second = partial(HashingEmbedder, dim=16, model_name="larger-test")

    out = EmbedFiles([HashingEmbedder, second])(batch_of(rows))

    for payload in out["payload"]:
        item, vectors = decode(payload)
        assert isinstance(item, PreparedFile) and vectors is not None
        first, larger = vectors
        texts = index_texts(item)
        np.testing.assert_allclose(first, HashingEmbedder().encode(texts), atol=1e-6)
        np.testing.assert_allclose(larger, second().encode(texts), atol=1e-6)
        assert larger.shape == (len(item.drafts), 16)


def test_a_file_the_model_refuses_fails_alone(tmp_path: Path) -> None:
    rows = [
        prepared_row(tmp_path, 0, "a.txt", "alpha"),
        prepared_row(tmp_path, 1, "p.txt", "poison pill"),
    ]

    out = EmbedFiles([HashingEmbedder, RefusingEmbedder])(batch_of(rows))

    (a, va), (p, vp) = (decode(payload) for payload in out["payload"])
    assert isinstance(a, PreparedFile) and va is not None
    assert [matrix.shape for matrix in va] == [(1, 64), (1, 64)]
    assert isinstance(p, FailedFile) and p.error_code == "internal" and vp is None


def test_embed_files_needs_a_model() -> None:
    with pytest.raises(ValueError, match="at least one embedder"):
        EmbedFiles([])


def test_file_steps_parse_and_chunk_as_the_service_does(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    sections = "\n\n".join(
        f"## Part {i}\n\n" + f"Sentence {i} about pumps. " * 60 for i in range(4)
    )
    path.write_text("# Guide\n\n" + sections, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data")
    service = Assistant(settings, embedder=HashingEmbedder())
    steps = FileSteps.from_settings(settings)

    ours = prepare_file(path, parse=steps.parse, chunker=steps.chunk)
    theirs = prepare_file(path, parse=service.parse, chunker=service.chunk)

    assert ours == theirs
    assert len(ours.drafts) > 4
    assert pickle.loads(pickle.dumps(steps)) == steps


def test_precomputed_embedder_serves_given_vectors_and_falls_back_for_others() -> None:
    fallback = HashingEmbedder(dim=8)
    embedder = PrecomputedEmbedder(fallback)
    given = np.eye(8, dtype=np.float32)[:2]
    embedder.remember(["first", "second"], given)

    np.testing.assert_array_equal(embedder.encode(["second", "first", "second"]), given[[1, 0, 1]])
    assert (embedder.misses, fallback.calls) == (0, 0)
    mixed = embedder.encode(["first", "unseen words"])
    np.testing.assert_array_equal(mixed[0], given[0])
    np.testing.assert_allclose(mixed[1], fallback.encode(["unseen words"])[0])
    assert embedder.misses == 1
    assert embedder.encode([]).shape == (0, 8)
    assert embedder.model_name == fallback.model_name
    with pytest.raises(ValueError, match="2 texts but 1 vectors"):
        embedder.remember(["a", "b"], given[:1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"workers": 0},
        {"cpus_per_worker": 0},
        {"files_per_batch": 0},
        {"parse_retries": -1},
        {"address": "auto", "num_cpus": 2},
    ],
)
def test_ray_options_refuse_impossible_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RayOptions(**kwargs)
