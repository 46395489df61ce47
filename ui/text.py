"""Document text made safe to show through Markdown, with passages highlighted.

Everything that comes from a document or a user (text, file names, headings, error messages)
is shown literally: every HTML-significant character becomes an entity and every Markdown
punctuation mark is backslash-escaped, so no document can inject markup, links, images or
scripts. The only HTML in the output is the ``<mark>`` tags added here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

# ASCII punctuation that Markdown or Streamlit's extensions (LaTeX, colours, emoji) may read;
# "<", ">", "&", '"' and "'" are left to html.escape.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:=^/@])")
_WORD = re.compile(r"\w+", re.UNICODE)
# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "did", "do", "does", "for", "from",
    "has", "have", "how", "in", "is", "it", "its", "no", "not", "of", "on", "or", "that", "the",
    "this", "to", "was", "were", "what", "when", "where", "which", "who", "why", "will", "with",
})
# fmt: on

Span = tuple[int, int]


def escape_markdown(text: str) -> str:
    """``text`` as Markdown (with or without HTML allowed) that displays exactly ``text``,
    on one line: line breaks become spaces."""
    return escape_inline(" ".join(text.split()))


def escape_inline(text: str) -> str:
    """``text`` as Markdown that displays it literally (line breaks are left to Markdown);
    each piece of a stream can be escaped on its own."""
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=True)


def _escape_fragment(fragment: str, *, line_start: bool) -> str:
    """Escape part of one line; indentation at a line start is kept as non-breaking spaces
    so that it cannot turn the line into a code block."""
    if not line_start:
        return escape_inline(fragment)
    body = fragment.lstrip(" \t")
    indent = fragment[: len(fragment) - len(body)].replace("\t", "    ")
    return "&nbsp;" * len(indent) + escape_inline(body)


def merge_spans(spans: Iterable[Span], length: int) -> list[Span]:
    """Spans clipped to ``[0, length)``, sorted, with overlapping or touching ones joined."""
    merged: list[Span] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted_markdown(text: str, spans: Sequence[Span] = ()) -> str:
    """Markdown that shows ``text`` literally, line by line, with ``spans`` (character
    offsets into ``text``) wrapped in ``<mark>``. Render with ``unsafe_allow_html=True``: the
    marks are the only HTML it contains."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in merge_spans(spans, len(text)):
        pieces += [(text[position:start], False), (text[start:end], True)]
        position = end
    pieces.append((text[position:], False))

    lines: list[str] = []
    current: list[str] = []
    line_start = True
    for piece, marked in pieces:
        for number, part in enumerate(piece.split("\n")):
            if number > 0:
                lines.append("".join(current))
                current, line_start = [], True
            if not part:
                continue
            escaped = _escape_fragment(part, line_start=line_start)
            current.append(f"<mark>{escaped}</mark>" if marked else escaped)
            line_start = False
    lines.append("".join(current))
    return "  \n".join(lines)


def table_markdown(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    marked: Iterable[tuple[int, int]] = (),
) -> str:
    """A table as a Markdown table, every cell escaped, the ``marked`` (body row, column) cells
    wrapped in ``<mark>``. Render with ``unsafe_allow_html=True``."""
    chosen = set(marked)

    def cell(text: str, place: tuple[int, int] | None) -> str:
        escaped = escape_markdown(text) or " "
        return f"<mark>{escaped}</mark>" if place in chosen else escaped

    lines = [
        "| " + " | ".join(cell(h, None) for h in headers) + " |",
        "|" + "---|" * len(headers),
    ]
    lines.extend(
        "| " + " | ".join(cell(text, (r, c)) for c, text in enumerate(row)) + " |"
        for r, row in enumerate(rows)
    )
    return "\n".join(lines)


def query_terms(query: str) -> list[str]:
    """The words of a query worth highlighting: no stop words, no single letters."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(query.lower()):
        if (len(word) > 1 or word.isdigit()) and word not in _STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def term_spans(text: str, query: str) -> list[Span]:
    """Where the query's words occur in ``text``: whole words, or words they begin (so
    "termination" also marks "terminations"), case-insensitively."""
    terms = sorted(query_terms(query), key=len, reverse=True)
    if not terms:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, terms)) + r")\w*", re.IGNORECASE)
    return [match.span() for match in pattern.finditer(text)]
