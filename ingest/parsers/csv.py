"""CSV files: encoding and dialect sniffed, the whole file rendered as one Markdown table.

The first row is taken as the header, which the chunker repeats in front of every piece of a
split table, so each chunk of a large CSV still says what its columns mean.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ingest.errors import CorruptFileError
from ingest.limits import ParseLimits, check_text_size, check_time
from ingest.parsers.pagebuilder import PageBuilder
from ingest.parsers.text import read_text_file
from ingest.types import ParsedDocument

_DELIMITERS = ",;\t|"
_SNIFF_CHARS = 64 * 1024


def parse_csv(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One page without a number holding a single table block with its header row marked."""
    text = read_text_file(path)
    dialect = _sniff_dialect(text)
    rows: list[list[str]] = []
    chars = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            check_time(path.name, limits)
            chars += sum(len(cell) + 3 for cell in row)
            check_text_size(path.name, chars, limits)
            rows.append(row)
    except csv.Error as exc:
        raise CorruptFileError(f"{path.name} is not a readable CSV file: {exc}") from exc
    builder = PageBuilder()
    builder.add_table(rows)
    check_text_size(path.name, builder.char_count, limits)
    return ParsedDocument(pages=(builder.build(None),))


def _sniff_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return csv.excel
