"""User accounts: Argon2 password hashes, sign-in with lockout, and idle session expiry.

Sign-in takes the same work (one Argon2 verification) whether the username exists, the account
is locked or disabled, or the password is wrong, and it fails with one message for all of
these, so neither timing nor wording tells an outsider which usernames exist. The precise
reason goes to the audit trail.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.orm import Session, sessionmaker

from assistant.audit import AuditAction, AuditLog, as_utc
from assistant.storage import access_repository as access_repo
from assistant.storage.db import transaction
from assistant.storage.models import Role, User, utcnow

Clock = Callable[[], datetime]

MAX_PASSWORD_CHARS = 1024
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,149}")


class AccountSettings(BaseSettings):
    """Password, lockout and session rules, from ``ASSISTANT_ACCOUNTS__*`` variables."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_ACCOUNTS__", extra="ignore")

    min_password_length: int = Field(default=12, ge=12, description="Never below 12.")
    lock_after_failures: int = Field(
        default=5, gt=0, description="Consecutive failed sign-ins before the account locks."
    )
    lock_base_seconds: float = Field(
        default=60, gt=0, description="First lock; each further failure doubles it."
    )
    lock_max_seconds: float = Field(default=3600, gt=0, description="Longest lock.")
    session_idle_minutes: float = Field(
        default=480, gt=0, description="A session unused this long must sign in again."
    )


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is fit to show as is."""


class UnknownUserError(AccountError, LookupError):
    pass


class LoginFailure(StrEnum):
    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"
    DISABLED = "disabled"


class LoginFailedError(Exception):
    """Sign-in refused. The message is the same for every reason; ``reason`` is for the log."""

    def __init__(self, reason: LoginFailure) -> None:
        super().__init__("Wrong username or password, or the account is locked for a while.")
        self.reason = reason


class SessionExpiredError(Exception):
    """A session may no longer be used: idle too long, or the account changed under it."""

    def __init__(self, reason: str) -> None:
        super().__init__("Your session has ended; please sign in again.")
        self.reason = reason


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    failed_logins: int
    locked_until: datetime | None
    password_changed_at: datetime
    must_change_password: bool

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @classmethod
    def of(cls, row: User) -> UserInfo:
        return cls(
            id=row.id,
            username=row.username,
            role=Role(row.role),
            disabled=row.disabled,
            created_at=as_utc(row.created_at),
            failed_logins=row.failed_logins,
            locked_until=as_utc(row.locked_until) if row.locked_until else None,
            password_changed_at=as_utc(row.password_changed_at),
            must_change_password=row.must_change_password,
        )


@dataclass(frozen=True)
class LoginTicket:
    """Proof of a sign-in, kept by the UI for the browser session and checked on each use."""

    username: str
    issued_at: datetime
    last_seen: datetime


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: stored and compared in lower case, without spaces."""
    return username.strip().lower()


def generate_password() -> str:
    """A random password of 24 URL-safe characters (144 bits)."""
    return secrets.token_urlsafe(18)


def default_hasher() -> PasswordHasher:
    """Argon2id with the library's recommended cost."""
    return PasswordHasher()


