"""The rules of who may do what, on their own: role and grants to rights."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from assistant.permissions import Access, may_hold
from assistant.storage.models import Right, Role

HR, FINANCE, LEGAL = 1, 2, 3
GRANTS = MappingProxyType({HR: Right.VIEWER, FINANCE: Right.EDITOR})


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # (read, edit, grant) on hr, finance, legal
        (Role.ADMIN, [(True, True, True)] * 3),
        (Role.EDITOR, [(True, False, False), (True, True, True), (False, False, False)]),
        (Role.VIEWER, [(True, False, False), (True, False, False), (False, False, False)]),
    ],
)
def test_rights_per_collection(role: Role, expected: list[tuple[bool, bool, bool]]) -> None:
    access = Access("someone", role, GRANTS)
    got = [
        (access.can_read(c), access.can_edit(c), access.can_grant(c)) for c in (HR, FINANCE, LEGAL)
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("role", "rights"),
    [
        (Role.ADMIN, [Right.EDITOR, Right.EDITOR, Right.EDITOR]),
        (Role.EDITOR, [Right.VIEWER, Right.EDITOR, None]),
        (Role.VIEWER, [Right.VIEWER, Right.VIEWER, None]),
    ],
)
def test_effective_right(role: Role, rights: list[Right | None]) -> None:
    access = Access("someone", role, GRANTS)
    assert [access.right_on(c) for c in (HR, FINANCE, LEGAL)] == rights


def test_installation_wide_abilities() -> None:
    admin, editor, viewer = (Access("x", role) for role in (Role.ADMIN, Role.EDITOR, Role.VIEWER))
    assert [a.can_create_collections for a in (admin, editor, viewer)] == [True, True, False]
    assert [a.is_admin for a in (admin, editor, viewer)] == [True, False, False]


def test_viewers_can_only_hold_the_viewer_right() -> None:
    assert may_hold(Role.VIEWER, Right.VIEWER)
    assert not may_hold(Role.VIEWER, Right.EDITOR)
    assert may_hold(Role.EDITOR, Right.EDITOR)
