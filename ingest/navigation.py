"""Text that only helps a reader find their way through the printed document: a "Table of
Contents" link, a bare page number, a running header or footer repeated on page after page.

Such text answers no question, yet as a passage of its own it matches many queries (it
recurs on every page) and crowds real passages out of the results, so the chunker leaves it
out of the index.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from ingest.types import Block, BlockKind

MIN_RUNNING_PAGES = 3
"""A short line at the top or bottom of at least this many pages is a running header or
footer."""
EDGE_BLOCKS = 2
"""How many blocks at the top and at the bottom of a page may be running headers or footers."""
MAX_RUNNING_WORDS = 12
"""A running header or footer is one line of at most this many words."""

_DECORATION = " \t-–—|·•*_[]()<>«»"
_NAVIGATION_PHRASE = re.compile(
    r"(?:(?:back|return|go)\s+to\s+(?:the\s+)?)?(?:table\s+of\s+)?contents"
    r"|(?:back|return|go)\s+to\s+(?:the\s+)?(?:top|index)",
    re.IGNORECASE,
)
_ROMAN = r"(?-i:(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3}))"
"""A page number of the front matter, in lower case and below 40 ("xiv"): capitals, and the
other letters, are more often words or list markers."""
_PAGE_NUMBER = re.compile(
    rf"(?:page\s+)?(?:[a-z]{{1,2}}\s?-\s?)?(?:\d{{1,4}}|{_ROMAN})(?:\s*(?:of|/)\s*\d{{1,4}})?",
    re.IGNORECASE,
)
_EDGE_NUMBER = re.compile(r"^\s*\d{1,4}\s*[|·•–—-]?\s*|\s*[|·•–—-]?\s*\d{1,4}\s*$")
_WORD = re.compile(r"[^\W_]+")


def is_navigation_line(line: str, *, numbers: bool = True) -> bool:
    """Whether ``line`` is a link back to the contents or the top or, with ``numbers``, a page
    number ("46", "- 46 -", "Page 46 of 260", "F-12", "xiv")."""
    bare = line.strip(_DECORATION).rstrip(".:")
    if not bare or len(bare) > 40:
        return False
    if _NAVIGATION_PHRASE.fullmatch(bare):
        return True
    return numbers and _PAGE_NUMBER.fullmatch(bare) is not None


def _running_key(text: str) -> str:
    """What a running header or footer keeps from page to page: its words, in lower case, less
    a page number at either end ("Kestrel Ridge | 2025 Form 10-K | 46")."""
    words = " ".join(text.split())
    stripped = _EDGE_NUMBER.sub("", words)
    if len(_WORD.findall(stripped)) >= 2:
        words = stripped
    return words.lower()


def navigation_blocks(pages: Sequence[tuple[str, Sequence[Block]]]) -> list[set[int]]:
    """For each page (its text and its blocks in text order), the indexes of the blocks that
    are navigation only: a heading that is a link back to the contents, a paragraph of
    navigation lines only, or a short paragraph at the top or bottom of the page that recurs
    there on ``MIN_RUNNING_PAGES`` pages or more. A heading that recurs is kept: it is more
    often a section's title repeated on its pages, which passages should still carry."""
    found: list[set[int]] = []
    edges: dict[str, set[int]] = defaultdict(set)
    keyed: list[list[tuple[int, str]]] = []
    for page_index, (text, blocks) in enumerate(pages):
        lines_only = {i for i, block in enumerate(blocks) if _navigation_only(text, block)}
        found.append(lines_only)
        paragraphs = [
            i
            for i, block in enumerate(blocks)
            if block.kind is BlockKind.PARAGRAPH and i not in lines_only
        ]
        candidates = {*paragraphs[:EDGE_BLOCKS], *paragraphs[-EDGE_BLOCKS:]}
        page_keys = []
        for i in sorted(candidates):
            block_text = text[blocks[i].start : blocks[i].end]
            if "\n" in block_text.strip() or len(block_text.split()) > MAX_RUNNING_WORDS:
                continue
            key = _running_key(block_text)
            if key:
                edges[key].add(page_index)
                page_keys.append((i, key))
        keyed.append(page_keys)
    for page_index, page_keys in enumerate(keyed):
        found[page_index].update(i for i, key in page_keys if len(edges[key]) >= MIN_RUNNING_PAGES)
    return found


def _navigation_only(text: str, block: Block) -> bool:
    if block.kind not in (BlockKind.PARAGRAPH, BlockKind.HEADING):
        return False
    numbers = block.kind is BlockKind.PARAGRAPH
    lines = [line for line in text[block.start : block.end].splitlines() if line.strip()]
    return bool(lines) and all(is_navigation_line(line, numbers=numbers) for line in lines)
