"""Uploaded files on their way to ingestion: each is copied into its own folder under its base
name (the name the document will have), within the size limit."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from assistant.api.schemas import MAX_FILE_NAME_CHARS

_BLOCK = 1 << 20


class FileTooLargeError(Exception):
    """An uploaded file is over the size limit."""


@dataclass(frozen=True)
class StagedFile:
    """An upload as received: its name as sent, and where it was copied (``None`` when its
    name is unusable)."""

    sent_name: str
    path: Path | None


def safe_file_name(name: str) -> str | None:
    """The base name of an uploaded file, or ``None`` when there is no usable one."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    if base in ("", ".", "..") or len(base) > MAX_FILE_NAME_CHARS:
        return None
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in base):
        return None
    return base


def copy_limited(source: BinaryIO, target: Path, max_bytes: int) -> None:
    """Copy ``source`` to ``target``; ``FileTooLargeError`` past ``max_bytes``."""
    copied = 0
    with target.open("wb") as out:
        while block := source.read(_BLOCK):
            copied += len(block)
            if copied > max_bytes:
                raise FileTooLargeError
            out.write(block)


def stage(sent_name: str, source: BinaryIO, folder: Path, index: int, max_bytes: int) -> StagedFile:
    """Copy one upload to ``folder/index/<base name>``, one folder each so that two uploads
    of the same name do not overwrite each other."""
    base = safe_file_name(sent_name)
    if base is None:
        return StagedFile(sent_name, None)
    place = folder / str(index)
    place.mkdir()
    copy_limited(source, place / base, max_bytes)
    return StagedFile(sent_name, place / base)
