"""The cross-encoder plug-in reports a missing adapter clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.guard.cross_encoder import CrossEncoderDetector

pytestmark = pytest.mark.integration


def test_a_missing_adapter_is_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no detector adapter"):
        CrossEncoderDetector(tmp_path).warm_up()
