"""Process-wide objects shared by every browser session: the service (with its models) and
the background upload queue. Built once per server process and cached by Streamlit."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import streamlit as st

from assistant.accounts import Accounts
from assistant.bootstrap import open_accounts
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from indexes.embedder import Embedder
from ui.jobs import IngestJobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backend:
    assistant: Assistant
    accounts: Accounts


def build_backend(settings: Settings, *, embedder: Embedder | None = None) -> Backend:
    """Open the installation: storage (migrated), indexes and accounts."""
    assistant = Assistant(settings, embedder=embedder)
    return Backend(assistant, open_accounts(assistant))


def warm_up(assistant: Assistant) -> None:
    """Load the models and the index now rather than on the first question. A model that
    cannot be loaded is only logged here: the question that needs it reports it."""
    try:
        assistant.index.warm_up()
        assistant.generator.warm_up()
    except Exception:
        log.exception("loading the models in advance failed")


@st.cache_resource(show_spinner="Opening the document store…")
def backend() -> Backend:
    """The installation, opened once per server process; the models load in the background,
    so the sign-in page does not wait for them."""
    opened = build_backend(get_settings())
    threading.Thread(target=warm_up, args=(opened.assistant,), name="warm-up", daemon=True).start()
    return opened


@st.cache_resource
def ingest_jobs() -> IngestJobs:
    return IngestJobs()
