"""Web UI: search your collections and manage documents.

Run with ``assistant up`` (or ``streamlit run ui/app.py``). The page talks to the assistant
service only; the service enforces which collections a search may read.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from assistant.service import Assistant
from assistant.settings import get_settings


@st.cache_resource
def service() -> Assistant:
    return Assistant(get_settings())


def search_page(assistant: Assistant, collections: list[str]) -> None:
    query = st.text_input("Search your documents", placeholder="e.g. termination for convenience")
    mode = st.radio("Ranking", ["hybrid", "bm25", "dense"], horizontal=True)
    if not query.strip():
        return
    if not collections:
        st.info("Choose at least one collection in the sidebar.")
        return
    passages = assistant.search(query, collections=collections, k=10, mode=mode)  # type: ignore[arg-type]
    if not passages:
        st.info("No passages found.")
    for rank, passage in enumerate(passages, start=1):
        c = passage.chunk
        where = (
            f"page {c.page}" if c.page is not None else f"characters {c.char_start}–{c.char_end}"
        )
        with st.container(border=True):
            st.markdown(f"**{rank}. {c.file_name}** · {c.collection} · {where}")
            if c.heading_path:
                st.caption(c.heading_path)
            st.text(c.text)
            st.caption(f"score {passage.score:.4f}")


def documents_page(assistant: Assistant, collections: list[str]) -> None:
    target = st.text_input("Collection to upload into", value=collections[0] if collections else "")
    uploads = st.file_uploader("Add documents", accept_multiple_files=True)
    if uploads and target.strip() and st.button("Ingest"):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for upload in uploads:
                path = Path(tmp) / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                paths.append(path)
            progress = st.progress(0.0, text="Ingesting…")
            done: list[str] = []

            def on_file(result) -> None:  # type: ignore[no-untyped-def]
                done.append(result.path.name)
                progress.progress(
                    len(done) / len(paths), text=f"{result.path.name}: {result.outcome}"
                )
                if result.error:
                    st.error(f"{result.path.name}: {result.error}")

            assistant.ingest(paths, collection=target.strip(), on_file=on_file)
    docs = assistant.documents(collections=collections or None)
    st.dataframe(
        [
            {
                "collection": d.collection,
                "document": d.file_name,
                "status": d.status,
                "version": d.version,
                "pages": d.pages,
                "chunks": d.chunks,
                "error": d.error or "",
            }
            for d in docs
        ],
        use_container_width=True,
    )


def main() -> None:
    st.set_page_config(page_title="Domain assistant", layout="wide")
    assistant = service()
    available = assistant.collections()
    chosen = st.sidebar.multiselect("Collections", available, default=available)
    page = st.sidebar.radio("Page", ["Search", "Documents"])
    st.title(page)
    if page == "Search":
        search_page(assistant, chosen)
    else:
        documents_page(assistant, chosen)


main()
