"""PDF files: text per page in reading order, tables as Markdown, headings from type size.

Glyphs and their boxes come from PDFium (through pypdfium2), which is fast enough to read every
glyph of a several-hundred-page filing in seconds; ``pdf_layout`` then rebuilds lines, columns,
tables and paragraphs from the word boxes. Headings are judged against the whole document's
body text size, so the first pass collects every page's layout and a second pass builds pages.

PDFium is not thread-safe, so all calls into it are serialised with a process-wide lock.

Beside the text, each page keeps its printed label (the PDF's page labels, when they differ
from the page's number) and its words' boxes on the displayed page, from which the boxes of a
passage are found (``ingest.locate``).
"""

from __future__ import annotations

import ctypes
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ingest.errors import CorruptFileError, EncryptedFileError
from ingest.limits import ParseLimits, check_page_count, check_text_size, check_time
from ingest.parsers.pagebuilder import PageBuilder
from ingest.parsers.pdf_hyphens import HyphenVocabulary
from ingest.parsers.pdf_layout import LayoutBlock, TableBlock, TextBlock, Word, layout_page
from ingest.parsers.pdf_repeats import Shift, repeated_glyphs
from ingest.pdfium_lock import PDFIUM_LOCK as _PDFIUM_LOCK
from ingest.types import BlockKind, Box, Page, PageProgress, ParsedDocument

_SPACE = 0x20
_SEPARATORS = frozenset({0x09, 0x0A, 0x0D, _SPACE, 0xA0, 0x3000})
_UNMAPPED = 0x00
_LINE_END_HYPHEN = 0x02
"""PDFium reports a hyphen that ends a line as this control code."""
_PRIVATE_USE = range(0xE000, 0xF900)
_HIGH_SURROGATES = range(0xD800, 0xDC00)
_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_BOLD_NAMES = ("bold", "black", "heavy", "semibold", "demi")
_FORCE_BOLD_FLAG = 1 << 18
_WORD_GAP = 0.5
"""A gap wider than this many glyph heights splits a word even when PDFium inserted no space."""

_HEADING_SIZE_RATIO = 1.15
"""Text this much larger than the body text can be a heading."""
_MAX_HEADING_LINES = 3
_MAX_HEADING_WORDS = 20
_MAX_LEVELS = 6
_MIN_TITLE_LETTERS = 3
_PLACEHOLDER_TITLES = frozenset({"untitled", "untitled document", "title"})


def parse_pdf(
    path: Path, limits: ParseLimits, on_page: PageProgress | None = None
) -> ParsedDocument:
    """One page per PDF page (numbered from 1, kept even when it has no text), blocks in
    reading order; raises EncryptedFileError when a password is needed. ``on_page`` is told
    after each page is read."""
    with _PDFIUM_LOCK:
        document = _open(path)
    try:
        with _PDFIUM_LOCK:
            page_count = len(document)
            metadata_title = _metadata_title(document)
        if page_count == 0:
            raise CorruptFileError(f"{path.name} has no pages.")
        check_page_count(path.name, page_count, limits)
        layouts: list[list[LayoutBlock]] = []
        places: list[tuple[str | None, tuple[Box, ...]]] = []
        chars = 0
        for index in range(page_count):
            check_time(path.name, limits)
            with _PDFIUM_LOCK:
                word_groups, boxes = _page_words(document, index, path.name)
                places.append((_page_label(document, index), boxes))
            layout = [block for words in word_groups for block in layout_page(words)]
            chars += sum(_block_chars(block) for block in layout)
            check_text_size(path.name, chars, limits)
            layouts.append(layout)
            if on_page is not None:
                on_page(index + 1, page_count)
    finally:
        with _PDFIUM_LOCK:
            document.close()
    styles = _HeadingStyles.from_layouts(layouts)
    vocabulary = HyphenVocabulary.of(
        (block.text, block.line_end_hyphens)
        for layout in layouts
        for block in layout
        if isinstance(block, TextBlock)
    )
    pages = tuple(
        replace(_build_page(index + 1, layout, styles, vocabulary), label=label, words=boxes)
        for index, (layout, (label, boxes)) in enumerate(zip(layouts, places, strict=True))
    )
    return ParsedDocument(pages=pages, title=metadata_title or _first_heading(pages))


