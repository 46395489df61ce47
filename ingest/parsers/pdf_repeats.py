"""Letters PDFium drops when a PDF draws a doubled letter as two overlapping glyphs.

PDFium skips a text object that repeats one of the few text objects before it at nearly the
same place, to read fake bold (the same text printed twice, slightly shifted) once. It measures
"nearly" by comparing the shift on the page with the glyph's width at the font size before the
page's scaling is applied, so on a page drawn at less than full scale, as browsers print, one
glyph per text object, the second letter of a doubled letter whose glyph boxes overlap is
skipped as well: the italic "ff" of "affect" comes out as "af ect", "staff" as "staf".

This module finds those skipped objects again: a text object that owns no character of the
text page, of the same font and glyph box size as a nearby earlier object that does, shifted
from it by a good part of its size (fake bold is shifted by a small fraction). The letter is
the earlier object's, and it stands where the skipped object is drawn. A letter can only be
lost this way where text is drawn one glyph per object, so pages drawn a line or a run of text
per object, where looking would cost most, are not searched.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pypdfium2.raw as pdfium_c

_LOOK_BACK = 5
"""Earlier text objects compared, as PDFium compares."""
_MIN_SHIFT = 0.15
"""Shift, as a share of the glyph box's larger side, below which a repeat is fake bold."""
_MAX_SHIFT = 1.5
"""Shift, as a share of the glyph box's larger side, beyond which it is no repeat of that
glyph."""
_SAME_SIZE = 0.01
"""Points by which the boxes of two drawings of one glyph may differ."""

_MIN_OBJECTS_PER_CHAR = 0.5
"""Page objects per character below which the page draws its text a run per object."""

Shift = tuple[float, float]


def repeated_glyphs(
    page: pdfium_c.FPDF_PAGE, textpage: pdfium_c.FPDF_TEXTPAGE
) -> dict[int, list[Shift]]:
    """Letters PDFium skipped as overprints although they stand further along the line, by the
    index of the character they repeat, each as its shift on the page from that character."""
    count = pdfium_c.FPDFText_CountChars(textpage)
    if pdfium_c.FPDFPage_CountObjects(page) < _MIN_OBJECTS_PER_CHAR * count:
        return {}
    objects = _text_objects(page)
    last_char: dict[int, int] = {}
    for index in range(count):
        last_char[_address(pdfium_c.FPDFText_GetTextObject(textpage, index))] = index
    repeats: dict[int, list[Shift]] = {}
    for position, candidate in enumerate(objects):
        if _address(candidate) in last_char:
            continue
        found = _repeat_of(candidate, objects[max(position - _LOOK_BACK, 0) : position], last_char)
        if found is not None:
            shift, index = found
            repeats.setdefault(index, []).append(shift)
    return repeats


def _repeat_of(
    candidate: pdfium_c.FPDF_PAGEOBJECT,
    earlier: list[pdfium_c.FPDF_PAGEOBJECT],
    last_char: dict[int, int],
) -> tuple[Shift, int] | None:
    """The shift from the earlier object that ``candidate`` repeats one letter further on, and
    that object's last character, or None when it repeats none."""
    box = _bounds(candidate)
    width, height = box[2] - box[0], box[3] - box[1]
    if width <= 0 or height <= 0:
        return None
    font = _address(pdfium_c.FPDFTextObj_GetFont(candidate))
    for other in reversed(earlier):
        index = last_char.get(_address(other))
        if index is None or _address(pdfium_c.FPDFTextObj_GetFont(other)) != font:
            continue
        other_box = _bounds(other)
        if (
            abs(other_box[2] - other_box[0] - width) > _SAME_SIZE
            or abs(other_box[3] - other_box[1] - height) > _SAME_SIZE
        ):
            continue
        shift = (box[0] - other_box[0], box[1] - other_box[1])
        distance = max(abs(shift[0]), abs(shift[1]))
        side = max(width, height)
        if _MIN_SHIFT * side <= distance <= _MAX_SHIFT * side:
            return shift, index
        return None
    return None


def _text_objects(page: pdfium_c.FPDF_PAGE) -> list[pdfium_c.FPDF_PAGEOBJECT]:
    """The text objects of ``page`` in drawing order, those inside form objects included."""
    found: list[pdfium_c.FPDF_PAGEOBJECT] = []
    get_type = pdfium_c.FPDFPageObj_GetType
    for index in range(pdfium_c.FPDFPage_CountObjects(page)):
        item = pdfium_c.FPDFPage_GetObject(page, index)
        kind = get_type(item)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            found.append(item)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            _add_form_text_objects(item, found)
    return found


def _add_form_text_objects(
    form: pdfium_c.FPDF_PAGEOBJECT, found: list[pdfium_c.FPDF_PAGEOBJECT]
) -> None:
    for index in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        item = pdfium_c.FPDFFormObj_GetObject(form, index)
        kind = pdfium_c.FPDFPageObj_GetType(item)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            found.append(item)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            _add_form_text_objects(item, found)


def _bounds(item: pdfium_c.FPDF_PAGEOBJECT) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of ``item`` on the page."""
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(item, left, bottom, right, top)
    return left.value, bottom.value, right.value, top.value


def _address(handle: ctypes._Pointer[Any]) -> int:
    """Where a PDFium handle points (0 for none), to compare handles: PDFium hands out a new
    Python object for each call."""
    return ctypes.c_void_p.from_buffer(handle).value or 0
