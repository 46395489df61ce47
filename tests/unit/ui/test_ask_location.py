"""Where a passage stands is shown literally on the Ask page, whatever its heading holds."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.passages import ChunkView, Passage
from ui.views.ask import where


def test_a_hostile_section_heading_is_shown_as_text() -> None:
    chunk = ChunkView(
        1, "text", 1, "notes.md", "hr", None, 0, 4, "Intro > [click](http://evil.example)", False
    )
    shown = MarkdownIt().render(where(Passage(chunk, 1.0)))
    assert "<a" not in shown
    assert "[click](http://evil.example)" in shown