def _open(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedFileError(
                f"{path.name} is protected with a password; remove the protection and upload "
                "it again."
            ) from exc
        raise CorruptFileError(f"{path.name} could not be read as a PDF: {exc}") from exc


def _metadata_title(document: pdfium.PdfDocument) -> str | None:
    title = " ".join(str(document.get_metadata_value("Title") or "").split())
    if sum(char.isalpha() for char in title) < _MIN_TITLE_LETTERS:
        return None
    if title.lower() in _PLACEHOLDER_TITLES:
        return None
    return title


# Glyphs to words -----------------------------------------------------------------------------


@dataclass(slots=True)
class _WordBuilder:
    """The word being assembled from consecutive glyphs of one orientation."""

    chars: list[str]
    x0: float
    x1: float
    top: float
    bottom: float
    quarter: int
    bold: bool

    def word(self) -> Word:
        text = "".join(self.chars)
        bold_chars = len(text) if self.bold else 0
        return Word(text, self.x0, self.x1, self.top, self.bottom, bold_chars)


def _page_words(
    document: pdfium.PdfDocument, index: int, name: str
) -> tuple[list[list[Word]], tuple[Box, ...]]:
    """Words of a page grouped by text orientation, the most common orientation first, and
    their boxes on the displayed page in the order the page holds them.

    Coordinates of the groups are turned so each group reads left to right with y growing
    downwards.
    """
    try:
        page = document[index]
    except pdfium.PdfiumError as exc:
        raise CorruptFileError(f"Page {index + 1} of {name} could not be read: {exc}") from exc
    try:
        textpage = page.get_textpage()
        try:
            words = _words(textpage.raw, repeated_glyphs(page.raw, textpage.raw))
        finally:
            textpage.close()
        frame = _DisplayFrame.of(page.raw)
    finally:
        page.close()
    groups: dict[int, list[Word]] = {}
    for quarter, word in words:
        groups.setdefault(quarter, []).append(word)
    boxes = tuple(frame.box(word, quarter) for quarter, word in words)
    return sorted(groups.values(), key=len, reverse=True), boxes


# Where words stand on the displayed page --------------------------------------------------


def _page_label(document: pdfium.PdfDocument, index: int) -> str | None:
    """The label printed on page ``index`` (0-based), when the file gives one that is not
    simply the page's number."""
    label = " ".join(document.get_page_label(index).split())
    if not label or label == str(index + 1) or len(label) > _MAX_LABEL_CHARS:
        return None
    return label


_MAX_LABEL_CHARS = 40
"""A longer page label is not a page number a reader would look for."""
_FRAME_SIZE = 100_000
"""Device size of the longer side of the page when reading the page-to-display mapping, whose
device coordinates are integers."""
_FRAME_STEP = 1000.0


@dataclass(frozen=True)
class _DisplayFrame:
    """The affine map from PDF user space to shares of the displayed page (crop box, page
    rotation), read from PDFium once per page."""

    origin: tuple[float, float]
    along_x: tuple[float, float]
    along_y: tuple[float, float]

    @classmethod
    def of(cls, page: pdfium_c.FPDF_PAGE) -> _DisplayFrame:
        width = pdfium_c.FPDF_GetPageWidthF(page)
        height = pdfium_c.FPDF_GetPageHeightF(page)
        scale = _FRAME_SIZE / max(width, height, 1.0)
        size_x, size_y = max(round(width * scale), 1), max(round(height * scale), 1)

        def shown(x: float, y: float) -> tuple[float, float]:
            device_x, device_y = ctypes.c_int(), ctypes.c_int()
            pdfium_c.FPDF_PageToDevice(page, 0, 0, size_x, size_y, 0, x, y, device_x, device_y)
            return device_x.value / size_x, device_y.value / size_y

        origin = shown(0.0, 0.0)
        at_x, at_y = shown(_FRAME_STEP, 0.0), shown(0.0, _FRAME_STEP)
        return cls(
            origin,
            ((at_x[0] - origin[0]) / _FRAME_STEP, (at_x[1] - origin[1]) / _FRAME_STEP),
            ((at_y[0] - origin[0]) / _FRAME_STEP, (at_y[1] - origin[1]) / _FRAME_STEP),
        )

    def box(self, word: Word, quarter: int) -> Box:
        left, bottom, right, top = _unturn(word, quarter)
        (xa, ya), (xb, yb) = self._shown(left, bottom), self._shown(right, top)
        return Box(word.text, min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))

    def _shown(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.origin[0] + self.along_x[0] * x + self.along_y[0] * y,
            self.origin[1] + self.along_x[1] * x + self.along_y[1] * y,
        )


