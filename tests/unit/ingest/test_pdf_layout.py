"""Reading order, tables and paragraphs rebuilt from word boxes, on made-up pages."""

from __future__ import annotations

from ingest.parsers.pdf_layout import TableBlock, TextBlock, Word, layout_page

SIZE = 10.0
CHAR = 5.0
SPACE = 2.5


def line(text: str, x: float, top: float, *, size: float = SIZE, bold: bool = False) -> list[Word]:
    """Words of ``text`` set from ``x`` on a line whose top is ``top``."""
    words: list[Word] = []
    for part in text.split():
        width = len(part) * CHAR * size / SIZE
        words.append(Word(part, x, x + width, top, top + size, len(part) if bold else 0))
        x += width + SPACE * size / SIZE
    return words


def cells(values: list[tuple[str, float]], top: float) -> list[Word]:
    """A table row: each value placed at its own x."""
    return [word for text, x in values for word in line(text, x, top)]


def texts(blocks: list[TextBlock | TableBlock]) -> list[str]:
    return [block.text for block in blocks if isinstance(block, TextBlock)]


def test_two_prose_columns_are_read_left_then_right() -> None:
    words: list[Word] = []
    for index in range(8):
        top = 100 + 12 * index
        words += line(f"left{index} of the first column of prose here", 50, top)
        words += line(f"right{index} of the second column of prose here", 320, top)

    blocks = layout_page(words)

    joined = "\n".join(texts(blocks))
    order = [joined.index(f"left{i} ") for i in range(8)] + [
        joined.index(f"right{i} ") for i in range(8)
    ]
    assert order == sorted(order)


def test_full_width_title_stays_above_the_columns() -> None:
    words = line("A title that spans the whole width of the page", 50, 60, size=16)
    for index in range(6):
        top = 100 + 12 * index
        words += line(f"left{index} of the first column of prose here", 50, top)
        words += line(f"right{index} of the second column of prose here", 320, top)

    joined = "\n".join(texts(layout_page(words)))

    assert joined.index("A title") < joined.index("left0") < joined.index("left5")
    assert joined.index("left5") < joined.index("right0")


def test_label_value_lines_are_not_mistaken_for_columns() -> None:
    words: list[Word] = []
    for index, (name, role) in enumerate([("Ann Lee", "Director"), ("Bo Chan", "Treasurer")] * 2):
        words += line(name, 50, 100 + 12 * index) + line(role, 320, 100 + 12 * index)

    joined = "\n".join(texts(layout_page(words)))

    assert joined.startswith("Ann Lee Director\nBo Chan Treasurer")


def test_numeric_rows_become_a_table_with_merged_currency_and_headers() -> None:
    words = line("Results of the year", 50, 60)
    words += cells([("(Millions)", 50), ("2022", 310), ("2021", 410)], 100)
    words += cells(
        [("Net sales", 50), ("$", 280), ("34,229", 300), ("$", 380), ("35,355", 400)], 112
    )
    words += line("Operating expenses", 50, 124)
    words += cells([("Cost of sales", 60), ("19,232", 300), ("18,795", 400)], 136)
    words += cells([("Margin", 60), ("12.5", 300), ("%", 340), ("(1.2", 400), (")", 440)], 148)
    words += line("Amounts are unaudited and shown in millions of dollars throughout.", 50, 190)

    blocks = layout_page(words)

    assert [type(block) for block in blocks] == [TextBlock, TableBlock, TextBlock]
    table = blocks[1]
    assert isinstance(table, TableBlock)
    assert table.rows == (
        ("(Millions)", "2022", "2021"),
        ("Net sales", "$ 34,229", "$ 35,355"),
        ("Operating expenses", "", ""),
        ("Cost of sales", "19,232", "18,795"),
        ("Margin", "12.5%", "(1.2)"),
    )


def test_column_titles_centred_over_numbers_join_their_column() -> None:
    words = cells([("Item", 50), ("2022", 330), ("2021", 430)], 100)
    words += cells([("Alpha", 50), ("1,000,000", 300), ("2,000,000", 400)], 112)
    words += cells([("Beta", 50), ("3,000,000", 300), ("4,000,000", 400)], 124)

    (table,) = layout_page(words)

    assert isinstance(table, TableBlock)
    assert table.rows[0] == ("Item", "2022", "2021")
    assert table.rows[1] == ("Alpha", "1,000,000", "2,000,000")


def test_paragraphs_split_on_vertical_space_and_style() -> None:
    words = line("Heading in bold", 50, 80, bold=True)
    words += line("First paragraph line one continues across the page", 50, 100)
    words += line("and ends on line two.", 50, 111)
    words += line("Second paragraph after a gap, with a well-", 50, 140)
    words += line("known hyphenated compound.", 50, 151)

    blocks = layout_page(words)

    assert texts(blocks) == [
        "Heading in bold",
        "First paragraph line one continues across the page and ends on line two.",
        "Second paragraph after a gap, with a well-known hyphenated compound.",
    ]
    assert [block.bold for block in blocks if isinstance(block, TextBlock)] == [True, False, False]


def test_empty_page_has_no_blocks() -> None:
    assert layout_page([]) == []


def test_line_end_hyphens_are_reported_where_they_stand_in_the_text() -> None:
    words = line("A paragraph that runs across the whole page with a materi-", 50, 100)
    words += line("ally broken word and a well-known compound inside a line.", 50, 111)

    (block,) = layout_page(words)

    assert isinstance(block, TextBlock)
    assert block.text.startswith("A paragraph that runs across the whole page with a materi-ally")
    assert [block.text[offset] for offset in block.line_end_hyphens] == ["-"]
    assert block.text[block.line_end_hyphens[0] - 6 :].startswith("materi-ally")


def test_short_lines_keep_their_breaks_and_wrapped_lines_are_joined() -> None:
    words = line("Notices go to the address below, and they take effect when they", 50, 100)
    words += line("are received at the office of", 50, 111)
    words += line("Kestrel Ridge Ltd", 50, 122)
    words += line("12 Harbour Road", 50, 133)

    (block,) = layout_page(words)

    assert isinstance(block, TextBlock)
    assert block.text.split("\n") == [
        "Notices go to the address below, and they take effect when they are received at "
        "the office of",
        "Kestrel Ridge Ltd",
        "12 Harbour Road",
    ]
