"""Accounts on SQLite and PostgreSQL: hashing, password rules, lockout, disabling, sessions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError
from sqlalchemy import select

from assistant.accounts import (
    AccountError,
    Accounts,
    AccountSettings,
    LoginFailedError,
    LoginFailure,
    SessionExpiredError,
    generate_password,
)
from assistant.audit import AuditAction, AuditQuery
from assistant.service import Assistant
from assistant.storage.models import Role, User
from tests.unit.assistant.access_fakes import FakeClock, make_accounts, make_assistant

PASSWORD = "correct horse battery"


@pytest.fixture
def assistant(tmp_path: Path, database_url: str) -> Iterator[Assistant]:
    service = make_assistant(tmp_path / "data", database_url)
    yield service
    service.engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def accounts(assistant: Assistant, clock: FakeClock) -> Accounts:
    return make_accounts(assistant, clock=clock)


class CountingHasher(PasswordHasher):
    """Counts verifications, to show that every sign-in path does the same work."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


def stored_hash(assistant: Assistant, username: str) -> str:
    with assistant.sessions() as session:
        return session.scalars(select(User.password_hash).where(User.username == username)).one()


def test_passwords_are_stored_as_salted_argon2id_hashes(
    accounts: Accounts, assistant: Assistant
) -> None:
    accounts.create_user("alice", PASSWORD)
    accounts.create_user("bob", PASSWORD)
    alice, bob = stored_hash(assistant, "alice"), stored_hash(assistant, "bob")
    assert alice.startswith("$argon2id$")
    assert PASSWORD not in alice
    assert alice != bob  # each hash has its own salt
    assert accounts.authenticate("alice", PASSWORD).username == "alice"


def test_password_policy_needs_twelve_characters_and_not_the_username(
    accounts: Accounts,
) -> None:
    with pytest.raises(AccountError, match="at least 12"):
        accounts.create_user("alice", "short pass1")
    with pytest.raises(AccountError, match="username"):
        accounts.create_user("longusername1", "LongUsername1")
    with pytest.raises(ValidationError):
        AccountSettings(min_password_length=8)
    accounts.create_user("alice", "twelve chars")
    assert len(generate_password()) >= 12


def test_usernames_are_case_insensitive_unique_and_restricted(accounts: Accounts) -> None:
    created = accounts.create_user("  Alice ", PASSWORD, Role.EDITOR)
    assert created.username == "alice"
    assert created.role == Role.EDITOR
    assert accounts.authenticate("ALICE", PASSWORD).username == "alice"
    with pytest.raises(AccountError, match="taken"):
        accounts.create_user("alice", PASSWORD)
    for bad in ["", "with space", "(operator)", "a" * 151]:
        with pytest.raises(AccountError):
            accounts.create_user(bad, PASSWORD)


def test_wrong_password_and_unknown_user_fail_alike(accounts: Accounts) -> None:
    accounts.create_user("alice", PASSWORD)
    with pytest.raises(LoginFailedError) as wrong:
        accounts.authenticate("alice", "not the password")
    with pytest.raises(LoginFailedError) as unknown:
        accounts.authenticate("nobody", PASSWORD)
    assert wrong.value.reason == LoginFailure.WRONG_PASSWORD
    assert unknown.value.reason == LoginFailure.UNKNOWN_USER
    assert str(wrong.value) == str(unknown.value)


def test_every_sign_in_path_runs_one_verification(assistant: Assistant, clock: FakeClock) -> None:
    hasher = CountingHasher()
    accounts = make_accounts(assistant, clock=clock, hasher=hasher)
    accounts.create_user("alice", PASSWORD)
    accounts.create_user("dora", PASSWORD)
    accounts.set_disabled("dora", True)
    attempts = [("alice", PASSWORD), ("alice", "wrong password"), ("nobody", PASSWORD)]
    attempts += [("dora", PASSWORD)]
    for username, password in attempts:
        before = hasher.verifications
        with contextlib.suppress(LoginFailedError):
            accounts.authenticate(username, password)
        assert hasher.verifications == before + 1, username


def test_five_failures_lock_the_account_for_a_growing_period(
    accounts: Accounts, clock: FakeClock
) -> None:
    accounts.create_user("alice", PASSWORD)
    for _ in range(5):
        with pytest.raises(LoginFailedError):
            accounts.authenticate("alice", "guess guess guess")
    first_lock = accounts.get("alice").locked_until
    assert first_lock == clock.now + timedelta(seconds=60)

    # while locked even the right password is refused, and attempts are not counted
    with pytest.raises(LoginFailedError) as locked:
        accounts.authenticate("alice", PASSWORD)
    assert locked.value.reason == LoginFailure.LOCKED
    assert accounts.get("alice").failed_logins == 5

    clock.advance(seconds=61)
    with pytest.raises(LoginFailedError):
        accounts.authenticate("alice", "guess again please")
    assert accounts.get("alice").locked_until == clock.now + timedelta(seconds=120)

    clock.advance(seconds=121)
    assert accounts.authenticate("alice", PASSWORD).username == "alice"
    after = accounts.get("alice")
    assert after.failed_logins == 0
    assert after.locked_until is None


def test_lock_period_is_capped(assistant: Assistant, clock: FakeClock) -> None:
    settings = AccountSettings(lock_after_failures=1, lock_base_seconds=10, lock_max_seconds=30)
    accounts = make_accounts(assistant, clock=clock, settings=settings)
    accounts.create_user("alice", PASSWORD)
    periods: list[float] = []
    for _ in range(4):
        with pytest.raises(LoginFailedError):
            accounts.authenticate("alice", "guess guess guess")
        lock = accounts.get("alice").locked_until
        assert lock is not None
        periods.append((lock - clock.now).total_seconds())
        clock.now = lock + timedelta(seconds=1)
    assert periods == [10, 20, 30, 30]