def _unturn(word: Word, quarter: int) -> tuple[float, float, float, float]:
    """A word's box back in PDF user space as (left, bottom, right, top): the inverse of
    ``_turn``."""
    if quarter == 1:
        return word.top, word.x0, word.bottom, word.x1
    if quarter == 2:
        return -word.x1, word.top, -word.x0, word.bottom
    if quarter == 3:
        return -word.bottom, -word.x1, -word.top, -word.x0
    return word.x0, -word.bottom, word.x1, -word.top


def _words(
    textpage: pdfium_c.FPDF_TEXTPAGE, repeats: Mapping[int, Sequence[Shift]]
) -> list[tuple[int, Word]]:
    """Words of a text page with their orientation.

    ``repeats`` are letters PDFium skipped (``pdf_repeats``), by the index of the character
    they repeat: each is put back after it, and the space PDFium made up for the gap the
    skipped letter left is dropped, so "af ect" reads "affect" again.
    """
    count = pdfium_c.FPDFText_CountChars(textpage)
    box = pdfium_c.FS_RECTF()
    reader = _WordReader(textpage)
    pending_high = 0
    after_repeat = False
    for index in range(count):
        code = pdfium_c.FPDFText_GetUnicode(textpage, index)
        if after_repeat and code == _SPACE and pdfium_c.FPDFText_IsGenerated(textpage, index):
            after_repeat = False
            continue
        after_repeat = False
        if code in _SEPARATORS or code == _UNMAPPED or code in _PRIVATE_USE:
            reader.end_word()
            continue
        if code in _HIGH_SURROGATES:
            pending_high = code
            continue
        char = _character(code, pending_high)
        pending_high = 0
        if not char:
            continue
        pdfium_c.FPDFText_GetLooseCharBox(textpage, index, box)
        reader.add(char, index, (box.left, box.right, box.bottom, box.top))
        for dx, dy in repeats.get(index, ()):
            reader.add(char, index, (box.left + dx, box.right + dx, box.bottom + dy, box.top + dy))
            after_repeat = True
    reader.end_word()
    return reader.words


class _WordReader:
    """Glyphs of a text page gathered into words; orientation and boldness are looked up once
    per word, since they rarely change inside one."""

    def __init__(self, textpage: pdfium_c.FPDF_TEXTPAGE) -> None:
        self._textpage = textpage
        self._bold_by_font: dict[int | None, bool] = {}
        self._current: _WordBuilder | None = None
        self._last_box: tuple[float, float, float, float] | None = None
        self.words: list[tuple[int, Word]] = []

    def add(self, char: str, index: int, box: tuple[float, float, float, float]) -> None:
        """Adds glyph ``index`` showing ``char`` at ``box`` (left, right, bottom, top).

        PDFium spells a ligature glyph ("fi") as its letters, each with the glyph's whole box:
        a letter in the very box of the one before belongs to the same word.
        """
        left, right, bottom, top = box
        current = self._current
        same_glyph = box == self._last_box
        self._last_box = box
        if current is not None and same_glyph:
            current.chars.append(char)
            return
        if current is not None:
            x0, x1, top_y, bottom_y = _turn(left, right, bottom, top, current.quarter)
            if _continues(current, x0, top_y, bottom_y):
                current.chars.append(char)
                current.x1 = max(current.x1, x1)
                current.top = min(current.top, top_y)
                current.bottom = max(current.bottom, bottom_y)
                return
            self.end_word()
        angle = pdfium_c.FPDFText_GetCharAngle(self._textpage, index)
        quarter = round(angle / (math.pi / 2)) % 4 if angle > 0 else 0
        x0, x1, top_y, bottom_y = _turn(left, right, bottom, top, quarter)
        bold = _is_bold(self._textpage, index, self._bold_by_font)
        self._current = _WordBuilder([char], x0, x1, top_y, bottom_y, quarter, bold)

    def end_word(self) -> None:
        """Ends the word being read, if any."""
        if self._current is not None:
            self.words.append((self._current.quarter, self._current.word()))
            self._current = None
        self._last_box = None


def _character(code: int, pending_high: int) -> str:
    if code == _LINE_END_HYPHEN:
        return "-"
    if 0xDC00 <= code < 0xE000:
        if not pending_high:
            return ""
        code = 0x10000 + ((pending_high - 0xD800) << 10) + (code - 0xDC00)
    char = chr(code)
    return _LIGATURES.get(char, char)


