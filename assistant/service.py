"""The assistant service: one facade over storage, ingestion and search.

The CLI, the web UI and the API call this and nothing below it, so every rule (such as which
collections a search may read) is enforced in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.answering import Answer, AnswerEvents, AnswerGuard, AnswerPipeline
from assistant.collection_settings import keep_originals, search_fusion
from assistant.embedding_backend import settings_embedder
from assistant.generation.base import Generator
from assistant.generation.factory import build_generator
from assistant.guard.factory import build_checker
from assistant.index_sync import (
    OUTDATED_ADVICE,
    DriftReport,
    IndexSync,
    second_stage_embedder,
)
from assistant.ingestion.pipeline import FileResult, IngestionPipeline, RunReport
from assistant.ingestion.progress import ProgressCallback
from assistant.page_store import PageImageUnavailableError, PageStore
from assistant.passages import ChunkView, Passage
from assistant.reading.calibration import load_reading_calibrator
from assistant.reading.reader import TableReader
from assistant.reading.span_model import SpanModel
from assistant.reading.span_reader import SpanReader, load_span_calibrator
from assistant.settings import Settings
from assistant.storage import repository as repo
from assistant.storage.db import create_db_engine, make_session_factory, migrate, transaction
from assistant.storage.models import Document, DocumentStatus
from indexes.embedder import Embedder
from indexes.hybrid import SearchMode
from ingest.detect import PDF
from ingest.types import ChunkDraft, PageProgress, ParsedDocument

if TYPE_CHECKING:
    from assistant.ingestion.steps import FileSteps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    collection: str
    file_name: str
    media_type: str
    size_bytes: int
    version: int
    status: str
    error: str | None
    pages: int | None
    chunks: int


@dataclass(frozen=True)
class PageImage:
    """One page of a document as the source viewer shows it: ``png`` is ``None`` when the
    page has no image (``unavailable`` says why), and ``label`` is the number printed on the
    page where it differs from ``number``."""

    document_id: int
    file_name: str
    collection: str
    number: int
    page_count: int
    label: str | None
    png: bytes | None
    unavailable: str | None = None


class Assistant:
    """Opens (and migrates) the storage of one installation; models load on first use.

    ``engine``, ``embedder``, ``second_embedder`` (the second stage's model, when the settings
    name one) and ``generator`` may be given to share them (tests, benchmarks,
    the UI cache). ``guards`` replace the answer check the settings build (an empty sequence
    shows answers unchecked, which only tests should want).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        embedder: Embedder | None = None,
        second_embedder: Embedder | None = None,
        generator: Generator | None = None,
        guards: Sequence[AnswerGuard] | None = None,
    ) -> None:
        self.settings = settings
        self.loading: str | None = None
        """What ``start_up`` is loading now ("loading the answer model..."), for pages and
        routes to say so while a question waits; None when nothing is."""
        self.generator = generator or build_generator(settings.generation)
        if guards is None:
            guards = (build_checker(settings.guard),) if settings.guard.enabled else ()
        self.guards = tuple(guards)
        self.engine = engine or create_db_engine(settings.database_url, echo=settings.storage.echo)
        migrate(self.engine)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.index = IndexSync(
            index_dir=settings.index_dir,
            settings=settings.index,
            embedder=embedder or settings_embedder(settings.index, settings.model_cache_dir),
            second_embedder=second_embedder or second_stage_embedder(settings.index),
        )
        self.pages = PageStore(
            settings.pages_dir, lambda name: keep_originals(settings.ingest, name)
        )

    @cached_property
    def _steps(self) -> FileSteps:
        # Imported here: the parsers' libraries are needed to ingest, not to answer.
        from assistant.ingestion.steps import FileSteps

        return FileSteps.from_settings(self.settings)

    def parse(self, path: Path, on_page: PageProgress | None = None) -> tuple[str, ParsedDocument]:
        """Detect a file's format and extract its pages, within the configured limits."""
        return self._steps.parse(path, on_page)

    def chunk(self, parsed: ParsedDocument) -> list[ChunkDraft]:
        """Cut a parsed document into passages sized for the embedding model."""
        return self._steps.chunk(parsed)

    def pipeline(self) -> IngestionPipeline:
        return IngestionPipeline(
            sessions=self.sessions,
            parse=self.parse,
            chunker=self.chunk,
            index=self.index,
            pages=self.pages,
        )

    def ingest(
        self,
        paths: Sequence[Path],
        *,
        collection: str,
        on_file: Callable[[FileResult], None] | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RunReport:
        return self.pipeline().run(
            paths, collection=collection, on_file=on_file, on_progress=on_progress
        )

    def collections(self) -> list[str]:
        with self.sessions() as session:
            return [c.name for c in repo.list_collections(session=session)]

    def _collection_ids(self, session: Session, names: Sequence[str] | None) -> list[int] | None:
        if names is None:
            return None
        return [repo.get_collection(session=session, name=n).id for n in names]

    def documents(self, *, collections: Sequence[str] | None = None) -> list[DocumentInfo]:
        with self.sessions() as session:
            ids = self._collection_ids(session, collections)
            return [
                DocumentInfo(
                    id=doc.id,
                    collection=doc.collection.name,
                    file_name=doc.file_name,
                    media_type=doc.media_type,
                    size_bytes=doc.size_bytes,
                    version=doc.version,
                    status=doc.status,
                    error=doc.error,
                    pages=doc.page_count,
                    chunks=n,
                )
                for doc, n in repo.list_documents(session=session, collection_ids=ids)
            ]

    def delete_document(self, *, collection: str, file_name: str) -> int:
        """Delete a document from storage, from every index and its page images; returns its
        chunk count."""
        with transaction(self.sessions) as session:
            coll = repo.get_collection(session=session, name=collection)
            doc = repo.find_document(session=session, collection_id=coll.id, file_name=file_name)
            if doc is None:
                raise repo.NotFoundError(f"no document {file_name!r} in collection {collection!r}")
            document_id = doc.id
            removed = repo.delete_document(session=session, document=doc)
        self.pages.remove(document_id)
        self.index.delete(removed)
        self.index.commit()
        return len(removed)

    def page_image(self, document_id: int, number: int) -> PageImage:
        """Page ``number`` (1-based) of a document, with its image when it has one; raises
        ``NotFoundError`` for a missing document or a page it does not have."""
        with self.sessions() as session:
            doc = session.get(Document, document_id)
            if doc is None or doc.status != DocumentStatus.READY:
                raise repo.NotFoundError(f"no document with id {document_id}")
            count = doc.page_count or 0
            paged = doc.media_type == PDF
            if not (paged and 1 <= number <= count):
                raise repo.NotFoundError(f"{doc.file_name} has no page {number}")
            labels = repo.decode_labels(doc.page_labels)
            image = PageImage(
                document_id=doc.id,
                file_name=doc.file_name,
                collection=doc.collection.name,
                number=number,
                page_count=count,
                label=labels[number - 1] if number <= len(labels) else None,
                png=None,
            )
        try:
            return replace(image, png=self.pages.page_png(document_id, number))
        except PageImageUnavailableError as exc:
            return replace(image, unavailable=str(exc))

    def search(
        self,
        query: str,
        *,
        collections: Sequence[str],
        k: int = 10,
        mode: SearchMode = "hybrid",
    ) -> list[Passage]:
        """Ranked passages from ``collections`` only; the filter is applied inside the search."""
        if not query.strip():
            raise ValueError("the query is empty")
        with self.sessions() as session:
            allowed = self._collection_ids(session, collections) or []
            if not allowed:
                return []
            fusion = search_fusion(self.settings.index, collections)
            hits = self.index.search(query, k=k, collections=allowed, mode=mode, fusion=fusion)
            rows = repo.chunks_by_ids(session=session, chunk_ids=[h.chunk_id for h in hits])
            return [
                Passage(ChunkView.of(rows[hit.chunk_id]), hit.score)
                for hit in hits
                if hit.chunk_id in rows and rows[hit.chunk_id].collection_id in allowed
            ]

    def chunks_of(self, document_id: int) -> list[ChunkView]:
        """A document's chunks in reading order."""
        with self.sessions() as session:
            return [
                ChunkView.of(row)
                for row in repo.chunks_of(session=session, document_id=document_id)
            ]

    @cached_property
    def _answering(self) -> AnswerPipeline:
        return AnswerPipeline(
            search=self.search,
            generator=self.generator,
            settings=self.settings.generation,
            guards=self.guards,
            reader=self._table_reader,
            span_reader=self._span_reader,
        )

    @cached_property
    def _span_model(self) -> SpanModel | None:
        if not self.settings.generation.span_reader:
            return None
        return SpanModel(cache_dir=self.settings.model_cache_dir)

    @property
    def _span_reader(self) -> SpanReader | None:
        if self._span_model is None:
            return None
        return SpanReader(
            self._span_model,
            load_span_calibrator(),
            min_confidence=self.settings.generation.span_reader_min_confidence,
        )

    @property
    def _table_reader(self) -> TableReader | None:
        settings = self.settings.generation
        if not settings.table_reader:
            return None
        return TableReader(
            load_reading_calibrator(), min_confidence=settings.table_reader_min_confidence
        )

    def ask(
        self,
        question: str,
        *,
        collections: Sequence[str],
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer ``question`` from passages of ``collections`` only, citing them; the answer's
        text is passed to ``on_token`` piece by piece as it is generated."""
        return self._answering.run(question, collections=collections, on_token=on_token)

    def ask_stream(self, question: str, *, collections: Sequence[str]) -> AnswerEvents:
        """``ask`` as events: the draft's text as it is generated, then the checked answer.
        Closing the events stops the generation."""
        return self._answering.stream(question, collections=collections)

    def check(self, *, repair: bool = False) -> DriftReport:
        """Report (and with ``repair`` fix) drift between storage and the indexes."""
        return self.index.reconcile(self.sessions, repair=repair)

    def rebuild_index(self) -> int:
        """Index every stored chunk again in a new index; returns how many (see
        ``IndexSync.rebuild``)."""
        return self.index.rebuild(self.sessions)

    def recover(self) -> DriftReport:
        """Heal what a crash left: ingestion runs of processes that no longer exist are marked
        interrupted, and the indexes are brought back in line with storage."""
        interrupted = self.pipeline().mark_interrupted_runs()
        report = self.check(repair=True)
        with self.sessions() as session:
            self.pages.prune(repo.document_ids(session=session))
        if interrupted or not report.consistent:
            log.warning(
                "recovered from an interruption: %d ingestion run(s) marked interrupted, "
                "%d chunk(s) indexed again, %d stale index entries removed",
                interrupted,
                report.missing,
                report.orphaned,
            )
        if report.outdated:
            log.warning(OUTDATED_ADVICE)
        return report

    def start_up(self) -> None:
        """What a server does once at start, in the background: ``recover``, then load the
        models in the order answers need them (search, span reader, answer model), so the first
        request pays for neither. A failure is only logged here; the request that needs the
        failed part reports it."""
        try:
            self.loading = "opening the indexes..."
            self.recover()
            self.loading = "loading the search model..."
            self.index.warm_up()
            if self._span_model is not None:  # needed before any draft, and lighter
                self.loading = "loading the reading model..."
                self._span_model.warm_up()
            self.loading = "loading the answer model..."
            self.generator.warm_up()
        except Exception:
            log.exception("recovering and loading the models in advance failed")
        finally:
            self.loading = None
