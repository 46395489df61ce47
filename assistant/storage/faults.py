"""Telling a storage fault (full disk, unreachable database) from an error of one input.

A bad file fails alone and the batch goes on; when the disk is full or the database is gone,
every further file would fail the same way, so the work stops with one clear message, and
what was stored before stays intact.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_MARKERS = ("database or disk is full", "no space left on device", "disk full")


class StorageUnavailableError(RuntimeError):
    """The database or the index files cannot be written now. Nothing half-written was kept;
    the same work can be done again once the cause (named in the message) is fixed."""

    code = "storage_unavailable"


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says that the disk holding the data is full."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    if isinstance(exc, sa_exc.OperationalError):
        text = str(exc.orig).lower()
        return any(marker in text for marker in _FULL_MARKERS)
    return False


def database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` is the database server being down, restarting or cut off, which a later
    attempt may not meet."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) and not disk_full(exc)


def storage_fault(exc: BaseException) -> StorageUnavailableError | None:
    """The error to report when ``exc`` is a storage fault rather than a problem of the input."""
    if disk_full(exc):
        return StorageUnavailableError(
            "the disk holding the data is full; what was being written was not kept, and "
            "everything stored before is intact; free some space and try again"
        )
    if database_unreachable(exc):
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        return StorageUnavailableError(
            f"the database cannot be reached ({reason}); what was being written was not kept, "
            "and everything stored before is intact; try again once it is back"
        )
    return None


@contextmanager
def storage_faults() -> Iterator[None]:
    """Re-raise storage faults inside the block as ``StorageUnavailableError``."""
    try:
        yield
    except Exception as exc:
        fault = storage_fault(exc)
        if fault is None:
            raise
        raise fault from exc
