"""Fixtures of the UI tests: a fresh installation the app opens with model-free stand-ins,
and a site with two collections and users of each role, optionally with a PDF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from assistant.answering import AnswerGuard
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from assistant.storage.models import Right, Role, utcnow
from tests.unit.assistant.access_fakes import FakeClock, make_accounts, make_assistant
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder
from tests.unit.ui.app_driver import HOSTILE, PASSWORD, Site, write_policy
from ui import resources


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utcnow())


@pytest.fixture
def generator() -> ScriptedGenerator:
    return ScriptedGenerator(["Bands and the bonus ", "are <b>set</b> by policy [1]."])


@pytest.fixture
def guards() -> tuple[AnswerGuard, ...]:
    return ()


@pytest.fixture
def data_dir(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FakeClock,
    generator: ScriptedGenerator,
    guards: tuple[AnswerGuard, ...],
) -> Iterator[Path]:
    """A fresh data directory the app opens with the hashing embedder and the test clock."""
    folder = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(folder))
    get_settings.cache_clear()
    st.cache_resource.clear()

    def fast_backend(settings: Settings) -> resources.Backend:
        assistant = Assistant(
            settings, embedder=HashingEmbedder(), generator=generator, guards=guards
        )
        return resources.Backend(assistant, make_accounts(assistant, clock=clock))

    monkeypatch.setattr(resources, "build_backend", fast_backend)
    # The pages are under test, not the start-up work a server does in a background thread
    # (tests/unit/assistant covers it). Left running, that thread may outlive its test and log
    # a traceback while the next app script is parsed, and CPython 3.11 builds AST objects with
    # interpreter-wide state that two threads can corrupt ("AST constructor recursion depth
    # mismatch").
    monkeypatch.setattr(Assistant, "start_up", lambda _self: None)
    yield folder
    resources.ingest_jobs().shutdown()
    st.cache_resource.clear()
    get_settings.cache_clear()


@pytest.fixture
def site(tmp_path: Path, data_dir: Path, clock: FakeClock) -> Iterator[Site]:
    """An installation with hr (read by alice, a viewer) and finance (edited by bob)."""
    seed = make_assistant(data_dir)
    files = tmp_path / "files"
    files.mkdir()
    (files / "salaries.md").write_text(f"# Pay\n\nSalary bands and bonus policy.\n\n{HOSTILE}\n")
    (files / "budget.txt").write_text("Confidential budget: the Globex merger costs forty million.")
    seed.ingest([files / "salaries.md"], collection="hr")
    seed.ingest([files / "budget.txt"], collection="finance")
    site = Site(seed, clock)
    accounts = make_accounts(seed, clock=clock)
    accounts.create_user("root", PASSWORD, Role.ADMIN)
    accounts.create_user("alice", PASSWORD, Role.VIEWER)
    accounts.create_user("bob", PASSWORD, Role.EDITOR)
    site.as_user("root").grant("hr", "alice", Right.VIEWER)
    site.as_user("root").grant("finance", "bob", Right.EDITOR)
    yield site
    seed.engine.dispose()


@pytest.fixture
def pdf_site(site: Site, tmp_path: Path) -> Site:
    """The site with a two-page PDF in hr whose page 2 holds ``app_driver.FACT``."""
    site.assistant.ingest([write_policy(tmp_path / "policy.pdf")], collection="hr")
    return site
