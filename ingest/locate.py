"""Where a passage stands on its page image: the boxes of its lines, and of a table's cell.

A chunk's text is rebuilt from the page's words by the layout step (reading order, re-joined
hyphens, tables as Markdown), so its characters cannot be traced back to glyphs one by one.
Instead the chunk is found among the page's words by its content: both are cut into pieces of
letters and digits, and a page word belongs to the passage when it takes part in a run of
pieces (three in a row, or fewer in a shorter passage) that the passage holds as well. Runs
are independent of their order, so a passage read across columns is found all the same;
short gaps (a hyphen split across lines, a footnote mark) are filled and stray short runs
(a common phrase that also occurs elsewhere on the page) are dropped. The words found are
then merged into one box per run of neighbouring words on a line, which is what the viewer
highlights; in a table each cell stays a box of its own, since cells are far apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ingest.types import Box, ChunkDraft, ParsedDocument

_PIECE = re.compile(r"[^\W_]+")
_RUN = 3
"""Pieces in a row that the passage and the page must share for the words to count as found."""
_GAP = 3
"""Words at most that are filled in between two found words (a hyphenation, a mark)."""
_MIN_RUN_WORDS = 4
"""Found runs of fewer words than this are dropped as a chance match, unless the passage
itself is that short."""
_SAME_LINE = 0.5
"""Share of the smaller height two boxes must overlap vertically to be on one line."""
_WORD_GAP = 1.0
"""A horizontal gap wider than this many line heights starts a new box on the line."""


def pieces(text: str) -> list[str]:
    """The runs of letters and digits of ``text``, lower-cased: what is compared."""
    return [piece.lower() for piece in _PIECE.findall(text)]


def place_chunks(parsed: ParsedDocument, drafts: Iterable[ChunkDraft]) -> list[ChunkDraft]:
    """``drafts`` with their page's printed label and their boxes on the page image, where the
    page has words; the other drafts are returned as they are."""
    pages = {page.number: page for page in parsed.pages if page.number is not None}
    read: dict[int, _PagePieces] = {}
    placed: list[ChunkDraft] = []
    for draft in drafts:
        page = pages.get(draft.page) if draft.page is not None else None
        if page is None or page.number is None:
            placed.append(draft)
            continue
        if page.number not in read:
            read[page.number] = _PagePieces.of(page.words)
        boxes = _locate(page.words, read[page.number], draft.text)
        placed.append(replace(draft, page_label=page.label, boxes=boxes))
    return placed


def locate(words: Sequence[Box], text: str) -> tuple[Box, ...]:
    """The boxes of the page ``words`` (in the order the page holds them) that hold ``text``:
    one per run of neighbouring words on a line."""
    return _locate(words, _PagePieces.of(words), text)


@dataclass(frozen=True)
class _PagePieces:
    """A page's pieces in order, and the index of the word each comes from."""

    pieces: list[str]
    owner: list[int]

    @classmethod
    def of(cls, words: Sequence[Box]) -> _PagePieces:
        found = cls([], [])
        for index, word in enumerate(words):
            for piece in pieces(word.text):
                found.pieces.append(piece)
                found.owner.append(index)
        return found


def _locate(words: Sequence[Box], read: _PagePieces, text: str) -> tuple[Box, ...]:
    found = _found_words(words, read, pieces(text))
    return tuple(_line_boxes([words[index] for index in found]))


def _found_words(words: Sequence[Box], read: _PagePieces, wanted: Sequence[str]) -> list[int]:
    """Indexes of the words that hold the passage ``wanted``, in page order."""
    if not wanted or not words:
        return []
    page, owner = read.pieces, read.owner
    run = min(_RUN, len(wanted))
    shared = {tuple(wanted[i : i + run]) for i in range(len(wanted) - run + 1)}
    hit = [False] * len(words)
    for start in range(len(page) - run + 1):
        if tuple(page[start : start + run]) in shared:
            for position in range(start, start + run):
                hit[owner[position]] = True
    min_words = min(_MIN_RUN_WORDS, len(wanted))
    runs = [r for r in _runs(hit) if r[1] - r[0] >= min_words]
    runs = [_with_fragments(r, words, set(wanted)) for r in runs]
    return _joined(runs)


