"""How far the ingestion of one file has come, for a person watching it.

A large PDF takes minutes: its pages are read one by one, its chunks stored, then embedded
(the slow part) and saved in the index, and only then is it searchable. ``FileTracker`` turns
what the parser and the index report into ``FileProgress`` snapshots, each with the share of
its stage done and, once a rate is known, an estimate of the stage's time left.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path


class Stage(StrEnum):
    """Where a file is: its pages being read, its chunks being stored, then embedded; then in
    the index in memory (``INDEXED``, searchable in this process) and, once the index is
    saved, listed as ready everywhere (``READY``)."""

    PARSING = "parsing"
    STORING = "storing"
    EMBEDDING = "embedding"
    INDEXED = "indexed"
    READY = "ready"


@dataclass(frozen=True)
class FileProgress:
    """One file's progress. ``pages_total`` and ``chunks_total`` are ``None`` until known;
    ``seconds_left`` estimates what the current stage still needs (``None`` until a rate is
    known or when nothing is left)."""

    path: Path
    stage: Stage
    pages_done: int = 0
    pages_total: int | None = None
    chunks_done: int = 0
    chunks_total: int | None = None
    seconds_left: float | None = None

    @property
    def fraction(self) -> float:
        """The share of the current stage done, from 0 to 1: pages while parsing, chunks while
        embedding."""
        if self.stage in (Stage.INDEXED, Stage.READY):
            return 1.0
        if self.stage == Stage.PARSING:
            done, total = self.pages_done, self.pages_total
        else:
            done, total = self.chunks_done, self.chunks_total
        return min(done / total, 1.0) if total else 0.0


ProgressCallback = Callable[[FileProgress], None]
"""Told of every change of a file's progress; it runs on the ingesting thread, so it must be
quick (record the snapshot, draw it later)."""


class FileTracker:
    """Builds the ``FileProgress`` of one file from the counts its steps report, and passes
    each to ``report``."""

    def __init__(
        self, path: Path, report: ProgressCallback, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._report = report
        self._clock = clock
        self._progress = FileProgress(path, Stage.PARSING)
        self._stage_started = clock()

    @property
    def progress(self) -> FileProgress:
        return self._progress

    def parsing(self) -> None:
        """The file is being read."""
        self._tell(self._progress)

    def pages_read(self, done: int, total: int) -> None:
        """A ``PageProgress``: ``done`` of the file's ``total`` pages are read."""
        left = self._left(done, total)
        self._tell(replace(self._progress, pages_done=done, pages_total=total, seconds_left=left))

    def storing(self, chunks: int) -> None:
        """Parsed and cut into ``chunks`` chunks, which are being stored."""
        self._tell(replace(self._progress, stage=Stage.STORING, chunks_total=chunks))

    def embedding(self) -> None:
        """Stored; its chunks are being embedded."""
        self._tell(replace(self._progress, stage=Stage.EMBEDDING, chunks_done=0))

    def embedded(self, done: int, total: int) -> None:
        """An ``EmbedProgress``: ``done`` of ``total`` embeddings are made. With a second
        stage each chunk is embedded twice, so the count is scaled to chunks."""
        chunks = self._progress.chunks_total or total
        left = self._left(done, total)
        self._tell(replace(self._progress, chunks_done=done * chunks // total, seconds_left=left))

    def indexed(self) -> None:
        """Every chunk is in the index in memory; the file is ready once the index is saved."""
        chunks = self._progress.chunks_total or 0
        self._tell(replace(self._progress, stage=Stage.INDEXED, chunks_done=chunks))

    def ready(self) -> None:
        """The index holding the file is saved and the document is listed as ready."""
        self._tell(replace(self._progress, stage=Stage.READY))

    def _left(self, done: int, total: int) -> float | None:
        """The current stage's time left at the rate seen so far."""
        if done <= 0 or done >= total:
            return None
        elapsed = self._clock() - self._stage_started
        return elapsed / done * (total - done)

    def _tell(self, progress: FileProgress) -> None:
        if progress.stage != self._progress.stage:
            self._stage_started = self._clock()
            progress = replace(progress, seconds_left=None)
        self._progress = progress
        self._report(progress)
