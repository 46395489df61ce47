"""Page images of PDF documents for the source viewer, kept in the data directory.

Each document has its own folder, ``<data dir>/pages/<document id>/``, holding either its
original file (``original.pdf``), from which pages are drawn when asked for, or, where the
collection may not keep originals, every page drawn once at ingestion (``page-00001.png``, ...).
Which one is the collection's setting (``collection_settings.keep_originals``). Documents of
other formats have no page image: the viewer shows their text.

The folder is written after the document's transaction has committed, into a fresh folder
that then takes the old one's place, so a re-ingested document never mixes two versions. Page
images are optional: a file whose pages cannot be drawn is still ingested, and its viewer says
that the page image is unavailable. A folder whose document is gone (deleted, its collection
deleted, or a crash between the two deletions) is removed by ``prune`` at the next start.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Set
from pathlib import Path

from assistant.storage.repository import NotFoundError
from ingest.detect import PDF
from ingest.errors import IngestError
from ingest.pdf_render import PAGE_WIDTH_PX, render_page, render_pages

log = logging.getLogger(__name__)

ORIGINAL = "original.pdf"
_STAGING_PREFIX = ".staging-"
_RETIRED_PREFIX = ".retired-"
_STALE_AFTER_S = 3600.0
"""A staging folder this old was left by a write that died; a younger one may be in use."""
_CACHED_PAGES = 32
"""Pages drawn from originals kept in memory, most recently shown first."""


class PageImageUnavailableError(NotFoundError):
    """The document exists but the image of the page asked for cannot be shown."""


def page_file_name(number: int) -> str:
    return f"page-{number:05d}.png"


class PageStore:
    """Page images of the documents of one installation, under ``root``.

    ``keep_original`` says, for a collection's name, whether its originals may be kept.
    """

    def __init__(
        self, root: Path, keep_original: Callable[[str], bool], *, width_px: int = PAGE_WIDTH_PX
    ) -> None:
        self.root = root
        self._keep_original = keep_original
        self._width_px = width_px
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def folder(self, document_id: int) -> Path:
        return self.root / str(document_id)

    def store(self, document_id: int, collection: str, source: Path, media_type: str) -> None:
        """Keep what the viewer needs of the file ``source``, now stored as ``document_id`` of
        ``collection``. Never raises: a page that cannot be drawn, or a full disk, leaves the
        document without page images, and says so in the log."""
        try:
            if media_type != PDF:
                self.remove(document_id)
                return
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(
                tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{document_id}-", dir=self.root)
            )
            try:
                self._fill(staging, collection, source)
                self._swap(document_id, staging)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        except (IngestError, OSError) as exc:
            log.warning("no page images for %s: %s", source.name, exc)
            self.remove(document_id)

    def _fill(self, staging: Path, collection: str, source: Path) -> None:
        if self._keep_original(collection):
            shutil.copyfile(source, staging / ORIGINAL)
            return
        for number, png in render_pages(source, width_px=self._width_px):
            (staging / page_file_name(number)).write_bytes(png)

    def _swap(self, document_id: int, staging: Path) -> None:
        target = self.folder(document_id)
        retired = self.root / f"{_RETIRED_PREFIX}{document_id}-{staging.name}"
        if target.exists():
            target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
        self._forget(document_id)

    def remove(self, document_id: int) -> None:
        """Remove a document's original or page images, if it has any."""
        shutil.rmtree(self.folder(document_id), ignore_errors=True)
        self._forget(document_id)

    def prune(self, known: Set[int]) -> int:
        """Remove the folders of documents not in ``known`` and the leftovers of writes that
        died; returns how many folders went."""
        if not self.root.is_dir():
            return 0
        removed = 0
        settled = time.time() - _STALE_AFTER_S
        for entry in self.root.iterdir():
            stale = entry.name.startswith((_STAGING_PREFIX, _RETIRED_PREFIX)) and (
                entry.stat().st_mtime < settled
            )
            orphan = entry.name.isdigit() and int(entry.name) not in known
            if entry.is_dir() and (stale or orphan):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        return removed

    def page_png(self, document_id: int, number: int) -> bytes:
        """Page ``number`` (1-based) of a document as a PNG image; raises
        ``PageImageUnavailableError`` when there is none to show."""
        folder = self.folder(document_id)
        original = folder / ORIGINAL
        try:
            if original.is_file():
                return self._drawn(document_id, number, original)
            return (folder / page_file_name(number)).read_bytes()
        except (IngestError, OSError) as exc:
            raise PageImageUnavailableError(
                f"The image of page {number} is unavailable; the passage's text is shown instead."
            ) from exc

    def _drawn(self, document_id: int, number: int, original: Path) -> bytes:
        key = (document_id, number, original.stat().st_mtime_ns)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        png = render_page(original, number, width_px=self._width_px)
        with self._lock:
            self._cache[key] = png
            while len(self._cache) > _CACHED_PAGES:
                self._cache.popitem(last=False)
        return png

    def _forget(self, document_id: int) -> None:
        with self._lock:
            for key in [key for key in self._cache if key[0] == document_id]:
                del self._cache[key]
