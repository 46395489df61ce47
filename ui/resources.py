"""Process-wide objects shared by every browser session: the service (with its models) and
the background upload queue. Built once per server process and cached by Streamlit."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from assistant.accounts import Accounts
from assistant.bootstrap import open_accounts
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from indexes.embedder import Embedder
from ui.jobs import IngestJobs


@dataclass(frozen=True)
class Backend:
    assistant: Assistant
    accounts: Accounts


def build_backend(settings: Settings, *, embedder: Embedder | None = None) -> Backend:
    """Open the installation: storage (migrated), indexes and accounts."""
    assistant = Assistant(settings, embedder=embedder)
    return Backend(assistant, open_accounts(assistant))


@st.cache_resource(show_spinner="Opening the document store…")
def backend() -> Backend:
    """The installation, opened once per server process; recovery from a crash and the models'
    loading run in the background, so the sign-in page does not wait for them."""
    opened = build_backend(get_settings())
    threading.Thread(target=opened.assistant.start_up, name="start-up", daemon=True).start()
    return opened


@st.cache_resource
def ingest_jobs() -> IngestJobs:
    return IngestJobs()
