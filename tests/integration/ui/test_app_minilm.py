"""The web UI on the real models and the bundled samples, as `assistant up` sets it up: the
first admin signs in and asks a question in other words than the document's."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assistant.bootstrap import ensure_first_admin
from assistant.samples import SAMPLE_COLLECTION, sample_files
from assistant.service import Assistant
from assistant.settings import Settings, get_settings
from indexes.embedder import SentenceTransformerEmbedder
from ui import resources

pytestmark = pytest.mark.integration

APP = Path(__file__).resolve().parents[3] / "ui" / "app.py"
PASSWORD = "first start password"


@pytest.fixture
def installation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minilm: SentenceTransformerEmbedder
) -> Iterator[Path]:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ASSISTANT_GENERATION__MAX_NEW_TOKENS", "24")  # a short answer will do
    get_settings.cache_clear()
    st.cache_resource.clear()
    real = resources.build_backend
    monkeypatch.setattr(resources, "build_backend", functools.partial(real, embedder=minilm))
    seed = Assistant(Settings(data_dir=data_dir), embedder=minilm)
    seed.ingest(sample_files(), collection=SAMPLE_COLLECTION)
    ensure_first_admin(seed, password=PASSWORD, collection=SAMPLE_COLLECTION)
    yield data_dir
    st.cache_resource.clear()
    get_settings.cache_clear()
    seed.engine.dispose()


def test_first_admin_signs_in_and_gets_the_answering_passage(installation: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.text_input(key="login_username").input("admin")
    next(t for t in at.text_input if t.label == "Password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    at.text_input(key="ask_question").input(
        "how much notice to end the confidentiality agreement without a reason"
    )
    next(b for b in at.button if b.label == "Ask").click().run()
    assert not at.exception, at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "mutual\\_nda\\_northwind\\_contoso\\.md" in shown
    assert "thirty \\(30\\) days" in shown
