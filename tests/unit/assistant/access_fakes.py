"""Model-free helpers for the account, permission and UI tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

from assistant.accounts import Accounts, AccountSettings
from assistant.audit import AuditLog
from assistant.generation.base import Generator
from assistant.service import Assistant
from assistant.settings import Settings, StorageSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder


def fast_hasher() -> PasswordHasher:
    """Argon2id at its lowest cost: same code path, a thousandth of the time."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_assistant(
    data_dir: Path, database_url: str | None = None, generator: Generator | None = None
) -> Assistant:
    """An installation with the hashing embedder and, unless given another, a generator
    that answers every question with the same cited sentence."""
    settings = Settings(data_dir=data_dir, storage=StorageSettings(url=database_url))
    return Assistant(
        settings,
        embedder=HashingEmbedder(),
        generator=generator or ScriptedGenerator(["From the passages ", "[1]."]),
    )


def make_accounts(
    assistant: Assistant,
    *,
    clock: FakeClock | None = None,
    settings: AccountSettings | None = None,
    hasher: PasswordHasher | None = None,
) -> Accounts:
    tick = clock or FakeClock()
    return Accounts(
        assistant.sessions,
        audit=AuditLog(assistant.sessions, clock=tick),
        settings=settings or AccountSettings(),
        hasher=hasher or fast_hasher(),
        clock=tick,
    )
