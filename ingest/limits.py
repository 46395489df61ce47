"""Resource limits for parsing one file, and the checks that enforce them.

Uploads come from users, so a parser must refuse a file before it can exhaust memory or time:
too large on disk, too many pages, too much extracted text, too long to read, or a zip
container (DOCX) built to expand to far more than its size.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.errors import (
    CorruptFileError,
    FileTooLargeError,
    ParseTimeoutError,
    UnsafeArchiveError,
)

_MB = 1024 * 1024
_RATIO_FLOOR_BYTES = _MB
"""Members smaller than this may compress very well without being suspicious."""


@dataclass(frozen=True)
class ParseLimits:
    """Caps applied while parsing one file; sizes are in bytes."""

    max_file_bytes: int
    max_pages: int
    max_chars: int
    max_unzipped_bytes: int
    max_zip_ratio: float
    max_zip_members: int = 10_000
    max_seconds: float = 300.0
    deadline: float | None = None
    """``time.monotonic()`` past which reading stops; set when parsing starts (``started``)."""

    def started(self) -> ParseLimits:
        """These limits with the clock started for one file."""
        return replace(self, deadline=time.monotonic() + self.max_seconds)


def check_file_size(path: Path, limits: ParseLimits) -> int:
    """The size of ``path`` in bytes; raises FileTooLargeError past ``max_file_bytes``."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise FileTooLargeError(
            f"{path.name} is {_describe_bytes(size)}; the limit is "
            f"{_describe_bytes(limits.max_file_bytes)}."
        )
    return size


def check_time(name: str, limits: ParseLimits) -> None:
    """Raises ParseTimeoutError once reading one file has taken longer than allowed; parsers
    call it between pages, paragraphs, rows or elements."""
    if limits.deadline is not None and time.monotonic() > limits.deadline:
        raise ParseTimeoutError(
            f"{name} took longer than {limits.max_seconds:g} s to read and was given up "
            "(ASSISTANT_INGEST__PARSE_TIMEOUT_S)."
        )


def check_page_count(name: str, pages: int, limits: ParseLimits) -> None:
    """Raises FileTooLargeError when a document has more pages than allowed."""
    if pages > limits.max_pages:
        raise FileTooLargeError(
            f"{name} has {pages:,} pages; the limit is {limits.max_pages:,} pages."
        )


def check_text_size(name: str, chars: int, limits: ParseLimits) -> None:
    """Raises FileTooLargeError once the text extracted so far exceeds ``max_chars``."""
    if chars > limits.max_chars:
        raise FileTooLargeError(
            f"{name} holds more than {limits.max_chars:,} characters of text, the limit for "
            "one file; split it into smaller files."
        )


def check_zip_archive(path: Path, limits: ParseLimits) -> None:
    """Refuses a zip container whose directory promises an unsafe expansion.

    Only the central directory is read; nothing is decompressed. That is enough because
    Python's zipfile never yields more bytes for a member than its directory entry declares,
    so the declared sizes bound what any later reader can expand.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CorruptFileError(f"{path.name} is not a readable zip container: {exc}") from exc
    if len(members) > limits.max_zip_members:
        raise UnsafeArchiveError(
            f"{path.name} contains {len(members):,} parts; at most {limits.max_zip_members:,} "
            "are accepted."
        )
    total = sum(member.file_size for member in members)
    if total > limits.max_unzipped_bytes:
        raise UnsafeArchiveError(
            f"{path.name} would expand to {_describe_bytes(total)}; the limit is "
            f"{_describe_bytes(limits.max_unzipped_bytes)}."
        )
    for member in members:
        if member.file_size < _RATIO_FLOOR_BYTES:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_zip_ratio:
            raise UnsafeArchiveError(
                f"{path.name} contains a part that expands {ratio:,.0f} times its stored size; "
                f"at most {limits.max_zip_ratio:,.0f} times is accepted."
            )


def _describe_bytes(size: int) -> str:
    if size >= _MB:
        return f"{size / _MB:,.1f} MB"
    return f"{size:,} bytes"
