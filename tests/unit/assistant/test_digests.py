"""Remembered digests: an unchanged file is not read again, any change is hashed again, a file
changed too recently to tell is never remembered, and a broken memo is only a missed shortcut."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from assistant import digests
from assistant.digests import SETTLE_S, DigestMemo, file_sha256, folder_sha256


def later() -> float:
    """A clock past the settling time of every file the test writes."""
    return time.time() + 10 * SETTLE_S


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read to hash them."""
    seen: list[Path] = []
    real = digests.file_sha256

    def counted(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(digests, "file_sha256", counted)
    return seen


def test_an_unchanged_file_is_not_read_again_even_by_another_process(
    tmp_path: Path, reads: list[Path]
) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"abc" * 1000)
    memo = DigestMemo(tmp_path / "memo.json", clock=later)
    expected = hashlib.sha256(b"abc" * 1000).hexdigest()
    assert memo.file_sha256(weights) == expected
    assert memo.file_sha256(weights) == expected
    assert DigestMemo(tmp_path / "memo.json", clock=later).file_sha256(weights) == expected
    assert reads == [weights]


def test_a_changed_file_is_hashed_again(tmp_path: Path, reads: list[Path]) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"abc" * 1000)
    memo = DigestMemo(tmp_path / "memo.json", clock=later)
    memo.file_sha256(weights)
    weights.write_bytes(b"abd" * 1000)  # same size; its times move on
    stamp = time.time_ns() + 5_000_000_000
    os.utime(weights, ns=(stamp, stamp))
    assert DigestMemo(tmp_path / "memo.json", clock=later).file_sha256(weights) == file_sha256(
        weights
    )
    weights.write_bytes(b"abd" * 999)  # truncated
    assert memo.file_sha256(weights) == hashlib.sha256(b"abd" * 999).hexdigest()
    replaced = tmp_path / "new.bin"
    replaced.write_bytes(b"xyz" * 999)
    replaced.replace(weights)
    assert memo.file_sha256(weights) == hashlib.sha256(b"xyz" * 999).hexdigest()
    assert len(reads) == 4


def test_a_file_changed_just_now_is_never_remembered(tmp_path: Path, reads: list[Path]) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"fresh")
    memo = DigestMemo(tmp_path / "memo.json")  # the real clock: the file is seconds old at most
    memo.file_sha256(weights)
    memo.file_sha256(weights)
    assert len(reads) == 2
    assert not (tmp_path / "memo.json").exists()


def test_a_broken_or_unwritable_memo_only_costs_a_read(tmp_path: Path) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"abc")
    (tmp_path / "memo.json").write_text("{not json")
    assert DigestMemo(tmp_path / "memo.json", clock=later).file_sha256(weights) == file_sha256(
        weights
    )
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    memo = DigestMemo(blocked / "memo.json", clock=later)
    assert memo.file_sha256(weights) == file_sha256(weights)


def test_a_folder_digest_is_the_same_with_or_without_a_memo(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("one")
    (folder / "sub" / "b.txt").write_text("two")
    (folder / ".hidden").write_text("left out")
    memo = DigestMemo(tmp_path / "memo.json", clock=later)
    assert folder_sha256(folder, memo) == folder_sha256(folder) == folder_sha256(folder, memo)


def test_files_since_removed_are_forgotten(tmp_path: Path) -> None:
    old, new = tmp_path / "old.bin", tmp_path / "new.bin"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    memo = DigestMemo(tmp_path / "memo.json", clock=later)
    memo.file_sha256(old)
    old.unlink()
    memo.file_sha256(new)
    remembered = json.loads((tmp_path / "memo.json").read_text())
    assert list(remembered) == [str(new.resolve())]
