"""The limits on parsing one file and the checks that enforce them."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ingest.errors import CorruptFileError, FileTooLargeError, UnsafeArchiveError
from ingest.limits import (
    ParseLimits,
    check_file_size,
    check_page_count,
    check_text_size,
    check_zip_archive,
)

pytestmark = pytest.mark.reliability(
    "hostile input", "time, page, size and text limits on every parse"
)

MB = 1024 * 1024


def limits(**changes: float) -> ParseLimits:
    values: dict[str, float] = {
        "max_file_bytes": 10 * MB,
        "max_pages": 10,
        "max_chars": 1000,
        "max_unzipped_bytes": 10 * MB,
        "max_zip_ratio": 100,
        "max_zip_members": 50,
    }
    values.update(changes)
    return ParseLimits(**values)  # type: ignore[arg-type]


def test_limits_are_immutable() -> None:
    with pytest.raises(AttributeError):
        limits().max_pages = 3  # type: ignore[misc]


def test_file_size_is_returned_within_the_limit_and_refused_past_it(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(b"x" * 100)

    assert check_file_size(path, limits(max_file_bytes=100)) == 100
    with pytest.raises(FileTooLargeError, match=r"data\.txt is 100 bytes; the limit is 99 bytes"):
        check_file_size(path, limits(max_file_bytes=99))


def test_page_and_text_caps() -> None:
    check_page_count("a.pdf", 10, limits())
    check_text_size("a.pdf", 1000, limits())
    with pytest.raises(FileTooLargeError, match="11 pages"):
        check_page_count("a.pdf", 11, limits())
    with pytest.raises(FileTooLargeError, match="1,000 characters"):
        check_text_size("a.pdf", 1001, limits())


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_ordinary_archive_passes(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "ok.docx", {"word/document.xml": b"<w:document/>" * 100})

    check_zip_archive(path, limits())


def test_archive_expanding_past_the_cap_is_unsafe(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "big.docx", {"a.bin": bytes(3 * MB)})

    with pytest.raises(UnsafeArchiveError, match=r"would expand to 3\.0 MB"):
        check_zip_archive(path, limits(max_unzipped_bytes=2 * MB, max_zip_ratio=1e9))


def test_member_with_extreme_compression_ratio_is_unsafe(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "bomb.docx", {"zeros.bin": bytes(2 * MB)})

    with pytest.raises(UnsafeArchiveError, match="expands"):
        check_zip_archive(path, limits())


def test_small_members_may_compress_well(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "styles.docx", {"styles.xml": bytes(512 * 1024)})

    check_zip_archive(path, limits())


def test_archive_with_too_many_members_is_unsafe(tmp_path: Path) -> None:
    path = zip_with(tmp_path / "many.docx", {f"part{i}.xml": b"<x/>" for i in range(51)})

    with pytest.raises(UnsafeArchiveError, match="51 parts"):
        check_zip_archive(path, limits())


def test_damaged_archive_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "damaged.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 64)

    with pytest.raises(CorruptFileError, match=r"damaged\.docx"):
        check_zip_archive(path, limits())
