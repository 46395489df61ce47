"""The SHA-256 of a file, read in blocks, or of a folder's files: the content hash of an ingested
document, and the digests that tell whether a converted model still matches its sources.

Checking a converted model hashes hundreds of megabytes, which a start would otherwise pay every
time. ``DigestMemo`` remembers each digest with the file's identity when it was hashed (device,
inode, size, modification and status-change times); a file whose identity is unchanged is not
read again. Writing to a file, truncating it or replacing it changes its status-change time,
which no user can set back, so a changed file is always hashed again. File times are coarse (a
few milliseconds), so a file changed within ``SETTLE_S`` of being hashed could keep its times:
such a digest is not remembered, and the file is hashed again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SETTLE_S = 2.0
"""A file last changed this recently is hashed every time: a change in the same clock tick as
its hashing would leave its times as they were."""


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def file_digest(path: Path, memo: DigestMemo | None) -> str:
    """The SHA-256 of ``path``, through ``memo`` when one is given."""
    return file_sha256(path) if memo is None else memo.file_sha256(path)


def folder_sha256(folder: Path, memo: DigestMemo | None = None) -> str:
    """One digest over every file under ``folder`` (hidden ones left out), with their paths."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            digest.update(f"{relative.as_posix()}\0{file_digest(path, memo)}\n".encode())
    return digest.hexdigest()


class DigestMemo:
    """File digests kept in the JSON file ``path`` across processes.

    Several processes may use one memo: each writes the whole file anew and renames it into
    place, so a reader never sees a partial one; a digest lost to a concurrent write is only
    computed again. A memo that cannot be read or written is no memo, never an error.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._entries: dict[str, dict[str, object]] | None = None

    def file_sha256(self, path: Path) -> str:
        """The digest of ``path``, read from the file only when it changed since it was last
        hashed (or was never hashed)."""
        key = str(path.resolve())
        identity = _identity(path)
        entries = self._loaded()
        known = entries.get(key)
        if known is not None and known.get("identity") == identity:
            digest = known.get("sha256")
            if isinstance(digest, str):
                return digest
        digest = file_sha256(path)
        settled = self._clock() - identity[-1] / 1e9 >= SETTLE_S
        if settled and _identity(path) == identity:  # not changed while it was read
            entries[key] = {"identity": identity, "sha256": digest}
            for gone in [name for name in entries if not Path(name).exists()]:
                del entries[gone]  # files since removed (an outdated conversion)
            self._save(entries)
        return digest

    def _loaded(self) -> dict[str, dict[str, object]]:
        if self._entries is None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            self._entries = (
                {k: v for k, v in data.items() if isinstance(v, dict)}
                if isinstance(data, dict)
                else {}
            )
        return self._entries

    def _save(self, entries: dict[str, dict[str, object]]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, staging = tempfile.mkstemp(prefix=".digests-", dir=self.path.parent)
        except OSError:
            return
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                json.dump(entries, stream)
            os.replace(staging, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(staging)


def _identity(path: Path) -> list[int]:
    """What changes when the file does; the status-change time last."""
    status = path.stat()
    return [
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    ]
