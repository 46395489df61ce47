"""Parsing configured from the settings."""

from __future__ import annotations

from assistant.ingestion.steps import parse_limits
from assistant.settings import IngestSettings

MB = 1024 * 1024


def test_parse_limits_convert_megabytes_to_bytes() -> None:
    settings = IngestSettings(
        max_file_mb=1.5,
        max_pages=7,
        max_chars=99,
        max_unzipped_mb=2,
        max_zip_ratio=50,
        parse_timeout_s=12,
    )

    parsed = parse_limits(settings)

    assert parsed.max_file_bytes == int(1.5 * MB)
    assert parsed.max_pages == 7
    assert parsed.max_chars == 99
    assert parsed.max_unzipped_bytes == 2 * MB
    assert parsed.max_zip_ratio == 50
    assert parsed.max_seconds == 12
