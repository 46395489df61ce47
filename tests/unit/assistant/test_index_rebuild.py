"""Rebuilding the indexes from storage: what an index kept from an older build is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli
from assistant.service import Assistant
from assistant.settings import IndexSettings, Settings, StorageSettings
from assistant.storage import repository as repo
from indexes.protocols import IndexedChunk
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder


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


def test_rebuild_replaces_passages_indexed_without_their_document_name(tmp_path: Path) -> None:
    service = _assistant(tmp_path / "data")
    service.ingest([_lease(tmp_path)], collection="c")
    # what an older version indexed: the chunk text alone
    (stored,) = service.search("rent", collections=["c"], k=5, mode="bm25")
    chunk_id = stored.chunk.chunk_id
    with service.sessions() as session:
        collection_id = repo.chunks_by_ids(session=session, chunk_ids=[chunk_id])[
            chunk_id
        ].collection_id
    service.index.delete([chunk_id])
    service.index.add([IndexedChunk(chunk_id, collection_id, stored.chunk.text)])
    service.index.commit()
    assert service.search("Northwind", collections=["c"], k=5, mode="bm25") == []

    assert service.rebuild_index() == 1

    assert service.check().consistent
    reopened = _assistant(service.settings.data_dir)
    (hit,) = reopened.search("Northwind", collections=["c"], k=5, mode="bm25")
    assert hit.chunk.chunk_id == chunk_id


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


def test_check_rebuild_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = _assistant(tmp_path / "data")
    service.ingest([_lease(tmp_path)], collection="c")
    monkeypatch.setattr(cli, "_service", lambda: service)

    result = CliRunner().invoke(cli.app, ["check", "--rebuild"])

    assert result.exit_code == 0, result.output
    assert "rebuilt the indexes from storage: 1 chunks" in result.output
    assert "storage and indexes agree" in result.output
