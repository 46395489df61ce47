"""Ask: a cited answer written from the collections the user may read, shown as it is generated,
with each cited passage under it (document, page, and the cited words highlighted in the
passage), each of which opens in the source viewer where it stands in its document. The streamed
draft is labelled as such until the answer check has judged it; then the answer is shown with
its calibrated confidence and unsupported sentences marked, or, below the confidence threshold,
withheld with the best evidence shown instead."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import streamlit as st

from assistant.answering import Answer
from assistant.generation.base import GeneratorBusy
from assistant.passages import ChunkView, Passage
from assistant.reading.table_reader import CitedCell
from assistant.scoped import ScopedAssistant
from ui.feedback import USER_ERRORS, show_error
from ui.resources import backend
from ui.session import require_user
from ui.source_view import source_button
from ui.streaming import DraftStream
from ui.text import (
    Span,
    escape_inline,
    escape_markdown,
    highlighted_markdown,
    table_markdown,
    term_spans,
)
from ui.verdict import (
    NO_CONFIDENCE,
    abstention_message,
    checked_answer_markdown,
    confidence_caption,
    reason_notes,
    source_anchor,
    unsupported_notes,
    withheld_message,
    withheld_notes,
)

log = logging.getLogger(__name__)

RESULT_KEY = "ask_result"
PASSAGES_SHOWN = 8


@dataclass(frozen=True)
class AskResult:
    """What the page shows for the last question: the answer, or passages when none could
    be written."""

    question: str
    answer: Answer | None
    passages: tuple[Passage, ...] = ()


def where(passage: Passage) -> str:
    """Where the passage stands, escaped: a location may hold a heading taken from the
    document."""
    return escape_markdown(passage.chunk.location)


def show_passage(
    label: str,
    passage: Passage,
    spans: list[Span],
    cited: Sequence[CitedCell] = (),
    *,
    user: ScopedAssistant | None = None,
) -> None:
    """One passage in a frame: a table as a table with the ``cited`` cells marked, any other
    text with the ``spans`` highlighted; with ``user``, a button opens it in the source
    viewer, on its page or in its document's text."""
    c = passage.chunk
    with st.container(border=True):
        st.markdown(
            f"**{label} {escape_markdown(c.file_name)}** · {escape_markdown(c.collection)} · "
            f"{where(passage)}"
        )
        if c.heading_path:
            st.caption(escape_markdown(c.heading_path))
        show_passage_text(c, spans, cited)
        if user is not None:
            source_button(user, c, cited, key=f"source-{label}-{c.chunk_id}")


def show_passage_text(c: ChunkView, spans: list[Span], cited: Iterable[CitedCell]) -> None:
    """A passage's text: a table as a table with the ``cited`` cells marked, any other text
    with the ``spans`` highlighted."""
    table = c.table
    if table is None:
        st.markdown(highlighted_markdown(c.text, spans), unsafe_allow_html=True)
        return
    if table.caption:
        st.caption(escape_markdown(table.caption))
    wanted = {(used.cell.row_label, used.cell.column_header, used.cell.text) for used in cited}
    marked = [
        (r, col)
        for r, row in enumerate(table.rows)
        for col, text in enumerate(row)
        if (table.row_label(r), table.headers[col], text) in wanted
    ]
    st.markdown(table_markdown(table.headers, table.rows, marked), unsafe_allow_html=True)


def show_sources(result: AskResult, user: ScopedAssistant | None = None) -> None:
    """The passages under the answer (or instead of it), each with a way to its source when
    ``user`` is given."""
    answer = result.answer
    if answer is None:
        for rank, passage in enumerate(result.passages, start=1):
            spans = term_spans(passage.chunk.text, result.question)
            show_passage(f"{rank}.", passage, spans, user=user)
        if not result.passages:
            st.info("No passage matches this question in the chosen collections.")
        return
    if answer.abstained:
        if answer.passages:
            st.subheader("Best evidence")
        for rank, passage in enumerate(answer.passages, start=1):
            spans = term_spans(passage.chunk.text, result.question)
            show_passage(f"{rank}.", passage, spans, user=user)
        return
    cited = answer.source_passages
    if cited:
        st.subheader("Sources")
    for number, passage in cited:
        words = " ".join(
            s.text
            for index, s in enumerate(answer.sentences)
            if number in answer.sentence_sources(index)[0]
        )
        st.markdown(source_anchor(number), unsafe_allow_html=True)
        cells = [] if answer.reading is None else answer.reading.cells
        show_passage(
            f"[{number}]",
            passage,
            term_spans(passage.chunk.text, words),
            [cited for cited in cells if cited.passage == number],
            user=user,
        )
    cited_ones = {passage for _, passage in cited}
    others = [p for p in answer.passages if p not in cited_ones]
    if others:
        with st.expander(f"Other passages read ({len(others)})"):
            for passage in others:
                spans = term_spans(passage.chunk.text, result.question)
                show_passage("·", passage, spans, user=user)