class Accounts:
    """Creates and changes accounts, signs users in and checks their sessions."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        audit: AuditLog,
        settings: AccountSettings | None = None,
        hasher: PasswordHasher | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self.audit = audit
        self.settings = settings or AccountSettings()
        self._hasher = hasher or default_hasher()
        self._clock = clock
        self._dummy_hash: str | None = None

    def _now(self) -> datetime:
        return as_utc(self._clock())

    def check_password(self, password: str, *, username: str = "") -> None:
        """Raise ``AccountError`` when the password breaks the policy."""
        minimum = self.settings.min_password_length
        if len(password) < minimum:
            raise AccountError(f"A password needs at least {minimum} characters.")
        if len(password) > MAX_PASSWORD_CHARS:
            raise AccountError(f"A password may have at most {MAX_PASSWORD_CHARS} characters.")
        if username and password.strip().lower() == normalize_username(username):
            raise AccountError("The password must not be the username.")

    def create_user(
        self,
        username: str,
        password: str,
        role: Role = Role.VIEWER,
        *,
        must_change_password: bool = False,
    ) -> UserInfo:
        """Create an account; with ``must_change_password`` its user is to replace the
        password with one of their own first."""
        name = normalize_username(username)
        if not _USERNAME.fullmatch(name):
            raise AccountError(
                "A username has 1 to 150 letters, digits, '.', '_', '@' or '-', "
                "and starts with a letter or digit."
            )
        self.check_password(password, username=name)
        password_hash = self._hasher.hash(password)
        now = self._now()
        with transaction(self._sessions) as session:
            if access_repo.get_user(session=session, username=name) is not None:
                raise AccountError(f"The username {name!r} is taken.")
            row = User(
                username=name,
                password_hash=password_hash,
                role=Role(role).value,
                disabled=False,
                created_at=now,
                failed_logins=0,
                password_changed_at=now,
                must_change_password=must_change_password,
            )
            session.add(row)
            session.flush()
            return UserInfo.of(row)

    def get(self, username: str) -> UserInfo:
        with self._sessions() as session:
            return UserInfo.of(self._row(session, username))

    def list_users(self) -> list[UserInfo]:
        with self._sessions() as session:
            return [UserInfo.of(row) for row in access_repo.list_users(session=session)]

    def count(self) -> int:
        with self._sessions() as session:
            return access_repo.count_users(session=session)

    def _row(self, session: Session, username: str) -> User:
        row = access_repo.get_user(session=session, username=normalize_username(username))
        if row is None:
            raise UnknownUserError(f"There is no user named {username!r}.")
        return row

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """One Argon2 verification in every case, so timing does not tell cases apart; without
        a stored hash, a hash of a random secret nobody knows stands in."""
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(18))
            password_hash = self._dummy_hash
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _lock_seconds(self, failures: int) -> float:
        excess = min(failures - self.settings.lock_after_failures, 30)
        return float(
            min(self.settings.lock_base_seconds * 2**excess, self.settings.lock_max_seconds)
        )

    def authenticate(self, username: str, password: str) -> UserInfo:
        """The user, when the password is right and the account usable; else
        ``LoginFailedError``. Five failures in a row lock the account, each further failure
        for twice as long; attempts while locked are refused without being counted."""
        name = normalize_username(username)
        with transaction(self._sessions) as session:
            row = access_repo.get_user(session=session, username=name, for_update=True)
            outcome = self._attempt(row, password[:MAX_PASSWORD_CHARS])
        if isinstance(outcome, LoginFailure):
            self.audit.record(name[:150], AuditAction.LOGIN_FAILED, detail=outcome.value)
            raise LoginFailedError(outcome)
        self.audit.record(outcome.username, AuditAction.LOGIN)
        return outcome

    def _attempt(self, row: User | None, password: str) -> UserInfo | LoginFailure:
        """Apply one sign-in attempt to the account's row: the user, or why it failed."""
        now = self._now()
        matches = self._verify(row.password_hash if row else None, password)
        if row is None:
            return LoginFailure.UNKNOWN_USER
        if row.locked_until is not None and as_utc(row.locked_until) > now:
            return LoginFailure.LOCKED
        if not matches:
            row.failed_logins += 1
            if row.failed_logins >= self.settings.lock_after_failures:
                row.locked_until = now + timedelta(seconds=self._lock_seconds(row.failed_logins))
            return LoginFailure.WRONG_PASSWORD
        if row.disabled:
            return LoginFailure.DISABLED
        row.failed_logins = 0
        row.locked_until = None
        if self._hasher.check_needs_rehash(row.password_hash):
            row.password_hash = self._hasher.hash(password)
        return UserInfo.of(row)

    def login(self, username: str, password: str) -> tuple[UserInfo, LoginTicket]:
        """Authenticate and issue a ticket for the new session."""
        user = self.authenticate(username, password)
        now = self._now()
        return user, LoginTicket(user.username, issued_at=now, last_seen=now)

    def resume(self, ticket: LoginTicket) -> tuple[UserInfo, LoginTicket]:
        """Check a session on use: not idle past the limit, the account still enabled and its
        password unchanged since sign-in. Returns the current user and the refreshed ticket."""
        now = self._now()
        idle = timedelta(minutes=self.settings.session_idle_minutes)
        try:
            with self._sessions() as session:
                row = access_repo.get_user(session=session, username=ticket.username)
                user = UserInfo.of(row) if row is not None else None
            if now - as_utc(ticket.last_seen) > idle:
                raise SessionExpiredError("idle timeout")
            if user is None:
                raise SessionExpiredError("account removed")
            if user.disabled:
                raise SessionExpiredError("account disabled")
            if user.password_changed_at > as_utc(ticket.issued_at):
                raise SessionExpiredError("password changed")
        except SessionExpiredError as exc:
            self.audit.record(ticket.username, AuditAction.SESSION_EXPIRED, detail=exc.reason)
            raise
        return user, replace(ticket, last_seen=now)

    def logout(self, ticket: LoginTicket) -> None:
        self.audit.record(ticket.username, AuditAction.LOGOUT)

    def change_password(self, username: str, current: str, new: str) -> LoginTicket:
        """Change one's own password after proving the current one (a wrong one counts as a
        failed sign-in). The new one must differ from it. Other sessions of the account end; a
        new ticket is returned for this one."""
        user = self.authenticate(username, current)
        if new == current:
            raise AccountError("The new password must differ from the current one.")
        self.reset_password(user.username, new)
        now = self._now()
        return LoginTicket(user.username, issued_at=now, last_seen=now)

    def reset_password(self, username: str, new: str) -> None:
        """Set a new password (an administrator's reset); unlocks the account, ends its
        sessions and takes away the demand for a new password."""
        self.check_password(new, username=username)
        password_hash = self._hasher.hash(new)
        with transaction(self._sessions) as session:
            row = self._row(session, username)
            row.password_hash = password_hash
            row.password_changed_at = self._now()
            row.failed_logins = 0
            row.locked_until = None
            row.must_change_password = False

    def set_role(self, username: str, role: Role) -> None:
        with transaction(self._sessions) as session:
            row = self._row(session, username)
            if row.role == Role.ADMIN and role != Role.ADMIN:
                self._keep_an_admin(session, row)
            row.role = Role(role).value

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (or enable again) an account; a disabled account's sessions end at once."""
        with transaction(self._sessions) as session:
            row = self._row(session, username)
            if disabled and row.role == Role.ADMIN:
                self._keep_an_admin(session, row)
            row.disabled = disabled

    @staticmethod
    def _keep_an_admin(session: Session, leaving: User) -> None:
        others = [
            u
            for u in access_repo.list_users(session=session)
            if u.role == Role.ADMIN and not u.disabled and u.id != leaving.id
        ]
        if not others:
            raise AccountError("At least one enabled administrator must remain.")
