"""The collection backup format: one gzip-compressed tar archive with fixed members.

``manifest.json`` names the format and its version, the product version, the embedding model,
the record counts and the SHA-256 and size of every other member. The records are JSON
(``collection.json``) and JSON Lines (``documents.jsonl``, ``chunks.jsonl``, ``grants.jsonl``);
``vectors.npy`` holds one float32 row per line of ``chunks.jsonl``, in the same order.

An archive may come from anywhere, so reading trusts nothing in it: only the known member
names are accepted, as regular files of bounded size, each copied out while its checksum is
computed; records are validated field by field and vectors are loaded without pickling.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Final, Literal, Self, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.storage.models import DocumentStatus, Right
from indexes.persist import fsync_directory

FORMAT: Final = "domain-assistant-collection"
FORMAT_VERSION: Final = 1
MANIFEST = "manifest.json"
COLLECTION = "collection.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
GRANTS = "grants.jsonl"
PAYLOAD = (COLLECTION, DOCUMENTS, CHUNKS, VECTORS, GRANTS)
"""Every member but the manifest, in the order they are written."""

_COPY_BLOCK = 1 << 20
_FINITE_BATCH = 65_536


class BackupError(Exception):
    """A backup or restore cannot be done; the message is fit to show as is."""


class ArchiveError(BackupError):
    """The archive is damaged, altered, hostile or of a format this version cannot read."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Upper bounds on what a restore unpacks: the manifest, and each other member."""

    max_manifest_bytes: int = 1 << 20
    max_member_bytes: int = 16 << 30


