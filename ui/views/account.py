"""My account: change one's own password (other sessions of the account end)."""

from __future__ import annotations

import streamlit as st

from assistant.scoped import ScopedAssistant
from ui.password import change_password_form
from ui.session import require_user
from ui.text import escape_markdown


def render(user: ScopedAssistant) -> None:
    st.title("My account")
    me = user.me()
    st.markdown(f"**{escape_markdown(me.username)}**, role {me.role.value}")
    if change_password_form(user, key="change_password", submit="Change password"):
        st.success("Password changed. Your other sessions have ended.")


if __name__ == "__main__":
    render(require_user())
