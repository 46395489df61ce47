"""HTML files: page chrome removed, then headings, paragraphs, list items and tables in order.

Saved web pages carry navigation, scripts, cookie banners and footers that would pollute search
results, so those are dropped first. A removal never takes more than half of the page's text,
because sites that wrap their whole content in a ``<form>`` or tag ``<body>`` with classes such
as ``has-sidebar`` are common. The document is one page without a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PageElement, PreformattedString

from ingest.limits import ParseLimits, check_text_size, check_time
from ingest.parsers.pagebuilder import PageBuilder, tidy_line
from ingest.types import BlockKind, ParsedDocument

_INVISIBLE = frozenset(
    {"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed"}
)
_CHROME = frozenset(
    {"nav", "aside", "form", "button", "select", "textarea", "input", "dialog", "menu"}
)
_PAGE_FRAME = frozenset({"header", "footer"})
_CONTENT_ROOTS = frozenset({"article", "main"})
_PROTECTED = frozenset({"html", "body", "main", "article"})
_HINT_SUBSTRINGS = ("cookie", "consent", "gdpr")
_HINT_TOKENS = frozenset(
    {
        "nav",
        "navbar",
        "navigation",
        "menu",
        "sidebar",
        "breadcrumb",
        "breadcrumbs",
        "footer",
        "advert",
        "advertisement",
        "ads",
        "popup",
        "modal",
        "newsletter",
        "share",
        "social",
        "skip",
        "subscribe",
    }
)
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_MAX_REMOVED_SHARE = 0.5

_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BLOCKS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "header",
        "footer",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "section",
        "summary",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_WHITESPACE = re.compile(r"\s+")
_MAX_COLSPAN = 50


def parse_html(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One page without a number holding the visible content of the page in document order."""
    soup = BeautifulSoup(path.read_bytes(), "lxml")
    title = tidy_line(soup.title.get_text()) if soup.title else ""
    _remove_boilerplate(soup)
    root = soup.body or soup
    builder = PageBuilder()
    _ContentWalker(builder, lambda: check_time(path.name, limits)).walk(root)
    check_text_size(path.name, builder.char_count, limits)
    page = builder.build(None)
    if not title:
        title = next(
            (page.text[b.start : b.end] for b in page.blocks if b.kind is BlockKind.HEADING),
            "",
        )
    return ParsedDocument(pages=(page,), title=title or None)


def _remove_boilerplate(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_INVISIBLE):
        tag.extract()
    total = len(soup.get_text())
    candidates = [tag for tag in soup.find_all(True) if _is_boilerplate(tag)]
    for tag in candidates:
        if tag.parent is not None and len(tag.get_text()) <= _MAX_REMOVED_SHARE * total:
            tag.extract()


def _is_boilerplate(tag: Tag) -> bool:
    name = tag.name
    if name in _PROTECTED:
        return False
    if name in _CHROME or _is_hidden(tag):
        return True
    if name in _PAGE_FRAME:
        return tag.find_parent(_CONTENT_ROOTS) is None
    if str(tag.get("role", "")).lower() in _CHROME_ROLES:
        return True
    hints = " ".join([*_attribute_values(tag, "class"), *_attribute_values(tag, "id")]).lower()
    if any(hint in hints for hint in _HINT_SUBSTRINGS):
        return True
    return not _HINT_TOKENS.isdisjoint(_TOKEN_SPLIT.split(hints))


def _is_hidden(tag: Tag) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    return bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


def _attribute_values(tag: Tag, name: str) -> list[str]:
    value = tag.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


class _ContentWalker:
    """Visits the tree in document order without recursion (deeply nested markup is common in
    broken pages) and feeds blocks to the page builder."""

    def __init__(self, builder: PageBuilder, check_time: Callable[[], None]) -> None:
        self._builder = builder
        self._check_time = check_time
        self._inline: list[str] = []
        self._list_marker = ""

    def walk(self, root: Tag) -> None:
        stack: list[tuple[PageElement, bool]] = [(root, False)]
        while stack:
            self._check_time()
            node, leaving = stack.pop()
            if leaving:
                self._flush()
                continue
            if isinstance(node, NavigableString):
                if not isinstance(node, PreformattedString):
                    self._add_inline(_WHITESPACE.sub(" ", str(node)))
                continue
            if not isinstance(node, Tag):
                continue
            if self._handled_whole(node):
                continue
            if node.name in _BLOCKS:
                self._flush()
                stack.append((node, True))
            if node.name == "li":
                self._list_marker = "- "
            stack.extend((child, False) for child in reversed(node.contents))
        self._flush()

    def _handled_whole(self, node: Tag) -> bool:
        """Handles elements whose whole subtree becomes one block; False for the others."""
        name = node.name
        if name == "br":
            self._inline.append("\n")
            return True
        level = _HEADINGS.get(name)
        if level is not None:
            self._flush()
            self._builder.add_heading(node.get_text(" "), level)
            return True
        if name == "pre":
            self._flush()
            self._builder.add_paragraph(node.get_text())
            return True
        if name == "table":
            rows = _table_rows(node)
            if max((len(row) for row in rows), default=0) < 2:
                return False
            self._flush()
            caption = node.find("caption")
            if caption is not None:
                self._builder.add_paragraph(caption.get_text(" "))
            self._builder.add_table(rows)
            return True
        return False

    def _add_inline(self, text: str) -> None:
        """Buffers inline text, opening it with the list marker when it starts a list item."""
        if self._list_marker and text.strip():
            self._inline.append(self._list_marker)
            self._list_marker = ""
        self._inline.append(text)

    def _flush(self) -> None:
        self._list_marker = ""
        if self._inline:
            self._builder.add_paragraph("".join(self._inline))
            self._inline.clear()


def _table_rows(table: Tag) -> list[list[str]]:
    """Cell texts of the rows that belong to ``table`` itself, not to tables nested in it."""
    rows: list[list[str]] = []
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells: list[str] = []
        for cell in row.find_all(("td", "th"), recursive=False):
            cells.append(tidy_line(cell.get_text(" ")))
            cells.extend([""] * (_colspan(cell) - 1))
        rows.append(cells)
    return rows


def _colspan(cell: Tag) -> int:
    try:
        span = int(str(cell.get("colspan", "1")).strip())
    except ValueError:
        return 1
    return min(max(span, 1), _MAX_COLSPAN)