def test_disabled_users_cannot_sign_in_until_enabled(accounts: Accounts) -> None:
    accounts.create_user("admin", PASSWORD, Role.ADMIN)
    accounts.create_user("alice", PASSWORD)
    accounts.set_disabled("alice", True)
    with pytest.raises(LoginFailedError) as refused:
        accounts.authenticate("alice", PASSWORD)
    assert refused.value.reason == LoginFailure.DISABLED
    accounts.set_disabled("alice", False)
    assert accounts.authenticate("alice", PASSWORD).username == "alice"


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(accounts: Accounts) -> None:
    accounts.create_user("root", PASSWORD, Role.ADMIN)
    with pytest.raises(AccountError, match="administrator"):
        accounts.set_disabled("root", True)
    with pytest.raises(AccountError, match="administrator"):
        accounts.set_role("root", Role.EDITOR)
    accounts.create_user("second", PASSWORD, Role.ADMIN)
    accounts.set_role("root", Role.VIEWER)
    assert accounts.get("root").role == Role.VIEWER


def test_sessions_expire_after_the_idle_timeout(accounts: Accounts, clock: FakeClock) -> None:
    accounts.create_user("alice", PASSWORD)
    _, ticket = accounts.login("alice", PASSWORD)
    clock.advance(minutes=479)
    user, ticket = accounts.resume(ticket)  # using the session refreshes it
    assert user.username == "alice"
    assert ticket.last_seen == clock.now
    clock.advance(minutes=479)
    _, ticket = accounts.resume(ticket)
    clock.advance(minutes=481)
    with pytest.raises(SessionExpiredError) as expired:
        accounts.resume(ticket)
    assert expired.value.reason == "idle timeout"


def test_idle_timeout_is_configurable(assistant: Assistant, clock: FakeClock) -> None:
    accounts = make_accounts(
        assistant, clock=clock, settings=AccountSettings(session_idle_minutes=5)
    )
    accounts.create_user("alice", PASSWORD)
    _, ticket = accounts.login("alice", PASSWORD)
    clock.advance(minutes=6)
    with pytest.raises(SessionExpiredError):
        accounts.resume(ticket)


def test_disabling_or_resetting_the_password_ends_sessions(
    accounts: Accounts, clock: FakeClock
) -> None:
    accounts.create_user("admin", PASSWORD, Role.ADMIN)
    accounts.create_user("alice", PASSWORD)
    _, ticket = accounts.login("alice", PASSWORD)
    accounts.set_disabled("alice", True)
    with pytest.raises(SessionExpiredError, match="sign in again"):
        accounts.resume(ticket)
    accounts.set_disabled("alice", False)
    _, ticket = accounts.login("alice", PASSWORD)
    clock.advance(seconds=1)
    accounts.reset_password("alice", "a brand new secret")
    with pytest.raises(SessionExpiredError) as expired:
        accounts.resume(ticket)
    assert expired.value.reason == "password changed"
    assert accounts.authenticate("alice", "a brand new secret").username == "alice"


def test_changing_ones_password_keeps_this_session_and_ends_others(
    accounts: Accounts, clock: FakeClock
) -> None:
    accounts.create_user("alice", PASSWORD)
    _, other = accounts.login("alice", PASSWORD)
    clock.advance(seconds=5)
    with pytest.raises(LoginFailedError):
        accounts.change_password("alice", "not my password", "another good one")
    ticket = accounts.change_password("alice", PASSWORD, "another good one")
    accounts.resume(ticket)
    with pytest.raises(SessionExpiredError):
        accounts.resume(other)
    with pytest.raises(LoginFailedError):
        accounts.authenticate("alice", PASSWORD)


def test_a_made_up_password_is_to_be_replaced_by_the_users_own(accounts: Accounts) -> None:
    made_up = generate_password()
    assert accounts.create_user("alice", made_up, must_change_password=True).must_change_password
    assert not accounts.create_user("bob", PASSWORD).must_change_password
    with pytest.raises(AccountError, match="differ"):
        accounts.change_password("alice", made_up, made_up)
    assert accounts.get("alice").must_change_password
    accounts.change_password("alice", made_up, "one of my own choosing")
    assert not accounts.get("alice").must_change_password


def test_an_administrators_reset_replaces_a_made_up_password(accounts: Accounts) -> None:
    accounts.create_user("alice", generate_password(), must_change_password=True)
    accounts.reset_password("alice", "set by the administrator")
    assert not accounts.get("alice").must_change_password


def test_reset_password_unlocks_and_checks_the_policy(accounts: Accounts) -> None:
    accounts.create_user("alice", PASSWORD)
    for _ in range(5):
        with pytest.raises(LoginFailedError):
            accounts.authenticate("alice", "guess guess guess")
    with pytest.raises(AccountError):
        accounts.reset_password("alice", "short")
    accounts.reset_password("alice", "a fresh password")
    assert accounts.authenticate("alice", "a fresh password").username == "alice"


def test_sign_ins_are_audited_with_the_reason_of_failure(accounts: Accounts) -> None:
    accounts.create_user("alice", PASSWORD)
    accounts.authenticate("alice", PASSWORD)
    for username, password in [("alice", "wrong password"), ("ghost", PASSWORD)]:
        with pytest.raises(LoginFailedError):
            accounts.authenticate(username, password)
    events = accounts.audit.query(AuditQuery())
    assert [(e.username, e.action, e.detail) for e in reversed(events)] == [
        ("alice", AuditAction.LOGIN, ""),
        ("alice", AuditAction.LOGIN_FAILED, "wrong_password"),
        ("ghost", AuditAction.LOGIN_FAILED, "unknown_user"),
    ]
