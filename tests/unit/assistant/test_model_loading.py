"""Loaders of models through transformers take turns (``MODEL_LOADING``): a server loads its
models in the background while a first request may load another one, and transformers'
on-demand imports are not safe from two threads at once. A converted answer model loads with
torch alone and does not wait its turn."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.generation import transformers_runtime
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


def test_the_answer_model_holds_the_lock_only_while_transformers_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bool] = {}

    def recorder(name: str, result: Any = None) -> Any:
        def record(*args: object) -> Any:
            seen[name] = _lock_held_elsewhere()
            return result

        return record

    model_file = tmp_path / "model.gguf"
    model_file.write_bytes(b"GGUF")
    monkeypatch.setattr(transformers_runtime, "read_in_memory", recorder("in memory", (1, 2)))
    monkeypatch.setattr(transformers_runtime, "convert_model", recorder("converted"))
    monkeypatch.setattr(transformers_runtime, "load_converted", recorder("loaded", (1, 2)))
    TransformersGenerator(model_file=model_file)._read_model()
    kept = TransformersGenerator(model_file=model_file, converted_dir=tmp_path / "cache")
    kept._read_model()
    assert seen == {"in memory": True, "converted": True, "loaded": False}
    assert not _lock_held_elsewhere()
