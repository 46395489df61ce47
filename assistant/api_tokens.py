"""API tokens: long random bearer secrets of which only a SHA-256 digest is stored.

A token is shown once, when it is made; afterwards only its first characters (its prefix) are
kept in clear, so its owner can tell tokens apart. A token stands for its owner while it is
neither revoked nor expired and the owner's account is enabled; otherwise it resolves to
nothing, exactly like a token that never existed. A plain digest suffices, unlike for
passwords: the tokens are random with 256 bits of entropy, so there is nothing to guess.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.accounts import AccountError, UnknownUserError, normalize_username
from assistant.audit import AuditAction, AuditLog, as_utc
from assistant.storage import access_repository as access_repo
from assistant.storage.db import transaction
from assistant.storage.models import ApiToken, User, utcnow
from assistant.storage.repository import NotFoundError

Clock = Callable[[], datetime]

TOKEN_MARK = "da_"
"""Starts every token, so that secret scanners and people recognise one."""
PREFIX_CHARS = len(TOKEN_MARK) + 8
MAX_NAME_CHARS = 100
MAX_TOKEN_CHARS = 200


class TokenNotFoundError(NotFoundError):
    """No token with that id belongs to the user."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token itself."""

    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    active: bool
    """Neither revoked nor expired when this was read."""

    @classmethod
    def of(cls, row: ApiToken, username: str, now: datetime) -> TokenInfo:
        expires_at = as_utc(row.expires_at) if row.expires_at else None
        revoked_at = as_utc(row.revoked_at) if row.revoked_at else None
        return cls(
            id=row.id,
            username=username,
            name=row.name,
            prefix=row.prefix,
            created_at=as_utc(row.created_at),
            expires_at=expires_at,
            revoked_at=revoked_at,
            active=revoked_at is None and (expires_at is None or now < expires_at),
        )


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` is the secret, to hand to its owner once and then forget."""

    token: str
    info: TokenInfo


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiTokens:
    """Issues, lists, revokes and checks the API tokens of every user."""

    def __init__(
        self, sessions: sessionmaker[Session], *, audit: AuditLog, clock: Clock = utcnow
    ) -> None:
        self._sessions = sessions
        self._audit = audit
        self._clock = clock

    def _now(self) -> datetime:
        return as_utc(self._clock())

    def create(
        self,
        username: str,
        *,
        name: str = "",
        expires_in: timedelta | None = None,
        actor: str | None = None,
    ) -> IssuedToken:
        """A new token for an enabled user, valid for ``expires_in`` (forever when ``None``).
        ``actor`` is who is recorded as having made it: the user by default."""
        label = name.strip()
        if len(label) > MAX_NAME_CHARS:
            raise ValueError(f"A token name has at most {MAX_NAME_CHARS} characters.")
        if expires_in is not None and expires_in <= timedelta(0):
            raise ValueError("A token must be valid for some time.")
        token = TOKEN_MARK + secrets.token_urlsafe(32)
        now = self._now()
        with transaction(self._sessions) as session:
            user = self._user(session, username)
            if user.disabled:
                raise AccountError(f"The account {user.username!r} is disabled.")
            row = ApiToken(
                user_id=user.id,
                name=label,
                prefix=token[:PREFIX_CHARS],
                token_hash=token_digest(token),
                created_at=now,
                expires_at=now + expires_in if expires_in is not None else None,
            )
            session.add(row)
            session.flush()
            info = TokenInfo.of(row, user.username, now)
        self._audit.record(
            actor or info.username,
            AuditAction.TOKEN_CREATED,
            detail=f"{info.prefix}… of {info.username} {info.name}".rstrip(),
        )
        return IssuedToken(token, info)

    def list_tokens(self, username: str) -> list[TokenInfo]:
        """The user's tokens, revoked and expired ones included, newest first."""
        with self._sessions() as session:
            user = self._user(session, username)
            rows = session.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == user.id)
                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            )
            now = self._now()
            return [TokenInfo.of(row, user.username, now) for row in rows]

    def revoke(self, username: str, token_id: int, *, actor: str | None = None) -> TokenInfo:
        """Revoke one of the user's tokens; revoking a revoked token changes nothing."""
        with transaction(self._sessions) as session:
            user = self._user(session, username)
            row = session.get(ApiToken, token_id)
            if row is None or row.user_id != user.id:
                raise TokenNotFoundError(f"no token with id {token_id}")
            now = self._now()
            newly = row.revoked_at is None
            if newly:
                row.revoked_at = now
            info = TokenInfo.of(row, user.username, now)
        if newly:
            self._audit.record(
                actor or info.username,
                AuditAction.TOKEN_REVOKED,
                detail=f"{info.prefix}… of {info.username} {info.name}".rstrip(),
            )
        return info

    def resolve(self, token: str) -> str | None:
        """The username a token stands for now, or ``None``."""
        if not token.startswith(TOKEN_MARK) or len(token) > MAX_TOKEN_CHARS:
            return None
        with self._sessions() as session:
            found = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == token_digest(token))
            ).first()
            if found is None:
                return None
            row, user = found
            if user.disabled or not TokenInfo.of(row, user.username, self._now()).active:
                return None
            return user.username

    @staticmethod
    def _user(session: Session, username: str) -> User:
        user = access_repo.get_user(session=session, username=normalize_username(username))
        if user is None:
            raise UnknownUserError(f"There is no user named {username!r}.")
        return user
