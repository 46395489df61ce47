"""Word (.docx) files: body paragraphs and tables in document order, headings from styles.

Word has no fixed pages (they depend on the renderer), so the document is one page without a
number. The zip container is checked for expansion bombs before python-docx reads any part.
"""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.document import Document as DocxDocument
from docx.styles.style import ParagraphStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ingest.limits import ParseLimits, check_text_size, check_time, check_zip_archive
from ingest.parsers.pagebuilder import PageBuilder, tidy_line
from ingest.types import ParsedDocument

_HEADING_STYLE = re.compile(r"heading\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLE = "title"
_STYLE_DEPTH = 4
"""How many ``based on`` links are followed to find a heading style a custom style derives from."""


def parse_docx(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One page without a number: headings (from Heading N and Title styles), paragraphs and
    tables (Markdown rows) in the order they appear in the body."""
    check_zip_archive(path, limits)
    document: DocxDocument = docx.Document(str(path))
    builder = PageBuilder()
    title = tidy_line(document.core_properties.title or "") or None
    for item in document.iter_inner_content():
        check_time(path.name, limits)
        if isinstance(item, Table):
            builder.add_table(_table_rows(item))
        else:
            level = _heading_level(item)
            if level:
                builder.add_heading(item.text, level)
                title = title or tidy_line(item.text) or None
            else:
                builder.add_paragraph(item.text)
        check_text_size(path.name, builder.char_count, limits)
    return ParsedDocument(pages=(builder.build(None),), title=title)


def _heading_level(paragraph: Paragraph) -> int:
    style: ParagraphStyle | None = paragraph.style
    for _ in range(_STYLE_DEPTH):
        if style is None:
            return 0
        name = (style.name or "").strip()
        if name.lower() == _TITLE_STYLE:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return 0


def _table_rows(table: Table) -> list[list[str]]:
    """Cell texts row by row; a merged cell keeps its text in its first grid position only."""
    rows: list[list[str]] = []
    above: list[object] = []
    for row in table.rows:
        cells = row.cells
        texts: list[str] = []
        for column, cell in enumerate(cells):
            repeated_left = column > 0 and cells[column - 1]._tc is cell._tc
            repeated_above = column < len(above) and above[column] is cell._tc
            texts.append("" if repeated_left or repeated_above else _cell_text(cell))
        above = [cell._tc for cell in cells]
        rows.append(texts)
    return rows


def _cell_text(cell: _Cell) -> str:
    parts: list[str] = []
    for item in cell.iter_inner_content():
        if isinstance(item, Table):
            parts.extend(" ".join(row) for row in _table_rows(item))
        else:
            parts.append(item.text)
    return " ".join(parts)
