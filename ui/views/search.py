"""Search: the passages that match a query, ranked as ``assistant search`` and the API's
``/v1/search`` rank them (the same service call), from the collections the user may read,
optionally narrowed to one document and a range of its pages. Each hit shows its document,
where it stands, its score and its text, a table as a table, everything escaped, and opens in
the source viewer as a cited passage on the Ask page does."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import streamlit as st

from assistant.passages import Passage
from assistant.scoped import ScopedAssistant
from assistant.service import DocumentInfo
from indexes.hybrid import SearchMode
from ui.feedback import USER_ERRORS, show_error
from ui.session import require_user
from ui.source_view import source_button
from ui.text import escape_markdown, highlighted_markdown, table_markdown, term_spans

RESULT_KEY = "search_result"
RESULTS_SHOWN = 10
CANDIDATES = 200
"""Passages fetched when the search is narrowed to a document or pages. The indexes filter by
collection inside the search, before ranking, but know nothing of documents or pages, so those
filters are applied to the ranked passages afterwards: fetching this many keeps the order the
service gives while leaving enough of them to fill the page after the filter."""
MODES: dict[str, SearchMode] = {
    "Words and meaning": "hybrid",
    "Words only (BM25)": "bm25",
    "Meaning only (dense)": "dense",
}
ALL_DOCUMENTS = "All documents"


@dataclass(frozen=True)
class Narrowing:
    """One document (by id) and a range of pages (inclusive) to keep; ``None`` keeps all."""

    document_id: int | None = None
    first_page: int | None = None
    last_page: int | None = None

    @property
    def active(self) -> bool:
        return (self.document_id, self.first_page, self.last_page) != (None, None, None)

    def keeps(self, passage: Passage) -> bool:
        """Whether ``passage`` is in the document and on the pages asked for; with a page
        range, a passage without a page (a file without pages) is left out."""
        chunk = passage.chunk
        if self.document_id is not None and chunk.document_id != self.document_id:
            return False
        if self.first_page is None and self.last_page is None:
            return True
        if chunk.page is None:
            return False
        return (self.first_page or 1) <= chunk.page <= (self.last_page or chunk.page)


@dataclass(frozen=True)
class SearchResult:
    """What the page shows for the last search."""

    query: str
    passages: tuple[Passage, ...]
    narrowed: bool


def search(
    user: ScopedAssistant,
    query: str,
    collections: Sequence[str],
    mode: SearchMode,
    narrowing: Narrowing,
) -> list[Passage]:
    """The best passages for ``query`` in ``collections`` that ``narrowing`` keeps, best
    first, as ``ScopedAssistant.search`` ranks them."""
    k = CANDIDATES if narrowing.active else RESULTS_SHOWN
    found = user.search(query, collections=collections, k=k, mode=mode)
    return [passage for passage in found if narrowing.keeps(passage)][:RESULTS_SHOWN]


def document_label(document: DocumentInfo) -> str:
    return f"{document.file_name} ({document.collection})"


def show_hit(user: ScopedAssistant, rank: int, passage: Passage, query: str) -> None:
    """One hit in a frame: document, where it stands, score, its text (a table as a table,
    other text with the query's words highlighted) and a button to its source."""
    c = passage.chunk
    with st.container(border=True):
        st.markdown(
            f"**{rank}. {escape_markdown(c.file_name)}** · {escape_markdown(c.collection)} · "
            f"{escape_markdown(c.location)}"
        )
        st.caption(f"Score {passage.score:.4f}")
        if c.heading_path:
            st.caption(escape_markdown(c.heading_path))
        table = c.table
        if table is None:
            text = highlighted_markdown(c.text, term_spans(c.text, query))
            st.markdown(text, unsafe_allow_html=True)
        else:
            if table.caption:
                st.caption(escape_markdown(table.caption))
            st.markdown(table_markdown(table.headers, table.rows), unsafe_allow_html=True)
        source_button(user, c, key=f"search-source-{rank}-{c.chunk_id}")


def show_result(user: ScopedAssistant, result: SearchResult) -> None:
    if not result.passages:
        where = "in the chosen document and pages" if result.narrowed else "in these collections"
        st.info(f"No passage matches this query {where}.")
        return
    for rank, passage in enumerate(result.passages, start=1):
        show_hit(user, rank, passage, result.query)


def page_range() -> tuple[int | None, int | None]:
    first_column, last_column = st.columns(2)
    with first_column:
        first = st.number_input("From page", min_value=1, value=None, step=1, key="search_from")
    with last_column:
        last = st.number_input("To page", min_value=1, value=None, step=1, key="search_to")
    return (
        int(first) if first is not None else None,
        int(last) if last is not None else None,
    )


def choose_document(documents: Iterable[DocumentInfo]) -> int | None:
    """The id of the document chosen among ``documents`` (listed by name), or None for all."""
    by_label = {document_label(d): d.id for d in sorted(documents, key=document_label)}
    chosen = st.selectbox("Document", [ALL_DOCUMENTS, *by_label], key="search_document")
    return by_label.get(chosen) if chosen else None


def render(user: ScopedAssistant) -> None:
    st.title("Search")
    names = [c.name for c in user.collections()]
    if not names:
        st.info("You cannot read any collection yet; ask an administrator for access.")
        return
    query = st.text_input(
        "Query", key="search_query", placeholder="e.g. termination for convenience"
    )
    chosen = st.multiselect("Collections", names, default=names, key="search_collections")
    documents = user.documents(collections=chosen) if chosen else []
    document_id = choose_document(documents)
    first_page, last_page = page_range()
    mode = st.radio("Match", list(MODES), horizontal=True, key="search_mode")
    if not st.button("Search", type="primary", key="search_run"):
        result: SearchResult | None = st.session_state.get(RESULT_KEY)
        if result is not None:
            show_result(user, result)
        return
    st.session_state.pop(RESULT_KEY, None)
    if not query.strip():
        st.warning("Type what to search for.")
        return
    if not chosen:
        st.warning("Choose at least one collection to search.")
        return
    if first_page is not None and last_page is not None and first_page > last_page:
        st.warning("The first page comes after the last one; swap them.")
        return
    narrowing = Narrowing(document_id, first_page, last_page)
    try:
        passages = search(user, query, chosen, MODES[mode or "Words and meaning"], narrowing)
    except USER_ERRORS as exc:
        show_error(exc)
        return
    result = SearchResult(query, tuple(passages), narrowing.active)
    st.session_state[RESULT_KEY] = result
    show_result(user, result)


if __name__ == "__main__":
    render(require_user())
