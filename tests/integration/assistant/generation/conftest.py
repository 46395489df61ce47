"""The real generator as the default settings configure it, loaded once per test session."""

from __future__ import annotations

import pytest

from assistant.generation.base import Generator
from assistant.generation.factory import build_generator
from assistant.generation.model_files import ModelNotFoundError, packaged_model_file
from assistant.settings import GenerationSettings


@pytest.fixture(scope="session")
def smollm2() -> Generator:
    try:
        packaged_model_file()
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))
    generator = build_generator(GenerationSettings())
    generator.warm_up()
    return generator
