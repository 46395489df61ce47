"""Collections: the ones the user can read, creating new ones, and giving other users the
viewer or editor right on the collections the user manages."""

from __future__ import annotations

import streamlit as st

from assistant.scoped import ScopedAssistant
from assistant.storage.models import Right
from ui.feedback import USER_ERRORS, flash, show_error, show_flash
from ui.session import require_user
from ui.text import escape_markdown

RIGHTS = [Right.VIEWER.value, Right.EDITOR.value]


def create_form(user: ScopedAssistant) -> None:
    with st.form("new_collection", clear_on_submit=True):
        name = st.text_input("New collection", key="new_collection_name")
        submitted = st.form_submit_button("Create collection")
    if not submitted:
        return
    try:
        user.create_collection(name)
    except USER_ERRORS as exc:
        show_error(exc)
        return
    flash(f"Created {name.strip()}; you are its editor.")
    st.rerun()


def members_section(user: ScopedAssistant, manageable: list[str]) -> None:
    st.subheader("Who can see a collection")
    target = st.selectbox("Collection", manageable, key="members_collection")
    if target is None:
        return
    members = user.members(target)
    st.dataframe(
        [{"user": m.username, "right": m.right.value} for m in members],
        hide_index=True,
    )
    with st.form("grant"):
        who = st.selectbox("User", user.usernames(), key="grant_user")
        right = st.selectbox("Right", RIGHTS, key="grant_right")
        granted = st.form_submit_button("Grant")
    if granted and who is not None and right is not None:
        try:
            user.grant(target, who, Right(right))
        except USER_ERRORS as exc:
            show_error(exc)
        else:
            flash(f"{who} now has the {right} right on {target}.")
            st.rerun()
    if not members:
        return
    with st.form("revoke"):
        gone = st.selectbox("User", [m.username for m in members], key="revoke_user")
        revoked = st.form_submit_button("Revoke")
    if revoked and gone is not None:
        try:
            user.revoke(target, gone)
        except USER_ERRORS as exc:
            show_error(exc)
        else:
            flash(f"{gone} no longer has a right on {target}.")
            st.rerun()


def render(user: ScopedAssistant) -> None:
    st.title("Collections")
    show_flash()
    collections = user.collections()
    if collections:
        st.dataframe(
            [
                {
                    "collection": c.name,
                    "your right": c.right.value,
                    "you manage access": c.can_grant,
                }
                for c in collections
            ],
            hide_index=True,
        )
    else:
        st.info("You cannot read any collection yet.")
    if user.access().can_create_collections:
        create_form(user)
    manageable = [c.name for c in collections if c.can_grant]
    if manageable:
        members_section(user, manageable)
    elif collections:
        st.caption(
            escape_markdown("Editors of a collection and administrators decide who sees it.")
        )


if __name__ == "__main__":
    render(require_user())
