"""API tokens: shown once, stored only as a digest, and useless once revoked, expired or
their account is disabled."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from assistant.accounts import AccountError, Accounts, UnknownUserError
from assistant.api_tokens import PREFIX_CHARS, ApiTokens, TokenNotFoundError, token_digest
from assistant.audit import AuditAction, AuditQuery
from assistant.service import Assistant
from assistant.storage.models import ApiToken, Base, Role
from tests.unit.assistant.access_fakes import FakeClock, make_accounts, make_assistant

PASSWORD = "correct horse battery"


@dataclass
class Setup:
    assistant: Assistant
    accounts: Accounts
    tokens: ApiTokens
    clock: FakeClock


@pytest.fixture
def setup(tmp_path: Path, database_url: str) -> Iterator[Setup]:
    assistant = make_assistant(tmp_path / "data", database_url)
    clock = FakeClock()
    accounts = make_accounts(assistant, clock=clock)
    accounts.create_user("alice", PASSWORD, Role.VIEWER)
    accounts.create_user("bob", PASSWORD, Role.EDITOR)
    yield Setup(
        assistant, accounts, ApiTokens(assistant.sessions, audit=accounts.audit, clock=clock), clock
    )
    assistant.engine.dispose()


def test_migration_matches_the_model(setup: Setup) -> None:
    with setup.assistant.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "api_tokens" in repr(d)] == []


def test_a_token_is_stored_only_as_its_digest(setup: Setup) -> None:
    issued = setup.tokens.create("Alice", name=" laptop ")
    assert issued.token.startswith("da_")
    assert len(issued.token) > 40
    assert issued.info.username == "alice"
    assert issued.info.name == "laptop"
    assert issued.info.prefix == issued.token[:PREFIX_CHARS]
    assert issued.info.active
    with setup.assistant.sessions() as session:
        rows = list(session.scalars(select(ApiToken)))
    assert [r.token_hash for r in rows] == [token_digest(issued.token)]
    stored = repr([(r.name, r.prefix, r.token_hash) for r in rows])
    assert issued.token not in stored
    assert setup.tokens.resolve(issued.token) == "alice"


def test_unknown_malformed_and_altered_tokens_resolve_to_nobody(setup: Setup) -> None:
    token = setup.tokens.create("alice").token
    assert setup.tokens.resolve(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert setup.tokens.resolve("") is None
    assert setup.tokens.resolve("not-a-token") is None
    assert setup.tokens.resolve("da_" + "x" * 500) is None


def test_revoked_expired_and_disabled_tokens_resolve_to_nobody(setup: Setup) -> None:
    revoked = setup.tokens.create("alice", name="old")
    expiring = setup.tokens.create("alice", expires_in=timedelta(days=1))
    bobs = setup.tokens.create("bob")

    info = setup.tokens.revoke("alice", revoked.info.id)
    assert info.revoked_at == setup.clock.now
    assert not info.active
    assert setup.tokens.resolve(revoked.token) is None

    setup.clock.advance(hours=23)
    assert setup.tokens.resolve(expiring.token) == "alice"
    setup.clock.advance(hours=1)
    assert setup.tokens.resolve(expiring.token) is None

    setup.accounts.set_disabled("bob", True)
    assert setup.tokens.resolve(bobs.token) is None
    setup.accounts.set_disabled("bob", False)
    assert setup.tokens.resolve(bobs.token) == "bob"

    listed = setup.tokens.list_tokens("alice")
    assert [(t.id, t.active) for t in listed] == [
        (expiring.info.id, False),
        (revoked.info.id, False),
    ]


def test_only_the_owner_can_revoke_and_revoking_twice_changes_nothing(setup: Setup) -> None:
    issued = setup.tokens.create("alice")
    with pytest.raises(TokenNotFoundError):
        setup.tokens.revoke("bob", issued.info.id)
    with pytest.raises(TokenNotFoundError):
        setup.tokens.revoke("alice", 10**6)
    assert setup.tokens.resolve(issued.token) == "alice"
    first = setup.tokens.revoke("alice", issued.info.id)
    setup.clock.advance(minutes=5)
    assert setup.tokens.revoke("alice", issued.info.id).revoked_at == first.revoked_at


def test_creation_and_revocation_are_audited_without_the_secret(setup: Setup) -> None:
    issued = setup.tokens.create("alice", name="ci")
    setup.tokens.create("bob", actor="(operator)")
    setup.tokens.revoke("alice", issued.info.id)
    setup.tokens.revoke("alice", issued.info.id)
    events = setup.accounts.audit.query(AuditQuery())
    trail = [(e.username, e.action) for e in reversed(events)]
    assert trail == [
        ("alice", AuditAction.TOKEN_CREATED),
        ("(operator)", AuditAction.TOKEN_CREATED),
        ("alice", AuditAction.TOKEN_REVOKED),
    ]
    assert all(issued.token not in e.detail for e in events)
    assert issued.info.prefix in events[-1].detail


def test_tokens_need_an_enabled_user_a_short_name_and_a_positive_lifetime(setup: Setup) -> None:
    with pytest.raises(UnknownUserError):
        setup.tokens.create("nobody")
    setup.accounts.set_disabled("alice", True)
    with pytest.raises(AccountError):
        setup.tokens.create("alice")
    with pytest.raises(ValueError, match="at most"):
        setup.tokens.create("bob", name="x" * 101)
    with pytest.raises(ValueError, match="some time"):
        setup.tokens.create("bob", expires_in=timedelta(0))
    assert setup.tokens.list_tokens("bob") == []