class _Record(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class CollectionRecord(_Record):
    name: str = Field(min_length=1, max_length=200)
    description: str
    created_at: datetime


class DocumentRecord(_Record):
    """A document's metadata; ``id`` is its id on the installation it was exported from."""

    id: int
    file_name: str = Field(min_length=1, max_length=500)
    content_hash: str = Field(max_length=64)
    media_type: str = Field(max_length=200)
    size_bytes: int = Field(ge=0)
    version: int = Field(ge=0)
    status: DocumentStatus
    error: str | None
    page_count: int | None = Field(ge=0)
    page_labels: str = ""
    title: str | None = Field(max_length=500)
    created_at: datetime
    updated_at: datetime


class ChunkRecord(_Record):
    """A chunk as stored; ``id`` and ``document_id`` are ids of the exporting installation."""

    id: int
    document_id: int
    ordinal: int = Field(ge=0)
    text: str
    page: int | None = Field(ge=0)
    char_start: int = Field(ge=0)
    char_end: int = Field(ge=0)
    heading_path: str
    is_table: bool
    token_count: int = Field(ge=0)
    page_label: str | None = Field(default=None, max_length=100)
    boxes: str = ""

    @model_validator(mode="after")
    def _span_is_ordered(self) -> Self:
        if self.char_end < self.char_start:
            raise ValueError("char_end is before char_start")
        return self


class GrantRecord(_Record):
    """A right on the collection, held by the user of that name (accounts are not exported)."""

    username: str = Field(min_length=1, max_length=150)
    right: Right


class MemberInfo(_Record):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class EmbeddingInfo(_Record):
    """The model the vectors were made with; both ``None`` when the archive holds none."""

    model_name: str | None = Field(min_length=1)
    dim: int | None = Field(gt=0)


class Counts(_Record):
    documents: int = Field(ge=0)
    chunks: int = Field(ge=0)
    grants: int = Field(ge=0)


class Manifest(_Record):
    format: Literal["domain-assistant-collection"]
    format_version: int
    product_version: str
    created_at: datetime
    collection: str
    embedding: EmbeddingInfo
    counts: Counts
    members: dict[str, MemberInfo]


RecordT = TypeVar("RecordT", bound=_Record)


def describe_member(path: Path) -> MemberInfo:
    """The checksum and size of a file about to be archived."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_COPY_BLOCK), b""):
            digest.update(block)
    return MemberInfo(sha256=digest.hexdigest(), size=path.stat().st_size)


def write_archive(out_path: Path, staging: Path, manifest: Manifest) -> int:
    """Pack ``manifest`` and the payload files found in ``staging`` into ``out_path``,
    replacing it atomically; returns the archive's size in bytes."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".partial"
    )
    moment = int(manifest.created_at.timestamp())
    try:
        with os.fdopen(descriptor, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w:gz") as tar:
                encoded = (manifest.model_dump_json(indent=2) + "\n").encode("utf-8")
                _add(tar, MANIFEST, len(encoded), moment, io.BytesIO(encoded))
                for name in PAYLOAD:
                    path = staging / name
                    with path.open("rb") as member:
                        _add(tar, name, path.stat().st_size, moment, member)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(out_path.parent)
    return out_path.stat().st_size


def _add(tar: tarfile.TarFile, name: str, size: int, moment: int, source: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = moment
    info.mode = 0o644
    tar.addfile(info, source)


def unpack(archive: Path, into: Path, limits: ArchiveLimits) -> Manifest:
    """Copy the members of ``archive`` into the empty folder ``into`` and return its manifest,
    once every member has been checked against it. Raises ``ArchiveError`` for an archive that
    is unreadable, has unexpected, unsafe, oversized or altered members, or another format."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist or is not a file")
    found: dict[str, MemberInfo] = {}
    try:
        with tarfile.open(archive, mode="r|gz") as tar:
            for member in tar:
                name = _checked_name(member, limits, found)
                source = tar.extractfile(member)
                if source is None:
                    raise ArchiveError(f"member {name!r} of the archive cannot be read")
                found[name] = _copy_out(source, into / name)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ArchiveError(f"{archive.name} is not a readable backup archive ({error})") from error
    if MANIFEST not in found:
        raise ArchiveError(f"{archive.name} holds no {MANIFEST}: it is not a collection backup")
    manifest = _parse_manifest((into / MANIFEST).read_bytes())
    _check_members(manifest.members, found)
    return manifest


def _checked_name(
    member: tarfile.TarInfo, limits: ArchiveLimits, found: Mapping[str, MemberInfo]
) -> str:
    name = member.name
    path = PurePosixPath(name)
    if path.is_absolute() or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"archive member {name!r} has an absolute path; refused")
    if ".." in path.parts:
        raise ArchiveError(f"archive member {name!r} points outside the archive; refused")
    if not member.isreg():
        raise ArchiveError(f"archive member {name!r} is not a regular file (a link?); refused")
    if name != MANIFEST and name not in PAYLOAD:
        raise ArchiveError(f"unexpected archive member {name!r}; refused")
    if name in found:
        raise ArchiveError(f"archive member {name!r} appears twice; refused")
    limit = limits.max_manifest_bytes if name == MANIFEST else limits.max_member_bytes
    if member.size > limit:
        raise ArchiveError(
            f"archive member {name!r} has {member.size} bytes, more than the {limit} allowed"
        )
    return name


def _copy_out(source: IO[bytes], target: Path) -> MemberInfo:
    digest = hashlib.sha256()
    size = 0
    with target.open("xb") as out:
        for block in iter(lambda: source.read(_COPY_BLOCK), b""):
            digest.update(block)
            out.write(block)
            size += len(block)
    return MemberInfo(sha256=digest.hexdigest(), size=size)


def _parse_manifest(raw: bytes) -> Manifest:
    try:
        fields = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{MANIFEST} is not valid JSON ({error})") from error
    if not isinstance(fields, dict) or fields.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST} does not describe a collection backup")
    version = fields.get("format_version")
    if version != FORMAT_VERSION:
        newer = isinstance(version, int) and version > FORMAT_VERSION
        raise ArchiveError(
            f"the archive is in backup format version {version!r}"
            + (", made by a newer version of the product" if newer else "")
            + f"; this version reads format version {FORMAT_VERSION}"
        )
    try:
        return Manifest.model_validate_json(raw)
    except ValidationError as error:
        raise ArchiveError(f"{MANIFEST} is invalid: {_first_problem(error)}") from error


def _check_members(listed: Mapping[str, MemberInfo], found: Mapping[str, MemberInfo]) -> None:
    if set(listed) != set(PAYLOAD):
        raise ArchiveError(f"{MANIFEST} lists members {sorted(listed)}, expected {list(PAYLOAD)}")
    for name in PAYLOAD:
        if name not in found:
            raise ArchiveError(f"the archive lacks its member {name!r}")
        if found[name] != listed[name]:
            raise ArchiveError(
                f"the checksum of {name!r} does not match the manifest: the archive is damaged "
                "or was altered"
            )


def _first_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def read_record(folder: Path, name: str, model: type[RecordT]) -> RecordT:
    """The single JSON record of member ``name``, validated as ``model``."""
    try:
        return model.model_validate_json((folder / name).read_bytes())
    except ValidationError as error:
        raise ArchiveError(f"{name} is invalid: {_first_problem(error)}") from error


def read_records(folder: Path, name: str, model: type[RecordT]) -> list[RecordT]:
    """The JSON Lines records of member ``name``, each validated as ``model``."""
    records: list[RecordT] = []
    with (folder / name).open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(model.model_validate_json(line))
            except ValidationError as error:
                problem = _first_problem(error)
                raise ArchiveError(f"{name} line {number} is invalid: {problem}") from error
    return records


def write_records(path: Path, records: Iterable[BaseModel]) -> int:
    """Write records as JSON Lines; returns how many."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json() + "\n")
            count += 1
    return count


def read_vectors(folder: Path, rows: int, dim: int | None) -> np.ndarray:
    """The vectors member as a read-only float32 array of ``rows`` rows of ``dim`` values,
    loaded without pickling and checked to hold only finite numbers."""
    try:
        array = np.load(folder / VECTORS, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ArchiveError(f"{VECTORS} is not a plain array file ({error})") from error
    if not isinstance(array, np.ndarray) or array.dtype != np.float32 or array.ndim != 2:
        raise ArchiveError(f"{VECTORS} must hold a two-dimensional float32 array")
    expected = (rows, dim if dim is not None else 0)
    if array.shape != expected:
        raise ArchiveError(f"{VECTORS} has shape {array.shape}, expected {expected}")
    for start in range(0, rows, _FINITE_BATCH):
        if not np.isfinite(array[start : start + _FINITE_BATCH]).all():
            raise ArchiveError(f"{VECTORS} holds values that are not finite numbers")
    return array
