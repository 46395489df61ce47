"""Converted models kept on disk, each checked against what it was made from before it is used.

Converting the answer model (reading the GGUF, dequantising it, merging the adapter) takes most
of a cold start, and gives the same weights every time for the same inputs. So it is done once
and the result kept in a folder of its own, named after its origin: the SHA-256 of the model
file, of the adapter's files, and the versions of the libraries that did the conversion. The
folder's manifest records that origin and the SHA-256 of every file in the folder.

A folder is used only when its manifest records the current origin and every file, no more and
no fewer, has the digest the manifest gives; anything else (a newer library, a changed adapter,
a truncated or altered file, a missing manifest) is converted again. A conversion is written
into a staging folder and renamed into place whole, so a crash leaves no half-written model
behind and processes starting together never read each other's partial files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from assistant.digests import DigestMemo, file_digest, file_sha256

FORMAT_VERSION = 1
"""Changes when the layout of a converted folder changes, so older folders are converted again."""

MANIFEST_NAME = "manifest.json"
DIGESTS_NAME = "digests.json"
"""The ``DigestMemo`` of the folder's files and sources, so that an unchanged file is not hashed
again at every start."""
FOLDER_PREFIX = "generator-"
STAGING_PREFIX = ".converting-"
DISCARDED_PREFIX = ".discarded-"
STAGING_MAX_AGE_S = 3600.0
"""A staging folder this old belongs to a conversion that died: a live one finishes far sooner."""

LIBRARIES = ("torch", "transformers", "tokenizers", "safetensors", "gguf", "peft")
"""The libraries whose code reads, dequantises, merges or saves the weights."""

ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")
"""The files of a LoRA folder that peft reads; its model card and training log change nothing."""


def adapter_sha256(folder: Path, memo: DigestMemo | None = None) -> str:
    """One digest over the adapter files peft reads from ``folder``, with their names."""
    digest = hashlib.sha256()
    for name in ADAPTER_FILES:
        path = folder / name
        if path.is_file():
            digest.update(f"{name}\0{file_digest(path, memo)}\n".encode())
    return digest.hexdigest()


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str]:
    """The installed version of each of ``names`` ("absent" for one not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def origin_key(origin: CacheOrigin) -> str:
    """A short name for ``origin``, unique in practice: the folder name its model is kept under."""
    text = json.dumps(origin.as_json(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CacheOrigin(Protocol):
    """What a kept model is made from, as its manifest records it; ``as_json()["libraries"]``
    holds the versions of the libraries that made it."""

    @property
    def key(self) -> str: ...

    def as_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Origin:
    """What a converted model is made from: a change to any part makes a different model."""

    model_sha256: str
    adapter_sha256: str | None
    libraries: Mapping[str, str]

    @classmethod
    def of(cls, model_file: Path, adapter: Path | None, memo: DigestMemo | None = None) -> Origin:
        """The origin of a conversion of ``model_file`` with ``adapter``, with the libraries
        installed now; ``memo`` spares hashing files unchanged since it last hashed them."""
        return cls(
            model_sha256=file_digest(model_file, memo),
            adapter_sha256=adapter_sha256(adapter, memo) if adapter is not None else None,
            libraries=library_versions(),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "model_sha256": self.model_sha256,
            "adapter_sha256": self.adapter_sha256,
            "libraries": dict(sorted(self.libraries.items())),
        }

    @property
    def key(self) -> str:
        return origin_key(self)


@dataclass(frozen=True)
class Prepared:
    """A checked converted model: its folder, and whether this call converted it."""

    folder: Path
    converted: bool


Convert = Callable[[Path], None]
"""Writes a converted model into the empty folder it is given."""


class ModelCache:
    """A folder of converted models, one sub-folder per origin.

    Several kinds of model can share the folder, each under its own ``prefix``, with the
    ``libraries`` whose versions decide when one of its conversions is stale (by default the
    answer model's). ``digests`` remembers the digests of the folder's files and of the sources
    origins are computed from.
    """

    def __init__(
        self,
        root: Path,
        *,
        prefix: str = FOLDER_PREFIX,
        libraries: Sequence[str] | None = None,
    ) -> None:
        self.root = root
        self._prefix = prefix
        self._libraries = libraries
        self.digests = DigestMemo(root / DIGESTS_NAME)

    def folder(self, origin: CacheOrigin) -> Path:
        return self.root / f"{self._prefix}{origin.key}"

    def verified(self, origin: CacheOrigin) -> Path | None:
        """The folder converted from ``origin``, when it is there and intact; else None."""
        folder = self.folder(origin)
        manifest = read_manifest(folder)
        if manifest is None or manifest.get("origin") != origin.as_json():
            return None
        return folder if files_match(folder, manifest.get("files"), self.digests) else None

    def prepare(self, origin: CacheOrigin, convert: Convert) -> Prepared:
        """The intact folder converted from ``origin``, converting it with ``convert`` first
        when there is none (a damaged one is replaced)."""
        found = self.verified(origin)
        if found is not None:
            return Prepared(found, converted=False)
        self.root.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root))
        try:
            convert(staging)
            write_manifest(staging, origin)
            installed = self._install(staging, origin)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return Prepared(installed, converted=True)

    def _install(self, staging: Path, origin: CacheOrigin) -> Path:
        """Rename ``staging`` into the origin's folder; a good folder another process installed
        meanwhile is kept instead, a damaged one is moved aside and removed."""
        target = self.folder(origin)
        for _ in range(3):
            try:
                staging.rename(target)
            except OSError:
                if self.verified(origin) is not None:
                    return target
                self._discard(target)
            else:
                _sync_folder(self.root)
                return target
        raise OSError(f"could not install the converted model in {target}")

    def _discard(self, folder: Path) -> None:
        aside = Path(tempfile.mkdtemp(prefix=DISCARDED_PREFIX, dir=self.root))
        with contextlib.suppress(FileNotFoundError):  # another process discarded it first
            folder.rename(aside / folder.name)
        shutil.rmtree(aside, ignore_errors=True)

    def _remove_leftovers(self) -> None:
        """Remove what no start can use any more: folders converted by other library versions
        or without a readable manifest, and staging folders of conversions that died."""
        current = (
            library_versions() if self._libraries is None else library_versions(self._libraries)
        )
        now = time.time()
        for path in self.root.iterdir():
            if path.name.startswith(self._prefix):
                manifest = read_manifest(path)
                origin = manifest.get("origin") if manifest is not None else None
                libraries = origin.get("libraries") if isinstance(origin, dict) else None
                if libraries != dict(sorted(current.items())):
                    self._discard(path)
            elif path.name.startswith((STAGING_PREFIX, DISCARDED_PREFIX)):
                try:
                    stale = now - path.stat().st_mtime > STAGING_MAX_AGE_S
                except FileNotFoundError:
                    continue
                if stale:
                    shutil.rmtree(path, ignore_errors=True)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of ``folder`` when it is there and well formed; else None."""
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def files_match(folder: Path, files: object, memo: DigestMemo | None = None) -> bool:
    """Whether ``folder`` holds exactly ``files`` (name to SHA-256) besides its manifest."""
    if not isinstance(files, dict) or not files:
        return False
    try:
        present = {path.name for path in folder.iterdir()} - {MANIFEST_NAME}
        if present != set(files):
            return False
        return all(file_digest(folder / name, memo) == digest for name, digest in files.items())
    except OSError:
        return False


def write_manifest(folder: Path, origin: CacheOrigin) -> None:
    """Record ``origin`` and the digest of every file in ``folder``, all flushed to disk."""
    files = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            raise ValueError(f"a converted model is flat files only, not {path.name}")
        files[path.name] = file_sha256(path)
        _sync_file(path)
    manifest = {"origin": origin.as_json(), "files": files}
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _sync_file(folder / MANIFEST_NAME)
    _sync_folder(folder)


def _sync_file(path: Path) -> None:
    with path.open("rb") as stream:
        os.fsync(stream.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
