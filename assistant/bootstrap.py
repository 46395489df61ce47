"""First accounts of an installation: there is never a default password.

An operator creates administrators with ``assistant create-admin``. ``assistant up`` on an
installation without any user creates ``admin`` with a password from ``ASSISTANT_ADMIN_PASSWORD``
or, when that is unset, a random one that is shown once and must be replaced at the first
sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.accounts import Accounts, UserInfo, generate_password
from assistant.audit import AuditAction, AuditLog
from assistant.scoped import ScopedAssistant
from assistant.service import Assistant
from assistant.storage.models import Right, Role

ADMIN_PASSWORD_ENV = "ASSISTANT_ADMIN_PASSWORD"
FIRST_ADMIN = "admin"
OPERATOR = "(operator)"
"""The audit name of command-line actions; parentheses cannot occur in a username."""


@dataclass(frozen=True)
class FirstAdmin:
    """The account made on first start; ``generated_password`` is set when it was made up
    here and must be shown to the operator (once)."""

    username: str
    generated_password: str | None


def open_accounts(assistant: Assistant) -> Accounts:
    """The accounts of the installation ``assistant`` opened, with its audit trail."""
    return Accounts(assistant.sessions, audit=AuditLog(assistant.sessions))


def create_admin(
    accounts: Accounts, username: str, password: str, *, must_change_password: bool = False
) -> UserInfo:
    """Create an administrator on the operator's behalf, and record it."""
    user = accounts.create_user(
        username, password, Role.ADMIN, must_change_password=must_change_password
    )
    accounts.audit.record(OPERATOR, AuditAction.USER_CREATED, detail=f"{user.username} as admin")
    return user


def ensure_first_admin(
    assistant: Assistant, *, password: str | None, collection: str | None = None
) -> FirstAdmin | None:
    """When no account exists yet, create ``admin`` (with ``password``, or a generated one that
    it must replace at its first sign-in) and make it editor of ``collection`` when that exists.
    ``None`` when accounts already exist."""
    accounts = open_accounts(assistant)
    if accounts.count() > 0:
        return None
    chosen = password or generate_password()
    user = create_admin(accounts, FIRST_ADMIN, chosen, must_change_password=not password)
    if collection is not None and collection in assistant.collections():
        admin = ScopedAssistant(assistant, accounts, user.username)
        admin.grant(collection, user.username, Right.EDITOR)
    return FirstAdmin(user.username, None if password else chosen)
