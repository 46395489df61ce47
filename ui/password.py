"""Changing one's own password: the form of the account page and of the first sign-in with a
password that was made up for the user."""

from __future__ import annotations

import streamlit as st

from assistant.scoped import ScopedAssistant
from ui.feedback import USER_ERRORS, show_error
from ui.session import renew_ticket


def change_password_form(user: ScopedAssistant, *, key: str, submit: str) -> bool:
    """Ask for the current password and a new one twice; ``True`` once it is changed. This
    browser session stays signed in, the account's other sessions end."""
    with st.form(key, clear_on_submit=True):
        current = st.text_input("Current password", type="password")
        new = st.text_input("New password (12 characters or more)", type="password")
        repeated = st.text_input("New password again", type="password")
        submitted = st.form_submit_button(submit, type="primary")
    if not submitted:
        return False
    if new != repeated:
        st.error("The new passwords differ.")
        return False
    try:
        renew_ticket(user.change_password(current, new))
    except USER_ERRORS as exc:
        show_error(exc)
        return False
    return True


def choose_own_password(user: ScopedAssistant) -> None:
    """The only page of a user whose password was made up for them, until they replace it."""
    st.title("Choose your password")
    st.info(
        "This account was given a password made up at first start. Replace it with one of "
        "your own before going on."
    )
    if change_password_form(user, key="first_password", submit="Set password"):
        st.rerun()
