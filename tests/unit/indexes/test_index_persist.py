from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import indexes.bm25
from indexes import persist
from indexes.bm25 import BM25Index
from indexes.persist import (
    IndexFormatError,
    atomic_directory,
    load_array,
    read_manifest,
    save_array,
    write_manifest,
)
from indexes.protocols import IndexedChunk


def write_version(target: Path, version: str) -> None:
    with atomic_directory(target) as staging:
        (staging / "data.txt").write_text(version)
        write_manifest(staging, {"kind": "test", "format_version": 1})


def leftovers(parent: Path) -> list[str]:
    return sorted(name for name in os.listdir(parent) if name.startswith("."))


def test_atomic_directory_replaces_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "index"
    write_version(target, "one")
    write_version(target, "two")
    assert (target / "data.txt").read_text() == "two"
    assert leftovers(tmp_path) == []


def test_failure_inside_the_block_keeps_the_old_directory(tmp_path: Path) -> None:
    target = tmp_path / "index"
    write_version(target, "one")
    with pytest.raises(RuntimeError), atomic_directory(target) as staging:
        (staging / "data.txt").write_text("half")
        raise RuntimeError("disk full")
    assert (target / "data.txt").read_text() == "one"
    assert leftovers(tmp_path) == []


def test_failed_final_rename_puts_the_old_directory_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index"
    write_version(target, "one")
    real_rename = os.rename

    def failing_rename(source: str | Path, destination: str | Path) -> None:
        if ".staging-" in str(source):
            raise OSError("rename failed")
        real_rename(source, destination)

    monkeypatch.setattr(persist.os, "rename", failing_rename)
    with pytest.raises(OSError, match="rename failed"):
        write_version(target, "two")
    assert (target / "data.txt").read_text() == "one"
    assert leftovers(tmp_path) == []


def test_crash_between_the_renames_is_recovered_on_read(tmp_path: Path) -> None:
    target = tmp_path / "index"
    write_version(target, "one")
    os.rename(target, tmp_path / ".index.previous")
    assert read_manifest(target, kind="test", format_version=1)["kind"] == "test"
    assert (target / "data.txt").read_text() == "one"


def test_manifest_checks(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no index"):
        read_manifest(tmp_path / "missing", kind="test", format_version=1)
    write_version(tmp_path / "index", "one")
    with pytest.raises(IndexFormatError, match="format version 1, but this version reads"):
        read_manifest(tmp_path / "index", kind="test", format_version=2)
    with pytest.raises(IndexFormatError, match="kind 'test', expected 'bm25'"):
        read_manifest(tmp_path / "index", kind="bm25", format_version=1)
    (tmp_path / "index" / "manifest.json").write_text("{not json")
    with pytest.raises(IndexFormatError, match="not valid JSON"):
        read_manifest(tmp_path / "index", kind="test", format_version=1)


def test_arrays_round_trip_memory_mapped_and_without_pickles(tmp_path: Path) -> None:
    save_array(tmp_path, "ids", np.arange(5, dtype=np.int64))
    loaded = load_array(tmp_path, "ids")
    assert isinstance(loaded, np.memmap)
    assert not loaded.flags.writeable
    assert loaded.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        save_array(tmp_path, "objects", np.array([{"a": 1}], dtype=object))
    with pytest.raises(IndexFormatError, match="missing"):
        load_array(tmp_path, "absent")


def test_bm25_save_failing_midway_leaves_the_previous_index_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = BM25Index()
    index.add([IndexedChunk(n, 1, f"lease renewal option {n}") for n in range(10)])
    index.save(tmp_path / "bm25")
    index.add([IndexedChunk(100, 1, "lease termination")])
    calls = 0
    real_save_array = indexes.bm25.save_array

    def failing_save_array(directory: Path, name: str, array: np.ndarray) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError("no space left on device")
        real_save_array(directory, name, array)

    monkeypatch.setattr(indexes.bm25, "save_array", failing_save_array)
    with pytest.raises(OSError, match="no space"):
        index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.chunk_ids() == set(range(10))
    assert json.loads((tmp_path / "bm25" / "manifest.json").read_text())["counts"]["chunks"] == 10
    assert leftovers(tmp_path) == []
