"""Messages on the page: errors a user can act on, and a notice carried across a rerun."""

from __future__ import annotations

import streamlit as st

from assistant.accounts import AccountError, LoginFailedError
from assistant.permissions import PermissionDeniedError
from assistant.storage.repository import NotFoundError
from ui.text import escape_markdown

FLASH_KEY = "flash_message"

USER_ERRORS = (PermissionDeniedError, NotFoundError, AccountError, LoginFailedError, ValueError)
"""Errors whose message is meant for the user; anything else is a fault and is raised."""


def show_error(exc: Exception) -> None:
    st.error(escape_markdown(str(exc)))


def flash(message: str) -> None:
    """Show ``message`` on the next run (after ``st.rerun``)."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(escape_markdown(message))