def _runs(hit: Sequence[bool]) -> list[tuple[int, int]]:
    """The ``[start, end)`` ranges of consecutive hits."""
    runs: list[tuple[int, int]] = []
    for index, is_hit in enumerate(hit):
        if not is_hit:
            continue
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def _with_fragments(
    run: tuple[int, int], words: Sequence[Box], wanted: set[str]
) -> tuple[int, int]:
    """``run`` with the word just before it and the word just after it when they are the two
    halves of a word of the passage hyphenated across lines ("termi-", "nation")."""
    start, end = run
    if start > 0 and _fragment(words[start - 1].text, wanted, str.endswith):
        start -= 1
    if end < len(words) and _fragment(words[end].text, wanted, str.startswith):
        end += 1
    return start, end


def _fragment(text: str, wanted: set[str], part_of: Callable[[str, str], bool]) -> bool:
    own = pieces(text)
    if len(own) != 1 or len(own[0]) < 2 or own[0] in wanted:
        return False
    return any(len(whole) > len(own[0]) and part_of(whole, own[0]) for whole in wanted)


def _joined(runs: Sequence[tuple[int, int]]) -> list[int]:
    """The words of ``runs``, with the few words between two runs close together filled in
    (a footnote mark, a symbol)."""
    found: list[int] = []
    for start, end in runs:
        if found and 0 <= start - found[-1] - 1 <= _GAP:
            found.extend(range(found[-1] + 1, start))
        found.extend(index for index in range(start, end) if not found or index > found[-1])
    return found


def _line_boxes(words: Sequence[Box]) -> list[Box]:
    """Consecutive words merged while they stand side by side on one line."""
    lines: list[list[Box]] = []
    for word in words:
        if lines and _beside(lines[-1][-1], word):
            lines[-1].append(word)
        else:
            lines.append([word])
    return [_around(line, " ".join(word.text for word in line)) for line in lines]


def _around(boxes: Sequence[Box], text: str) -> Box:
    return Box(
        text,
        min(box.x0 for box in boxes),
        min(box.top for box in boxes),
        max(box.x1 for box in boxes),
        max(box.bottom for box in boxes),
    )


def _beside(left: Box, right: Box) -> bool:
    height = min(left.bottom - left.top, right.bottom - right.top)
    overlap = min(left.bottom, right.bottom) - max(left.top, right.top)
    if height <= 0 or overlap < _SAME_LINE * height:
        return False
    line = max(left.bottom - left.top, right.bottom - right.top)
    return -line <= right.x0 - left.x1 <= _WORD_GAP * line


def region(boxes: Sequence[Box]) -> Box | None:
    """The smallest box around ``boxes`` (a table's region), or None when there are none."""
    return _around(boxes, "") if boxes else None


def cell_box(boxes: Sequence[Box], row_label: str, column_header: str, text: str) -> Box | None:
    """The box of a table passage's cell ``text``, in the row labelled ``row_label`` and the
    column headed ``column_header``, among the passage's ``boxes`` (one per cell); None when
    it cannot be told."""
    value = pieces(text)
    if not value:
        return None
    candidates = [box for box in boxes if pieces(box.text) == value]
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    label = _best_match(boxes, row_label)
    if label is not None:
        on_row = [box for box in candidates if _same_line(box, label)]
        candidates = on_row or candidates
    header = _best_match(boxes, column_header)
    if header is not None:
        middle = (header.x0 + header.x1) / 2
        return min(candidates, key=lambda box: abs((box.x0 + box.x1) / 2 - middle))
    return candidates[0] if len(candidates) == 1 else None


def _best_match(boxes: Sequence[Box], text: str) -> Box | None:
    """The box whose pieces are ``text``'s, else one whose pieces ``text``'s end with (a wrapped
    row label keeps its last line on the row)."""
    wanted = pieces(text)
    if not wanted:
        return None
    exact = [box for box in boxes if pieces(box.text) == wanted]
    if exact:
        return exact[0]
    tails = [
        box
        for box in boxes
        if (own := pieces(box.text)) and len(own) < len(wanted) and wanted[-len(own) :] == own
    ]
    return max(tails, key=lambda box: len(pieces(box.text)), default=None)


def _same_line(a: Box, b: Box) -> bool:
    height = min(a.bottom - a.top, b.bottom - b.top)
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return height > 0 and overlap >= _SAME_LINE * height
