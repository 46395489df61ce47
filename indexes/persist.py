"""Crash-safe index directories: atomic replacement, fsynced files and versioned manifests.

An index lives in one directory. A save writes a complete new directory beside it, fsyncs
every file, then swaps it in with two renames (old -> backup, new -> target) and only then
removes the backup. A failure before the swap leaves the old directory untouched; a crash
between the two renames leaves the backup, which the next save or manifest read puts back.
A staging directory left by a killed process is named after its process id and removed by the
next save.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

MANIFEST_NAME = "manifest.json"


class IndexFormatError(RuntimeError):
    """A directory holds no index this code can read: wrong kind, other format version, or a
    damaged manifest. The message says which, and that rebuilding the index fixes it."""


def _backup_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.previous")


def _staging_prefix(target: Path) -> str:
    return f".{target.name}.staging-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned_staging(target: Path) -> None:
    """Delete staging directories of ``target`` whose writing process no longer exists."""
    prefix = _staging_prefix(target)
    for entry in target.parent.glob(f"{prefix}*"):
        pid = entry.name[len(prefix) :].partition("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def recover_interrupted_save(target: Path) -> None:
    """Put back the previous directory if a save stopped between its two renames."""
    backup = _backup_path(target)
    if not target.exists() and backup.is_dir():
        os.rename(backup, target)
        fsync_directory(target.parent)


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in ``path`` survive a power loss."""
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_tree(root: Path) -> None:
    for directory, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                os.fsync(handle.fileno())
        fsync_directory(Path(directory))


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``target``; when the block ends without an
    exception its content replaces ``target`` atomically, otherwise it is discarded."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    recover_interrupted_save(target)
    remove_abandoned_staging(target)
    prefix = f"{_staging_prefix(target)}{os.getpid()}-"
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield staging
        _fsync_tree(staging)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        os.rename(staging, target)
        fsync_directory(target.parent)
        return
    backup = _backup_path(target)
    if backup.exists():
        shutil.rmtree(backup)
    os.rename(target, backup)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(backup, target)
        raise
    fsync_directory(target.parent)
    shutil.rmtree(backup, ignore_errors=True)


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    """Write ``manifest.json`` (the caller includes ``kind`` and ``format_version``)."""
    path = Path(directory) / MANIFEST_NAME
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")


def read_manifest(directory: Path, *, kind: str, format_version: int) -> dict[str, Any]:
    """The manifest of the index in ``directory``, checked to be ``kind`` at
    ``format_version``; raises ``FileNotFoundError`` when there is no index there and
    ``IndexFormatError`` when there is one this code cannot read."""
    directory = Path(directory)
    recover_interrupted_save(directory)
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no index at {directory}: {MANIFEST_NAME} is missing")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise IndexFormatError(f"{path} is not valid JSON ({error}); rebuild the index") from error
    if not isinstance(manifest, dict):
        raise IndexFormatError(f"{path} does not hold a JSON object; rebuild the index")
    if manifest.get("kind") != kind:
        raise IndexFormatError(
            f"{directory} holds an index of kind {manifest.get('kind')!r}, expected {kind!r}"
        )
    found = manifest.get("format_version")
    if found != format_version:
        raise IndexFormatError(
            f"{directory} holds a {kind} index in format version {found!r}, but this version "
            f"reads format version {format_version}; rebuild the index from the database"
        )
    return manifest


def save_array(directory: Path, name: str, array: np.ndarray) -> None:
    """Store ``array`` as ``name.npy`` without pickling, so loading cannot run code."""
    np.save(Path(directory) / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def load_array(directory: Path, name: str, *, mmap: bool = True) -> np.ndarray:
    """Load ``name.npy``, memory-mapped read-only unless ``mmap`` is false."""
    path = Path(directory) / f"{name}.npy"
    if not path.is_file():
        raise IndexFormatError(f"{path} is missing; rebuild the index")
    array: np.ndarray = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    return array
