"""Web UI: sign in, then ask, search passages, manage documents and collections, and (admins)
users and the audit log.

Run with ``assistant up`` (or ``streamlit run ui/app.py``). Pages talk to the user-scoped
service only; it enforces every right, so the UI merely hides what a user cannot use.
"""

from __future__ import annotations

import streamlit as st

from assistant.scoped import ScopedAssistant
from ui import brand, session
from ui.password import choose_own_password
from ui.resources import Backend, backend
from ui.text import escape_markdown


def pages_for(user: ScopedAssistant) -> list[st.Page]:
    """The pages this user can use; administration pages only for administrators."""
    pages = [
        st.Page("views/ask.py", title="Ask", icon=":material/question_answer:", default=True),
        st.Page("views/search.py", title="Search", icon=":material/search:"),
        st.Page("views/documents.py", title="Documents", icon=":material/description:"),
        st.Page("views/collections.py", title="Collections", icon=":material/folder_shared:"),
        st.Page("views/account.py", title="My account", icon=":material/person:"),
    ]
    if user.access().is_admin:
        pages += [
            st.Page("views/users.py", title="Users", icon=":material/group:"),
            st.Page("views/audit.py", title="Audit log", icon=":material/policy:"),
        ]
    return pages


def sidebar(services: Backend, user: ScopedAssistant) -> None:
    with st.sidebar:
        who = escape_markdown(user.username)
        st.caption(f"Signed in as **{who}** ({user.access().role.value})")
        if st.button("Sign out", key="sign_out"):
            session.logout(services)
            st.rerun()


def main() -> None:
    # An emoji favicon is drawn by the browser itself; without one, Streamlit fetches the
    # current page's Material icon from fonts.gstatic.com, a request to a third party that
    # fails offline and tells it which page is open.
    st.set_page_config(page_title=brand.NAME, page_icon=brand.ICON, layout="wide")
    services = backend()
    user = session.current_user(services)
    if user is None:
        session.login_form(services)
        return
    if user.me().must_change_password:
        sidebar(services, user)
        choose_own_password(user)
        return
    navigation = st.navigation(pages_for(user))
    sidebar(services, user)
    navigation.run()


if __name__ == "__main__":
    main()
