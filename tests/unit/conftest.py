"""Unit tests run without the answer check's models and the span reader's unless a test passes
its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_answer_check_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_GUARD__ENABLED", "false")
    monkeypatch.setenv("ASSISTANT_GENERATION__SPAN_READER", "false")
