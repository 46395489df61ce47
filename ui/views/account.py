"""My account: change one's own password (other sessions of the account end)."""

from __future__ import annotations

import streamlit as st

from assistant.scoped import ScopedAssistant
from ui.feedback import USER_ERRORS, show_error
from ui.session import renew_ticket, require_user
from ui.text import escape_markdown


def render(user: ScopedAssistant) -> None:
    st.title("My account")
    me = user.me()
    st.markdown(f"**{escape_markdown(me.username)}**, role {me.role.value}")
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input("Current password", type="password")
        new = st.text_input("New password (12 characters or more)", type="password")
        repeated = st.text_input("New password again", type="password")
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return
    if new != repeated:
        st.error("The new passwords differ.")
        return
    try:
        renew_ticket(user.change_password(current, new))
    except USER_ERRORS as exc:
        show_error(exc)
        return
    st.success("Password changed. Your other sessions have ended.")


if __name__ == "__main__":
    render(require_user())
