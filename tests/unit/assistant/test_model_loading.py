"""Loaders of torch and transformers models take turns (``MODEL_LOADING``): a server loads its
models in the background while a first request may load another one, and transformers'
on-demand imports are not safe from two threads at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.generation.transformers_runtime import TransformersGenerator
from assistant.guard import pair_classifier
from assistant.guard.cross_encoder import CrossEncoderDetector
from assistant.model_loading import MODEL_LOADING
from assistant.reading import span_scorer
from assistant.reading.span_model import SpanModel


class _Model:
    def eval(self) -> _Model:
        return self


def _lock_held_elsewhere() -> bool:
    """Whether another thread finds ``MODEL_LOADING`` taken."""
    got: list[bool] = []

    def probe() -> None:
        acquired = MODEL_LOADING.acquire(blocking=False)
        if acquired:
            MODEL_LOADING.release()
        got.append(acquired)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return not got[0]


@pytest.fixture
def adapter(tmp_path: Path) -> Path:
    (tmp_path / "adapter_config.json").write_text("{}", encoding="utf-8")
    return tmp_path


def _recording_loader(seen: list[bool]) -> Any:
    def load(adapter: Path) -> tuple[_Model, object]:
        seen.append(_lock_held_elsewhere())
        return _Model(), object()

    return load


def test_the_span_reader_loads_holding_the_lock(
    adapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(span_scorer, "load_span_scorer", _recording_loader(seen))
    SpanModel(adapter).warm_up()
    assert seen == [True]
    assert not _lock_held_elsewhere()  # and lets it go


def test_the_detector_loads_holding_the_lock(
    adapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(pair_classifier, "load_classifier", _recording_loader(seen))
    CrossEncoderDetector(adapter).warm_up()
    assert seen == [True]
    assert not _lock_held_elsewhere()


def test_the_answer_model_loads_holding_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def load(self: TransformersGenerator) -> tuple[object, object]:
        seen.append(_lock_held_elsewhere())
        return object(), object()

    monkeypatch.setattr(TransformersGenerator, "_load", load)
    TransformersGenerator().warm_up()
    assert seen == [True]
    assert not _lock_held_elsewhere()
