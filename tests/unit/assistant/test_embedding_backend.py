"""Choosing how the embedding model runs: the backend setting picks the embedder and the name
an index records, an ONNX export is made once at first use and reused while intact, and an
index built by one backend refuses vectors of another that differ."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant import embedding_backend
from assistant.backup_index import configured_model_name
from assistant.embedding_backend import embedder_name, prepare_export, settings_embedder
from assistant.generation.model_cache import MANIFEST_NAME
from assistant.settings import IndexSettings, Settings
from indexes.dense import DenseIndex
from indexes.embedder import DEFAULT_MODEL_NAME, SentenceTransformerEmbedder
from indexes.onnx_embedder import ExportError, OnnxEmbedder, Precision, quantized_model_name
from indexes.persist import IndexFormatError
from tests.unit.indexes.index_fakes import HashingEmbedder


class FakeExport:
    """Writes a fake export and counts the calls; ``fail`` makes it reject its own output."""

    def __init__(self) -> None:
        self.calls: list[Precision] = []
        self.fail = False

    def __call__(self, model_path: Path | None, folder: Path, *, precision: Precision) -> None:
        self.calls.append(precision)
        (folder / "model.onnx").write_bytes(precision.encode() * 1000)
        (folder / "embedder.json").write_text('{"inputs": ["input_ids"], "dim": 4}')
        if self.fail:
            raise ExportError("the export reproduces the model's vectors only to cosine 0.5")


@pytest.fixture
def export(monkeypatch: pytest.MonkeyPatch) -> FakeExport:
    fake = FakeExport()
    monkeypatch.setattr(embedding_backend, "export_onnx", fake)
    return fake


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "legal-minilm"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights" * 100)
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_mean_tokens": true}')
    return folder


def _settings(backend: str, model_folder: Path | None = None) -> IndexSettings:
    model = None if model_folder is None else str(model_folder)
    return IndexSettings.model_validate({"embedding_backend": backend, "embedding_model": model})


def test_each_backend_gives_its_embedder_and_names_only_int8_vectors_apart(
    tmp_path: Path,
) -> None:
    torch = settings_embedder(_settings("torch"), tmp_path)
    onnx = settings_embedder(_settings("onnx"), tmp_path)
    openvino = settings_embedder(_settings("openvino"), tmp_path)
    int8 = settings_embedder(_settings("onnx-int8"), tmp_path)
    assert isinstance(torch, SentenceTransformerEmbedder)
    assert all(isinstance(e, OnnxEmbedder) for e in (onnx, openvino, int8))
    assert torch.model_name == onnx.model_name == openvino.model_name == DEFAULT_MODEL_NAME
    assert int8.model_name == quantized_model_name(DEFAULT_MODEL_NAME) != DEFAULT_MODEL_NAME
    named = (("torch", torch), ("onnx", onnx), ("openvino", openvino), ("onnx-int8", int8))
    for backend, embedder in named:
        assert embedder_name(_settings(backend)) == embedder.model_name
        assert configured_model_name(_settings(backend)) == embedder.model_name
    assert not tmp_path.joinpath("model-cache").exists()  # nothing exported before first use


def test_the_backend_is_a_setting_checked_on_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_INDEX__EMBEDDING_BACKEND", "onnx-int8")
    assert Settings().index.embedding_backend == "onnx-int8"
    monkeypatch.setenv("ASSISTANT_INDEX__EMBEDDING_BACKEND", "tensorrt")
    with pytest.raises(ValidationError, match="embedding_backend"):
        Settings()


def test_torch_needs_no_export(tmp_path: Path, export: FakeExport) -> None:
    assert prepare_export(_settings("torch"), tmp_path / "cache") is None
    assert export.calls == []


def test_an_export_is_made_once_and_then_reused(
    tmp_path: Path, export: FakeExport, model_folder: Path
) -> None:
    settings = _settings("onnx-int8", model_folder)
    first = prepare_export(settings, tmp_path / "cache")
    again = prepare_export(settings, tmp_path / "cache")
    assert first is not None and again is not None
    assert first.converted and not again.converted
    assert again.folder == first.folder
    assert first.folder.name.startswith(embedding_backend.FOLDER_PREFIX)
    assert (first.folder / MANIFEST_NAME).is_file()
    assert export.calls == ["int8"]


def test_each_precision_and_model_version_has_its_own_export(
    tmp_path: Path, export: FakeExport, model_folder: Path
) -> None:
    fp32 = prepare_export(_settings("onnx", model_folder), tmp_path / "cache")
    int8 = prepare_export(_settings("onnx-int8", model_folder), tmp_path / "cache")
    (model_folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    changed = prepare_export(_settings("onnx-int8", model_folder), tmp_path / "cache")
    assert fp32 is not None and int8 is not None and changed is not None
    assert len({fp32.folder, int8.folder, changed.folder}) == 3
    assert export.calls == ["fp32", "int8", "int8"]


def test_onnx_runtime_and_openvino_share_the_fp32_export(
    tmp_path: Path, export: FakeExport, model_folder: Path
) -> None:
    onnx = prepare_export(_settings("onnx", model_folder), tmp_path / "cache")
    openvino = prepare_export(_settings("openvino", model_folder), tmp_path / "cache")
    assert onnx is not None and openvino is not None
    assert onnx.folder == openvino.folder and not openvino.converted
    assert export.calls == ["fp32"]


def test_a_damaged_export_is_made_again_not_loaded(
    tmp_path: Path, export: FakeExport, model_folder: Path
) -> None:
    settings = _settings("onnx-int8", model_folder)
    first = prepare_export(settings, tmp_path / "cache")
    assert first is not None
    with (first.folder / "model.onnx").open("r+b") as graph:
        graph.truncate(100)  # as a copy cut short would leave it
    again = prepare_export(settings, tmp_path / "cache")
    assert again is not None and again.converted
    assert (again.folder / "model.onnx").stat().st_size == 4000
    assert export.calls == ["int8", "int8"]


def test_a_rejected_export_is_not_kept(
    tmp_path: Path, export: FakeExport, model_folder: Path
) -> None:
    export.fail = True
    settings = _settings("onnx-int8", model_folder)
    with pytest.raises(ExportError, match="cosine"):
        prepare_export(settings, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
    export.fail = False
    prepared = prepare_export(settings, tmp_path / "cache")
    assert prepared is not None and prepared.converted


def test_a_missing_model_folder_is_named(tmp_path: Path, export: FakeExport) -> None:
    settings = _settings("onnx-int8", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="absent does not exist"):
        prepare_export(settings, tmp_path / "cache")
    assert export.calls == []


def test_an_index_of_plain_vectors_refuses_the_int8_embedder(tmp_path: Path) -> None:
    index = DenseIndex(HashingEmbedder(model_name=DEFAULT_MODEL_NAME))
    index.add_vectors([1], [1], HashingEmbedder().encode(["rent is due"]))
    index.save(tmp_path / "dense")
    int8 = HashingEmbedder(model_name=embedder_name(_settings("onnx-int8")))
    with pytest.raises(IndexFormatError, match=r"all-MiniLM-L6-v2\+int8.*rebuild"):
        DenseIndex.load(tmp_path / "dense", int8)
    same_vectors = HashingEmbedder(model_name=embedder_name(_settings("onnx")))
    assert len(DenseIndex.load(tmp_path / "dense", same_vectors)) == 1
