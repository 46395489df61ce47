"""Document text shown through Markdown: always literal, never markup, with marks in place."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ui.text import (
    escape_markdown,
    highlighted_markdown,
    merge_spans,
    query_terms,
    table_markdown,
    term_spans,
)

RENDERER = MarkdownIt("commonmark", {"html": True})
ALLOWED_TAGS = {"p", "br", "mark"}
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)[^>]*>")


def rendered(markdown: str) -> str:
    return RENDERER.render(markdown)


def visible_text(page: str) -> str:
    """The words a reader sees, whitespace runs collapsed."""
    unmarked = TAG.sub(lambda tag: "" if tag.group(1).lower() == "mark" else " ", page)
    return " ".join(html.unescape(unmarked).replace("\xa0", " ").split())


def words(text: str) -> str:
    """The same for the source text; CommonMark shows NUL as the replacement character."""
    return " ".join(text.replace("\0", "\ufffd").split())


MARKDOWN_SOUP = st.text(
    alphabet=st.sampled_from(list("ab1 \t\n#*_-+=>|`~[]()!<&;:/\\.$^{}\"'")) | st.characters(),
    max_size=120,
)


@pytest.mark.reliability(
    "hostile input", "generated text, including HTML and script, shown literally in the UI"
)
@settings(max_examples=300, deadline=None)
@given(text=MARKDOWN_SOUP, data=st.data())
def test_any_text_renders_literally_with_only_marks_added(text: str, data: st.DataObject) -> None:
    text = text.replace("\r", "")
    spans = data.draw(
        st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=3)
    )
    page = rendered(highlighted_markdown(text, spans))
    assert {tag.lower() for tag in TAG.findall(page)} <= ALLOWED_TAGS
    assert visible_text(page) == words(text)


@pytest.mark.reliability(
    "hostile input", "generated text, including HTML and script, shown literally in the UI"
)
@settings(max_examples=200, deadline=None)
@given(text=MARKDOWN_SOUP)
def test_escaped_names_render_literally_on_one_line(text: str) -> None:
    page = rendered(escape_markdown(text))
    assert {tag.lower() for tag in TAG.findall(page)} <= {"p"}
    assert visible_text(page) == words(text)


def test_hostile_documents_cannot_inject_markup() -> None:
    hostile = (
        "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) "
        "![pixel](http://tracker/p.png) <http://evil> $x^2$ :red[alarm]"
    )
    page = rendered(highlighted_markdown(hostile, [(0, 8)]))
    assert "<script" not in page
    assert "<img" not in page
    assert "<a " not in page
    assert "&lt;script&gt;" in page


def test_layout_is_kept_line_by_line() -> None:
    text = "# Not a heading\n    not code\n1. not a list\n\nnext paragraph"
    page = rendered(highlighted_markdown(text))
    assert "<h1>" not in page
    assert "<pre>" not in page
    assert "<ol>" not in page
    assert page.count("<p>") == 2
    assert page.count("<br") == 2


def test_marks_follow_spans_and_stop_at_line_ends() -> None:
    markdown = highlighted_markdown("notice period\nof thirty days", [(7, 20)])
    assert markdown == "notice <mark>period</mark>  \n<mark>of thi</mark>rty days"


def test_spans_are_clipped_sorted_and_merged() -> None:
    assert merge_spans([(8, 12), (-3, 2), (1, 4), (10, 30), (5, 5)], 20) == [(0, 4), (8, 20)]


def test_query_terms_find_whole_words_and_their_longer_forms() -> None:
    assert query_terms("What is the notice for termination of the NDA?") == [
        "notice",
        "termination",
        "nda",
    ]
    text = "Terminations need notice; the NDA ends. Predetermination is unrelated."
    found = [text[s:e] for s, e in term_spans(text, "termination notice NDA")]
    assert found == ["Terminations", "notice", "NDA"]
    assert term_spans(text, "the of") == []


def test_a_table_renders_as_a_markdown_table_with_cited_cells_marked() -> None:
    rendered = table_markdown(
        ["USD m", "FY2024", "FY2025"],
        [["Revenue", "952.6", "1,077.4"], ["<b>Net</b> | income", "94.4", "127.9"]],
        marked=[(0, 2)],
    )
    lines = rendered.split("\n")
    assert lines[0] == "| USD m | FY2024 | FY2025 |"
    assert lines[1] == "|---|---|---|"
    assert "<mark>1,077\\.4</mark>" in lines[2]
    assert "<mark>" not in lines[3]
    # document text cannot add HTML or split a cell
    assert "<b>" not in rendered and "&lt;b&gt;" in rendered
    assert lines[3].count(" | ") == 2