def queued_caption(position: int) -> str:
    """What a question waiting for the answer writer shows: its place in line (1: next)."""
    return (
        f"Queued, position {position}: other questions are being answered; this one starts "
        "as soon as there is room."
    )


def clear_on_first(notice: Any, pieces: Iterator[str]) -> Iterator[str]:
    """``pieces``, with ``notice`` (what is still loading) cleared once the first arrives."""
    for piece in pieces:
        notice.empty()
        yield piece


def write_answer(user: ScopedAssistant, question: str, chosen: list[str]) -> AskResult | None:
    """Stream the answer onto the page; ``None`` when the request itself was refused. A page
    redrawn or left while the draft is written closes the answer, which stops it."""
    slot = st.empty()
    try:
        with closing(user.ask_stream(question, collections=chosen)) as events:
            with slot.container():
                loading = st.empty()
                if (step := backend().assistant.loading) is not None:  # a server just started
                    loading.caption(step)
                st.caption(
                    "Draft, being checked against the sources before it is shown as an answer…"
                )
                draft = DraftStream(
                    events,
                    transform=escape_inline,
                    on_queued=lambda position: loading.caption(queued_caption(position)),
                )
                st.write_stream(clear_on_first(loading, draft.pieces()))
            answer = draft.answer()
    except USER_ERRORS as exc:
        slot.empty()
        show_error(exc)
        return None
    except GeneratorBusy as exc:  # too many questions at once: say so, and to ask again
        slot.empty()
        st.warning(str(exc))
        return None
    except Exception:  # the generator failed: the passages still help
        log.exception("writing an answer failed")
        slot.empty()
        st.warning("No answer could be written (see the server log); the best passages follow.")
        passages = user.search(question, collections=chosen, k=PASSAGES_SHOWN)
        return AskResult(question, None, tuple(passages))
    slot.empty()
    show_answer(answer)
    return AskResult(question, answer)


def show_answer(answer: Answer) -> None:
    """The checked answer: withheld or abstained from, with its confidence and the reason, or
    shown with its confidence and with unsupported sentences marked."""
    check = answer.check
    if check is not None and check.withheld:
        st.warning(withheld_message(check))
        for note in withheld_notes(check):
            st.caption(note)
        return
    if answer.abstained:
        st.info(abstention_message(answer))
        st.caption(NO_CONFIDENCE)
        return
    st.markdown(checked_answer_markdown(answer), unsafe_allow_html=True)
    if check is not None and check.confidence is not None:
        st.caption(confidence_caption(check))
        for note in reason_notes(check):
            st.caption(note)
    for note in unsupported_notes(answer):
        st.caption(note)


def render(user: ScopedAssistant) -> None:
    st.title("Ask")
    names = [c.name for c in user.collections()]
    if not names:
        st.info("You cannot read any collection yet; ask an administrator for access.")
        return
    with st.form("ask"):
        question = st.text_input(
            "Question", key="ask_question", placeholder="e.g. How much notice ends the NDA?"
        )
        chosen = st.multiselect("Collections", names, default=names, key="ask_collections")
        submitted = st.form_submit_button("Ask", type="primary")
    result: AskResult | None = st.session_state.get(RESULT_KEY)
    if not submitted:
        # redrawn in place, without flicker
        with st.container():
            if result is not None:
                if result.answer is not None:
                    show_answer(result.answer)
                show_sources(result, user)
        return
    # A placeholder replaces the last answer, its confidence and its sources at once; a
    # container alone would leave them on the page, greyed, until the new answer is written.
    with st.empty().container():
        st.session_state.pop(RESULT_KEY, None)
        if not question.strip():
            st.warning("Type a question first.")
            return
        if not chosen:
            st.warning("Choose at least one collection.")
            return
        result = write_answer(user, question, chosen)
        st.session_state[RESULT_KEY] = result
        if result is not None:
            show_sources(result, user)


if __name__ == "__main__":
    render(require_user())
