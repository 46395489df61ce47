"""A server's start-up says what it is loading at each step, and nothing once it is done, even
when a step fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import GenerationSettings, Settings, StorageSettings
from tests.unit.assistant.generation.fakes import ScriptedGenerator
from tests.unit.indexes.index_fakes import HashingEmbedder


class RecordingGenerator(ScriptedGenerator):
    """Records what the service said it was loading when the generator was loaded."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(["x"])
        self.fail = fail
        self.service: Assistant | None = None
        self.said: str | None = None

    def warm_up(self, *, convert: bool = True) -> None:
        assert self.service is not None
        self.said = self.service.loading
        if self.fail:
            raise RuntimeError("model file unreadable")


@pytest.mark.parametrize("fail", [False, True])
def test_start_up_says_what_it_loads(tmp_path: Path, fail: bool) -> None:
    generator = RecordingGenerator(fail)
    settings = Settings(
        data_dir=tmp_path / "data",
        storage=StorageSettings(url=None),
        generation=GenerationSettings(span_reader=False),
    )
    service = Assistant(settings, embedder=HashingEmbedder(), generator=generator, guards=())
    generator.service = service
    assert service.loading is None
    service.start_up()
    assert generator.said == "loading the answer model..."
    assert service.loading is None
