"""Documents: upload files (indexed in the background, with per-file progress: stage, pages
read, chunks embedded, share done and time left), list and filter documents (a document is
'indexing' until it is searchable, then 'ready'), read a document's passages, re-index or
delete it."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from assistant.passages import ChunkView
from assistant.scoped import ScopedAssistant
from assistant.service import DocumentInfo
from assistant.storage.models import Right
from ui.feedback import USER_ERRORS, flash, show_error, show_flash
from ui.jobs import FileState, FileStatus, JobStatus
from ui.resources import ingest_jobs
from ui.session import require_user
from ui.text import escape_markdown, highlighted_markdown

OPENED_KEY = "opened_document"
JOBS_SHOWN = 5
REFRESH = timedelta(seconds=1)


def upload_form(user: ScopedAssistant, editable: list[str]) -> None:
    with st.form("upload", clear_on_submit=True):
        target = st.selectbox("Into collection", editable, key="upload_collection")
        files = st.file_uploader(
            "Files (PDF, Word, HTML, Markdown, text, CSV)",
            accept_multiple_files=True,
            key="upload_files",
        )
        submitted = st.form_submit_button("Upload and index", type="primary")
    if not submitted:
        return
    if not files or target is None:
        st.warning("Choose at least one file.")
        return
    ingest_jobs().start(user, target, [(f.name, f.getvalue()) for f in files])
    st.info(f"Indexing {len(files)} file(s) in the background; progress is shown below.")


def time_left(seconds: float | None) -> str:
    """An estimate of time left as a person reads it: 'about 40 s', 'about 3 min'."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s"
    return f"about {round(seconds / 60)} min"


def of_total(done: int, total: int | None) -> str:
    return "" if total is None else f"{done} of {total}"


def file_row(f: FileStatus) -> dict[str, object]:
    """One file of an upload as the panel shows it: its outcome, the stage it is in, how far
    it has come and how long its stage still needs."""
    progress = f.progress
    return {
        "file": f.name,
        "status": f.state.value,
        "stage": f.stage,
        "pages": "" if progress is None else of_total(progress.pages_done, progress.pages_total),
        "chunks": (
            str(f.chunks or "")
            if progress is None
            else of_total(progress.chunks_done, progress.chunks_total)
        ),
        "progress": progress.fraction if progress else float(f.state == FileState.UNCHANGED),
        "time left": "" if progress is None or f.done else time_left(progress.seconds_left),
        "error": f.error or "",
    }


FILE_COLUMNS = {
    "progress": st.column_config.ProgressColumn(
        "progress", help="Share of the file's current stage done", format="percent"
    ),
    "time left": st.column_config.TextColumn(
        "time left", help="Estimated from the rate of the current stage so far"
    ),
}


def draw_job(job: JobStatus) -> None:
    with st.container(border=True):
        state = "finished" if job.finished else "running"
        st.markdown(
            f"Upload to **{escape_markdown(job.collection)}**: "
            f"{job.done_count} of {len(job.files)} files, {state}"
        )
        st.progress(job.fraction)
        if job.error:
            st.error(escape_markdown(job.error))
        st.dataframe([file_row(f) for f in job.files], hide_index=True, column_config=FILE_COLUMNS)


def draw_jobs(owner: str) -> None:
    jobs = ingest_jobs().of(owner)[:JOBS_SHOWN]
    for job in jobs:
        draw_job(job)


@st.fragment(run_every=REFRESH)
def live_jobs(owner: str) -> None:
    """Redraws itself every second while a batch runs, then refreshes the whole page once."""
    draw_jobs(owner)
    if all(job.finished for job in ingest_jobs().of(owner)):
        st.rerun(scope="app")


def jobs_section(user: ScopedAssistant) -> None:
    jobs = ingest_jobs().of(user.username)
    if not jobs:
        return
    st.subheader("Uploads")
    if any(not job.finished for job in jobs):
        live_jobs(user.username)
    else:
        draw_jobs(user.username)


def document_rows(docs: list[DocumentInfo]) -> list[dict[str, object]]:
    return [
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
    ]


def show_chunks(doc: DocumentInfo, chunks: list[ChunkView]) -> None:
    st.subheader(escape_markdown(doc.file_name))
    for chunk in chunks:
        where = f"page {chunk.page}" if chunk.page is not None else "text"
        heading = f" · {escape_markdown(chunk.heading_path)}" if chunk.heading_path else ""
        st.caption(f"{where}, characters {chunk.char_start}–{chunk.char_end}{heading}")
        st.markdown(highlighted_markdown(chunk.text), unsafe_allow_html=True)


def document_actions(user: ScopedAssistant, doc: DocumentInfo, can_edit: bool) -> None:
    opened = st.session_state.get(OPENED_KEY)
    left, middle, right = st.columns(3)
    if left.button("Open", key="doc_open"):
        try:
            opened = (doc.id, user.open_document(doc.id))
        except USER_ERRORS as exc:
            show_error(exc)
            opened = None
        st.session_state[OPENED_KEY] = opened
    if can_edit:
        if middle.button("Re-index", key="doc_reindex"):
            try:
                count = user.reindex_document(doc.id)
                st.success(f"Re-indexed {count} passages.")
            except USER_ERRORS as exc:
                show_error(exc)
        confirm = right.checkbox("Confirm delete", key="doc_delete_confirm")
        if right.button("Delete", key="doc_delete", disabled=not confirm):
            try:
                removed = user.delete_document(collection=doc.collection, file_name=doc.file_name)
            except USER_ERRORS as exc:
                show_error(exc)
            else:
                flash(f"Deleted {doc.file_name} ({removed} passages).")
                st.session_state.pop(OPENED_KEY, None)
                st.rerun()
    if opened is not None and opened[0] == doc.id:
        show_chunks(doc, opened[1])


def documents_section(user: ScopedAssistant, names: list[str], editable: list[str]) -> None:
    st.subheader("Documents")
    left, right = st.columns(2)
    chosen = left.multiselect("Collections", names, default=names, key="docs_collections")
    contains = right.text_input("File name contains", key="docs_filter").strip().lower()
    docs = user.documents(collections=chosen) if chosen else []
    docs = [d for d in docs if contains in d.file_name.lower()]
    if not docs:
        st.info("No documents to show.")
        return
    st.dataframe(document_rows(docs), hide_index=True)
    labels = {d.id: f"{d.collection} / {d.file_name}" for d in docs}
    selected = st.selectbox("Document", list(labels), format_func=labels.__getitem__, key="doc")
    doc = next(d for d in docs if d.id == selected)
    document_actions(user, doc, doc.collection in editable)


def index_check(user: ScopedAssistant) -> None:
    with st.expander("Index health (administrators)"):
        repair = st.checkbox("Repair differences", key="check_repair")
        if st.button("Check indexes", key="check_indexes"):
            report = user.check_indexes(repair=repair)
            st.write(
                f"Missing from the indexes: {report.missing}; "
                f"in the indexes but not stored: {report.orphaned}."
            )


def render(user: ScopedAssistant) -> None:
    st.title("Documents")
    show_flash()
    collections = user.collections()
    names = [c.name for c in collections]
    editable = [c.name for c in collections if c.right == Right.EDITOR]
    if editable:
        upload_form(user, editable)
    jobs_section(user)
    if not names:
        st.info("You cannot read any collection yet; ask an administrator for access.")
        return
    documents_section(user, names, editable)
    if user.access().is_admin:
        index_check(user)


if __name__ == "__main__":
    render(require_user())