def _turn(
    left: float, right: float, bottom: float, top: float, quarter: int
) -> tuple[float, float, float, float]:
    """A glyph box as (x0, x1, top, bottom) in the frame where its text runs left to right and
    lines follow each other downwards; ``quarter`` counts quarter turns of the text."""
    if quarter == 1:
        return bottom, top, left, right
    if quarter == 2:
        return -right, -left, bottom, top
    if quarter == 3:
        return -top, -bottom, -right, -left
    return left, right, -top, -bottom


def _continues(current: _WordBuilder, x0: float, top: float, bottom: float) -> bool:
    height = max(current.bottom - current.top, bottom - top)
    overlap = min(current.bottom, bottom) - max(current.top, top)
    if overlap < 0.5 * min(current.bottom - current.top, bottom - top):
        return False
    return -_WORD_GAP * height <= x0 - current.x1 <= _WORD_GAP * height


def _is_bold(textpage: pdfium_c.FPDF_TEXTPAGE, index: int, cache: dict[int | None, bool]) -> bool:
    text_object = pdfium_c.FPDFText_GetTextObject(textpage, index)
    font = pdfium_c.FPDFTextObj_GetFont(text_object) if text_object else None
    key = ctypes.cast(font, ctypes.c_void_p).value if font else None
    known = cache.get(key)
    if known is not None:
        return known
    bold = False
    if font:
        buffer = ctypes.create_string_buffer(256)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, len(buffer))
        font_name = buffer.value.decode("latin-1").lower()
        flags = pdfium_c.FPDFFont_GetFlags(font)
        bold = any(part in font_name for part in _BOLD_NAMES) or bool(flags & _FORCE_BOLD_FLAG)
    cache[key] = bold
    return bold


# Pages ---------------------------------------------------------------------------------------


def _block_chars(block: LayoutBlock) -> int:
    if isinstance(block, TextBlock):
        return len(block.text)
    return sum(len(cell) + 3 for row in block.rows for cell in row)


@dataclass(frozen=True)
class _HeadingStyles:
    """Document-wide typography used to tell headings (and their levels) from body text."""

    body_size: float
    body_bold: bool
    heading_sizes: tuple[float, ...]

    @classmethod
    def from_layouts(cls, layouts: Sequence[Sequence[LayoutBlock]]) -> _HeadingStyles:
        sizes: Counter[float] = Counter()
        bold_chars = 0
        total_chars = 0
        for layout in layouts:
            for block in layout:
                if isinstance(block, TextBlock):
                    sizes[_rounded(block.size)] += len(block.text)
                    total_chars += len(block.text)
                    bold_chars += len(block.text) if block.bold else 0
        body_size = sizes.most_common(1)[0][0] if sizes else 0.0
        larger = {
            _rounded(block.size)
            for layout in layouts
            for block in layout
            if isinstance(block, TextBlock)
            and _heading_shaped(block)
            and block.size >= _HEADING_SIZE_RATIO * body_size
        }
        return cls(
            body_size=body_size,
            body_bold=bold_chars > total_chars / 2,
            heading_sizes=tuple(sorted(larger, reverse=True)),
        )

    def level(self, block: TextBlock) -> int:
        """Heading level of ``block``, or 0 when it is body text."""
        if not _heading_shaped(block):
            return 0
        if block.size >= _HEADING_SIZE_RATIO * self.body_size:
            return min(self.heading_sizes.index(_rounded(block.size)) + 1, _MAX_LEVELS)
        if block.bold and not self.body_bold:
            return min(len(self.heading_sizes) + 1, _MAX_LEVELS)
        return 0


def _rounded(size: float) -> float:
    return round(size * 2) / 2


def _heading_shaped(block: TextBlock) -> bool:
    letters = sum(char.isalpha() for char in block.text)
    return (
        block.line_count <= _MAX_HEADING_LINES
        and len(block.text.split()) <= _MAX_HEADING_WORDS
        and letters >= 2
    )


def _build_page(
    number: int,
    layout: Sequence[LayoutBlock],
    styles: _HeadingStyles,
    vocabulary: HyphenVocabulary,
) -> Page:
    builder = PageBuilder()
    for block in layout:
        if isinstance(block, TableBlock):
            builder.add_table(block.rows)
            continue
        text = vocabulary.resolve(block.text, block.line_end_hyphens)
        level = styles.level(block)
        if level:
            builder.add_heading(text, level)
        else:
            builder.add_paragraph(text)
    return builder.build(number)


def _first_heading(pages: Sequence[Page]) -> str | None:
    for page in pages:
        for block in page.blocks:
            if block.kind is BlockKind.HEADING:
                return page.text[block.start : block.end]
    return None
