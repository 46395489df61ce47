"""The SHA-256 of a file, read in blocks: the content hash of an ingested document, and the
digests that tell whether a converted model still matches its sources."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
