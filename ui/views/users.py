"""Users (administrators): create accounts, change roles, disable, reset passwords."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from assistant.accounts import UserInfo, generate_password
from assistant.scoped import ScopedAssistant
from assistant.storage.models import Role
from ui.feedback import USER_ERRORS, flash, show_error, show_flash
from ui.session import require_user

ROLES = [Role.VIEWER.value, Role.EDITOR.value, Role.ADMIN.value]
SHOWN_PASSWORD_KEY = "generated_password"


def user_rows(users: list[UserInfo]) -> list[dict[str, object]]:
    return [
        {
            "user": u.username,
            "role": u.role.value,
            "disabled": u.disabled,
            "created": u.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "failed sign-ins": u.failed_logins,
            "locked until": u.locked_until.strftime("%H:%M UTC") if u.locked_until else "",
        }
        for u in users
    ]


def create_form(admin: ScopedAssistant) -> None:
    with st.form("create_user", clear_on_submit=True):
        st.markdown("**New user**")
        username = st.text_input("Username", key="new_username")
        password = st.text_input("Password (12 characters or more)", type="password")
        role = st.selectbox("Role", ROLES, key="new_role")
        submitted = st.form_submit_button("Create user")
    if not submitted or role is None:
        return
    try:
        created = admin.create_user(username, password, Role(role))
    except USER_ERRORS as exc:
        show_error(exc)
        return
    flash(f"Created {created.username} ({created.role.value}).")
    st.rerun()


def manage_user(admin: ScopedAssistant, target: UserInfo) -> None:
    left, right = st.columns(2)
    role = left.selectbox(
        "Role", ROLES, index=ROLES.index(target.role.value), key=f"role_{target.username}"
    )
    if left.button("Set role", key="set_role") and role is not None:
        run(lambda: admin.set_role(target.username, Role(role)), f"{target.username} is {role}.")
    label = "Enable" if target.disabled else "Disable"
    if right.button(label, key="toggle_disabled"):
        run(
            lambda: admin.set_disabled(target.username, not target.disabled),
            f"{target.username} is {'enabled' if target.disabled else 'disabled'}.",
        )
    with st.form("reset_password", clear_on_submit=True):
        new = st.text_input("New password (empty: generate one)", type="password")
        reset = st.form_submit_button("Reset password")
    if reset:
        chosen = new or generate_password()
        try:
            admin.reset_password(target.username, chosen)
        except USER_ERRORS as exc:
            show_error(exc)
            return
        if not new:
            st.session_state[SHOWN_PASSWORD_KEY] = (target.username, chosen)
        flash(f"The password of {target.username} was reset; their sessions have ended.")
        st.rerun()


def run(action: Callable[[], None], message: str) -> None:
    """Do ``action``, then report ``message`` on the next run, or the error now."""
    try:
        action()
    except USER_ERRORS as exc:
        show_error(exc)
        return
    flash(message)
    st.rerun()


def render(admin: ScopedAssistant) -> None:
    st.title("Users")
    show_flash()
    generated = st.session_state.pop(SHOWN_PASSWORD_KEY, None)
    if generated:
        st.warning(f"New password of {generated[0]}, shown once:")
        st.code(generated[1], language=None)
    try:
        users = admin.users()
    except USER_ERRORS as exc:
        show_error(exc)
        return
    st.dataframe(user_rows(users), hide_index=True)
    create_form(admin)
    st.subheader("Change a user")
    names = [u.username for u in users]
    chosen = st.selectbox("User", names, key="manage_user")
    target = next((u for u in users if u.username == chosen), None)
    if target is not None:
        manage_user(admin, target)


if __name__ == "__main__":
    render(require_user())
