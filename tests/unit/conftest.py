"""Unit tests run without the answer check's models unless a test passes its own guards."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_answer_check_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_GUARD__ENABLED", "false")
