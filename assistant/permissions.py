"""Who may do what: rights derived from a user's role and collection grants.

Administrators may do everything. Other users read the collections they were granted; an
editor-role user with the editor right on a collection may also change its documents and its
grants, and may create collections. A viewer-role user only ever reads, whatever its grants say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy.orm import Session

from assistant.storage import access_repository as access_repo
from assistant.storage.models import Right, Role


class PermissionDeniedError(Exception):
    """The user may not do this; the message is fit to show as is."""


@dataclass(frozen=True)
class Access:
    """One user's rights at one moment. ``grants`` maps collection ids to rights."""

    username: str
    role: Role
    grants: Mapping[int, Right] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_create_collections(self) -> bool:
        return self.role in (Role.ADMIN, Role.EDITOR)

    def can_read(self, collection_id: int) -> bool:
        return self.is_admin or collection_id in self.grants

    def can_edit(self, collection_id: int) -> bool:
        """Add, replace, re-index and delete documents of the collection."""
        if self.is_admin:
            return True
        return self.role == Role.EDITOR and self.grants.get(collection_id) == Right.EDITOR

    def can_grant(self, collection_id: int) -> bool:
        """Give and take rights on the collection."""
        return self.can_edit(collection_id)

    def right_on(self, collection_id: int) -> Right | None:
        """The effective right: what the user can actually do there, if anything."""
        if self.can_edit(collection_id):
            return Right.EDITOR
        return Right.VIEWER if self.can_read(collection_id) else None


def may_hold(role: Role, right: Right) -> bool:
    """Whether a user of ``role`` can be given ``right``: viewers only read."""
    return right == Right.VIEWER or role != Role.VIEWER


def load_access(*, session: Session, username: str) -> Access | None:
    """The rights of an enabled user; ``None`` when the account is missing or disabled."""
    user = access_repo.get_user(session=session, username=username)
    if user is None or user.disabled:
        return None
    grants = {
        cid: Right(right)
        for cid, right in access_repo.grants_of(session=session, user_id=user.id).items()
    }
    return Access(username=user.username, role=Role(user.role), grants=MappingProxyType(grants))
