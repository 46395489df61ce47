"""The sign-in gate of the web UI: the login form, idle expiry checked on every rerun, logout.

The browser session keeps only a ``LoginTicket``; every rerun has the service check it (idle
time, account enabled, password unchanged) before any page is drawn.
"""

from __future__ import annotations

import streamlit as st

from assistant.accounts import LoginFailedError, LoginTicket, SessionExpiredError
from assistant.scoped import ScopedAssistant
from ui import brand
from ui.resources import Backend
from ui.text import escape_markdown

TICKET_KEY = "login_ticket"
USER_KEY = "signed_in_user"
NOTICE_KEY = "login_notice"


def current_user(backend: Backend) -> ScopedAssistant | None:
    """The signed-in user of this browser session, or ``None`` (and the session forgotten)
    when there is none or it has expired."""
    ticket = st.session_state.get(TICKET_KEY)
    if not isinstance(ticket, LoginTicket):
        st.session_state.pop(USER_KEY, None)
        return None
    try:
        user, fresh = backend.accounts.resume(ticket)
    except SessionExpiredError as exc:
        st.session_state.pop(TICKET_KEY, None)
        st.session_state.pop(USER_KEY, None)
        st.session_state[NOTICE_KEY] = str(exc)
        return None
    st.session_state[TICKET_KEY] = fresh
    scoped = ScopedAssistant(backend.assistant, backend.accounts, user.username)
    st.session_state[USER_KEY] = scoped
    return scoped


def require_user() -> ScopedAssistant:
    """The user the main script signed in for this run; stops a page drawn without one."""
    scoped = st.session_state.get(USER_KEY)
    if not isinstance(scoped, ScopedAssistant):
        st.stop()
    return scoped


def renew_ticket(ticket: LoginTicket) -> None:
    """Keep this session signed in after a change (one's own password) that ends the others."""
    st.session_state[TICKET_KEY] = ticket


def login_form(backend: Backend) -> None:
    st.markdown(f"**{brand.ICON} {brand.NAME}**")
    st.caption(brand.TAGLINE)
    st.title("Sign in")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(escape_markdown(notice))
    if backend.accounts.count() == 0:
        st.warning(
            "No account exists yet. An operator creates the first administrator on the server "
            "with `assistant create-admin USERNAME`."
        )
    with st.form("login"):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    try:
        _, ticket = backend.accounts.login(username, password)
    except LoginFailedError as exc:
        st.error(escape_markdown(str(exc)))
        return
    st.session_state[TICKET_KEY] = ticket
    st.rerun()


def logout(backend: Backend) -> None:
    ticket = st.session_state.get(TICKET_KEY)
    if isinstance(ticket, LoginTicket):
        backend.accounts.logout(ticket)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[NOTICE_KEY] = "You have signed out."
