"""Format detection from magic bytes, extension and content."""

from __future__ import annotations

import codecs
import os
import random
import zipfile
from pathlib import Path

import pytest

from ingest.detect import CSV, DOCX, HTML, MARKDOWN, PDF, TEXT, detect_media_type
from ingest.errors import CorruptFileError, EmptyDocumentError, UnsupportedFormatError


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def write_zip(tmp_path: Path, name: str, members: list[str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member in members:
            archive.writestr(member, "<x/>")
    return path


@pytest.mark.parametrize("name", ["report.pdf", "report.txt", "report"])
def test_pdf_is_recognised_by_magic_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")

    assert detect_media_type(path) == PDF


def test_docx_is_recognised_by_its_main_part(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "upload.bin", ["[Content_Types].xml", "word/document.xml"])

    assert detect_media_type(path) == DOCX


def test_other_zip_formats_are_unsupported(tmp_path: Path) -> None:
    path = write_zip(tmp_path, "sheet.xlsx", ["[Content_Types].xml", "xl/workbook.xml"])

    with pytest.raises(UnsupportedFormatError, match="not a Word"):
        detect_media_type(path)


def test_legacy_office_files_are_unsupported_with_advice(tmp_path: Path) -> None:
    path = write(tmp_path, "old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    with pytest.raises(UnsupportedFormatError, match=r"\.docx"):
        detect_media_type(path)


def test_file_named_pdf_without_pdf_content_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path, "statement.pdf", b"<html><body>Session expired</body></html>")

    with pytest.raises(CorruptFileError, match="not one"):
        detect_media_type(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("page.html", HTML),
        ("page.HTM", HTML),
        ("notes.md", MARKDOWN),
        ("notes.markdown", MARKDOWN),
        ("data.csv", CSV),
        ("data.tsv", CSV),
        ("notes.txt", TEXT),
        ("README", TEXT),
        ("notes.log", TEXT),
    ],
)
def test_text_formats_follow_the_extension(tmp_path: Path, name: str, expected: str) -> None:
    path = write(tmp_path, name, b"a,b\n1,2\n")

    assert detect_media_type(path) == expected


def test_html_without_extension_is_recognised_by_content(tmp_path: Path) -> None:
    path = write(tmp_path, "saved", b"\n  <!DOCTYPE html><html><body><p>Hi</p></body></html>")

    assert detect_media_type(path) == HTML


def test_utf16_text_is_text_not_binary(tmp_path: Path) -> None:
    path = write(tmp_path, "note.txt", "Plain words in UTF-16.".encode("utf-16-le"))

    assert detect_media_type(path) == TEXT


@pytest.mark.parametrize(
    "mark",
    [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8, codecs.BOM_UTF32_LE],
    ids=["utf-16-le", "utf-16-be", "utf-8", "utf-32-le"],
)
def test_binary_data_that_happens_to_open_with_a_byte_order_mark_is_unsupported(
    tmp_path: Path, mark: bytes
) -> None:
    noise = random.Random(mark).randbytes(4096)
    path = write(tmp_path, "noise.bin", mark + noise)

    with pytest.raises(UnsupportedFormatError, match="binary"):
        detect_media_type(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-32"])
def test_text_with_a_byte_order_mark_is_text(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "note.dat", "Zahlungsfrist: 30 Tage, Rückgabe möglich.".encode(encoding))

    assert detect_media_type(path) == TEXT


@pytest.mark.parametrize("name", ["noise.bin", "noise.txt", "image.png"])
def test_binary_data_is_unsupported(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, os.urandom(2048))

    with pytest.raises(UnsupportedFormatError, match="binary"):
        detect_media_type(path)


def test_empty_file_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "nothing.pdf", b"")

    with pytest.raises(EmptyDocumentError):
        detect_media_type(path)
