"""Finding a passage among its page's words: one box per run of words on a line, found by
content whatever the reading order, with chance matches left out, and a table's cells."""

from __future__ import annotations

import pytest

from ingest.locate import cell_box, locate, pieces, place_chunks, region
from ingest.types import Box, ChunkDraft, Page, ParsedDocument

LINE_HEIGHT = 0.02
CHAR_WIDTH = 0.01


def line(text: str, *, x: float, row: int) -> list[Box]:
    """The words of ``text`` on one line starting at ``x``, on line ``row`` of the page."""
    words: list[Box] = []
    top = 0.1 + row * 1.5 * LINE_HEIGHT
    for word in text.split():
        width = len(word) * CHAR_WIDTH
        words.append(Box(word, x, top, x + width, top + LINE_HEIGHT))
        x += width + CHAR_WIDTH
    return words


def texts(boxes: tuple[Box, ...]) -> list[str]:
    return [box.text for box in boxes]


def test_a_passage_gets_one_box_per_line_and_nothing_of_the_other_lines() -> None:
    words = [
        *line("Introduction to the handbook of the harbour.", x=0.1, row=0),
        *line("Members meet on the first Monday of each", x=0.1, row=1),
        *line("month in the boathouse by the northern pier.", x=0.1, row=2),
        *line("Fees are set every year by the board.", x=0.1, row=3),
    ]
    found = locate(words, "Members meet on the first Monday of each month in the boathouse by")
    assert texts(found) == [
        "Members meet on the first Monday of each",
        "month in the boathouse by",
    ]
    first, members = found[0], words[7]
    assert (first.x0, first.top) == (members.x0, members.top)
    assert first.bottom - first.top == pytest.approx(LINE_HEIGHT)


def test_a_passage_read_across_columns_is_found_in_both() -> None:
    """The page holds the lines row by row across two columns; the passage is the left column
    read top to bottom, with a word hyphenated across its lines."""
    left = ["The notice period for termi-", "nation is thirty days from", "the date of the letter."]
    right = ["Payments fall due monthly", "in arrears at the bank of", "the lessor named above."]
    words = [
        word
        for row, (one, two) in enumerate(zip(left, right, strict=True))
        for word in (*line(one, x=0.1, row=row), *line(two, x=0.55, row=row))
    ]
    found = locate(
        words, "The notice period for termination is thirty days from the date of the letter."
    )
    assert texts(found) == left
    assert all(box.x1 < 0.5 for box in found)


def test_a_common_phrase_elsewhere_on_the_page_is_left_out() -> None:
    words = [
        *line("The board of the company meets twice a year in spring and autumn.", x=0.1, row=0),
        *line("Shares of the company are held by its members.", x=0.1, row=3),
    ]
    found = locate(words, "The board of the company meets twice a year in spring and autumn.")
    assert texts(found) == ["The board of the company meets twice a year in spring and autumn."]


def test_nothing_is_found_where_the_page_has_no_words_or_the_passage_no_pieces() -> None:
    assert locate([], "Anything at all here") == ()
    assert locate(line("Some words on the page", x=0.1, row=0), "| --- | --- |") == ()
    assert locate(line("Some words on the page", x=0.1, row=0), "Nothing of this is there") == ()


def test_pieces_ignore_case_punctuation_and_markdown() -> None:
    assert pieces("| Revenue | $1,234.5 | (12%) |") == ["revenue", "1", "234", "5", "12"]


TABLE_ROWS = [
    ("Region", "2022", "2021"),
    ("North", "1,200", "900"),
    ("South", "900", "850"),
    ("Total", "2,100", "1,750"),
]
TABLE_TEXT = "\n".join(f"| {' | '.join(row)} |" for row in TABLE_ROWS)


def table_words() -> list[Box]:
    """The table's cells far apart on their rows, under a line of prose."""
    words = line("Revenue by region in thousands of dollars.", x=0.1, row=0)
    for row, cells in enumerate(TABLE_ROWS, start=2):
        for column, text in enumerate(cells):
            words += line(text, x=0.1 + 0.25 * column, row=row)
    return words


def test_each_cell_of_a_table_is_a_box_of_its_own_and_the_region_holds_them_all() -> None:
    found = locate(table_words(), TABLE_TEXT)
    assert texts(found) == [cell for row in TABLE_ROWS for cell in row]
    around = region(found)
    assert around is not None
    assert around.top == found[0].top
    assert around.bottom == found[-1].bottom
    assert around.x1 == max(box.x1 for box in found)
    assert region(()) is None


def test_the_cited_cell_is_told_apart_from_the_same_value_in_another_row_and_column() -> None:
    found = locate(table_words(), TABLE_TEXT)
    south = cell_box(found, "South", "2022", "900")
    assert south is not None
    assert south.top > next(box for box in found if box.text == "North").top
    north = cell_box(found, "North", "2021", "900")
    assert north is not None
    assert north.x0 > south.x0
    assert north.top < south.top
    assert cell_box(found, "West", "2022", "5,000") is None


def test_chunks_take_their_page_label_and_boxes_and_pageless_chunks_stay_as_they_are() -> None:
    words = tuple(line("The annual inspection is carried out in May.", x=0.1, row=0))
    parsed = ParsedDocument(
        pages=(
            Page(1, "Cover", label="i"),
            Page(2, "The annual inspection is carried out in May.", label="46", words=words),
        )
    )
    drafts = [
        ChunkDraft(0, "Cover", 1, 0, 5),
        ChunkDraft(1, "The annual inspection is carried out in May.", 2, 0, 44),
        ChunkDraft(2, "Loose text", None, 0, 10),
    ]
    cover, inspection, loose = place_chunks(parsed, drafts)
    assert (cover.page_label, cover.boxes) == ("i", ())
    assert inspection.page_label == "46"
    assert texts(inspection.boxes) == ["The annual inspection is carried out in May."]
    assert loose == drafts[2]
