"""Rebuilding the indexes from storage: what an index kept from an older build is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli
from assistant.service import Assistant
from assistant.settings import CollectionFusion, IndexSettings, Settings, StorageSettings
from assistant.storage import repository as repo
from indexes.bm25 import BM25Index
from indexes.dense import DenseIndex
from indexes.hybrid import HybridIndex
from indexes.protocols import IndexedChunk
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder, KeywordEmbedder


def _assistant(data_dir: Path, index: IndexSettings | None = None) -> Assistant:
    settings = Settings(
        data_dir=data_dir, storage=StorageSettings(url=None), index=index or IndexSettings()
    )
    return Assistant(settings, embedder=HashingEmbedder(), generator=ScriptedGenerator(["x"]))


def _lease(tmp_path: Path) -> Path:
    path = tmp_path / "Northwind_Lease_2024.txt"
    path.write_text("The tenant pays the rent on the first day of every month.")
    return path


def test_chunks_are_searchable_by_their_document_name(tmp_path: Path) -> None:
    service = _assistant(tmp_path / "data")
    service.ingest([_lease(tmp_path)], collection="c")

    (hit,) = service.search("Northwind lease", collections=["c"], k=5, mode="bm25")
    assert hit.chunk.file_name == "Northwind_Lease_2024.txt"


def _as_an_earlier_version_indexed_it(service: Assistant) -> int:
    """Rewrite the saved index as version 1 built it: chunk texts without the document name.
    Returns the id of the one chunk."""
    (stored,) = service.search("rent", collections=["c"], k=5, mode="bm25")
    chunk_id = stored.chunk.chunk_id
    with service.sessions() as session:
        (row,) = repo.chunks_by_ids(session=session, chunk_ids=[chunk_id]).values()
        collection_id = row.collection_id
    index_dir = service.settings.index_dir
    saved = HybridIndex.load(index_dir, HashingEmbedder())
    old = HybridIndex(saved.bm25, saved.dense, text_version=1)
    old.delete([chunk_id])
    old.add([IndexedChunk(chunk_id, collection_id, stored.chunk.text)])
    old.save(index_dir)
    return chunk_id


def test_rebuild_replaces_passages_indexed_without_their_document_name(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _assistant(data).ingest([_lease(tmp_path)], collection="c")
    chunk_id = _as_an_earlier_version_indexed_it(_assistant(data))
    service = _assistant(data)
    assert service.search("Northwind", collections=["c"], k=5, mode="bm25") == []
    report = service.check()
    assert report.consistent and report.outdated

    assert service.rebuild_index() == 1

    assert not service.check().outdated
    reopened = _assistant(data)
    assert not reopened.check().outdated
    (hit,) = reopened.search("Northwind", collections=["c"], k=5, mode="bm25")
    assert hit.chunk.chunk_id == chunk_id


def test_an_empty_index_of_an_earlier_version_is_not_outdated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    index_dir = _assistant(data).settings.index_dir
    HybridIndex(BM25Index(), DenseIndex(HashingEmbedder()), text_version=1).save(index_dir)
    service = _assistant(data)
    service.ingest([_lease(tmp_path)], collection="c")

    assert not service.check().outdated
    assert service.search("Northwind", collections=["c"], k=5, mode="bm25")


def test_rebuild_applies_the_current_bm25_settings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _assistant(data, IndexSettings(bm25_k1=1.2, bm25_b=0.75)).ingest(
        [_lease(tmp_path)], collection="c"
    )
    changed = _assistant(data, IndexSettings(bm25_k1=0.9, bm25_b=0.4))

    assert changed.rebuild_index() == 1

    manifests = [json.loads(p.read_text()) for p in data.rglob("manifest.json")]
    bm25 = [m for m in manifests if "k1" in m]
    assert [(m["k1"], m["b"]) for m in bm25] == [(0.9, 0.4)]


def test_check_tells_to_rebuild_and_rebuild_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    _assistant(data).ingest([_lease(tmp_path)], collection="c")
    _as_an_earlier_version_indexed_it(_assistant(data))
    monkeypatch.setattr(cli, "_service", lambda: _assistant(data))

    advised = CliRunner().invoke(cli.app, ["check"])
    assert advised.exit_code == 0, advised.output
    assert "assistant check --rebuild" in " ".join(advised.output.split())

    result = CliRunner().invoke(cli.app, ["check", "--rebuild"])

    assert result.exit_code == 0, result.output
    assert "--rebuild" not in result.output
    assert "rebuilt the indexes from storage: 1 chunks" in result.output
    assert "storage and indexes agree" in result.output


def test_turning_on_the_second_stage_fills_its_index_from_storage(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _assistant(data).ingest([_lease(tmp_path)], collection="c")
    settings = Settings(
        data_dir=data,
        storage=StorageSettings(url=None),
        index=IndexSettings(
            second_stage_model="keyword-test",
            collection_fusion={"c": CollectionFusion(second_stage_weight=0.75)},
        ),
    )
    second = KeywordEmbedder("rent")
    first = HashingEmbedder()
    service = Assistant(
        settings, embedder=first, second_embedder=second, generator=ScriptedGenerator(["x"])
    )
    report = service.check()
    assert report.missing == 1 and not report.consistent

    assert service.recover().repaired
    assert service.check().consistent
    assert first.calls == 0  # the first model's part already held the chunk
    (hit,) = service.search("rent", collections=["c"], k=5)
    assert hit.chunk.file_name == "Northwind_Lease_2024.txt"
    searches = second.calls
    service.search("rent", collections=["c"], k=5)
    assert second.calls == searches + 1  # the query, embedded once more by the second model


def test_a_chunk_left_in_one_part_only_is_removed_by_the_repair(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _assistant(data).ingest([_lease(tmp_path)], collection="c")
    index_dir = _assistant(data).settings.index_dir
    saved = HybridIndex.load(index_dir, HashingEmbedder())
    saved.dense.add([IndexedChunk(999, 1, "a chunk no longer stored")])
    saved.save(index_dir)
    service = _assistant(data)

    report = service.check()
    assert (report.missing, report.orphaned) == (0, 1)

    assert service.recover().repaired
    assert service.check().consistent
    assert 999 not in HybridIndex.load(index_dir, HashingEmbedder()).dense.chunk_ids()
