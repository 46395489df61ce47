"""The index's embedding model as the settings choose its runtime: torch, ONNX Runtime or OpenVINO.

``index.embedding_backend`` picks how the same sentence-transformers model is run: ``torch``
(sentence-transformers itself), ``onnx`` (the model exported to an ONNX graph, same vectors),
``openvino`` (that graph run by OpenVINO, same vectors), ``openvino-bf16`` (run by OpenVINO in
bfloat16 where the CPU has it: faster, the same vectors to within the export check's tolerance)
or ``onnx-int8`` (that graph with int8 matrix weights: faster, slightly different vectors,
recorded under their own model name so an index never mixes them with the others). An export is
made once from the local model folder, nothing downloaded, and kept in the data directory's
model cache under a name derived from its origin: the digest of the model folder's files, the
precision, and the versions of the libraries that export and run it. It is used only when its
manifest and every file's digest still match (``ModelCache``), so a half-written or damaged
export is made again rather than loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.digests import DigestMemo, folder_sha256
from assistant.generation.model_cache import ModelCache, Prepared, library_versions, origin_key
from assistant.settings import EmbeddingBackend, IndexSettings
from indexes.embedder import Embedder, SentenceTransformerEmbedder, packaged_model_path
from indexes.onnx_embedder import (
    OnnxEmbedder,
    Precision,
    Runtime,
    export_onnx,
    quantized_model_name,
)

FORMAT_VERSION = 1
"""Changes when what an export folder holds changes, so older exports are made again."""

FOLDER_PREFIX = "embedder-"
LIBRARIES = (
    "torch",
    "transformers",
    "tokenizers",
    "sentence-transformers",
    "onnx",
    "onnxruntime",
    "openvino",
)
"""The libraries whose code exports, quantises or runs the graph."""

PRECISIONS: Mapping[EmbeddingBackend, Precision] = {
    "onnx": "fp32",
    "openvino": "fp32",
    "openvino-bf16": "fp32",
    "onnx-int8": "int8",
}
RUNTIMES: Mapping[EmbeddingBackend, Runtime] = {
    "onnx": "onnxruntime",
    "openvino": "openvino",
    "openvino-bf16": "openvino-bf16",
    "onnx-int8": "onnxruntime",
}


@dataclass(frozen=True)
class ExportOrigin:
    """What an export is made from: a change to any part makes a different export."""

    model_sha256: str
    precision: Precision
    libraries: Mapping[str, str]

    @classmethod
    def of(
        cls, model_folder: Path, precision: Precision, memo: DigestMemo | None = None
    ) -> ExportOrigin:
        return cls(folder_sha256(model_folder, memo), precision, library_versions(LIBRARIES))

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "model_sha256": self.model_sha256,
            "precision": self.precision,
            "libraries": dict(sorted(self.libraries.items())),
        }

    @property
    def key(self) -> str:
        return origin_key(self)


def _model_folder(settings: IndexSettings) -> Path:
    if settings.embedding_model:
        return Path(settings.embedding_model)
    return packaged_model_path()


def _base_name(settings: IndexSettings) -> str:
    path = Path(settings.embedding_model) if settings.embedding_model else None
    return SentenceTransformerEmbedder(path).model_name


def embedder_name(settings: IndexSettings) -> str:
    """The model name the configured embedder records in an index (nothing is loaded)."""
    base = _base_name(settings)
    return quantized_model_name(base) if settings.embedding_backend == "onnx-int8" else base


def prepare_export(settings: IndexSettings, cache_dir: Path) -> Prepared | None:
    """The checked export of the configured model in ``cache_dir``, made first when there is
    none; ``None`` for the torch backend, which needs no export."""
    if settings.embedding_backend == "torch":
        return None
    return _prepared(settings, PRECISIONS[settings.embedding_backend], cache_dir)


def _prepared(settings: IndexSettings, precision: Precision, cache_dir: Path) -> Prepared:
    folder = _model_folder(settings)
    if not folder.is_dir():
        raise FileNotFoundError(f"embedding model directory {folder} does not exist")
    model_path = Path(settings.embedding_model) if settings.embedding_model else None
    cache = ModelCache(cache_dir, prefix=FOLDER_PREFIX, libraries=LIBRARIES)
    return cache.prepare(
        ExportOrigin.of(folder, precision, cache.digests),
        lambda staging: export_onnx(model_path, staging, precision=precision),
    )


def settings_embedder(settings: IndexSettings, cache_dir: Path) -> Embedder:
    """The index's embedding model as ``settings`` configure it, not loaded yet; an ONNX
    backend's export is made (when missing or damaged) in ``cache_dir`` at first use."""
    if settings.embedding_backend == "torch":
        path = Path(settings.embedding_model) if settings.embedding_model else None
        return SentenceTransformerEmbedder(path, batch_size=settings.embedding_batch_size)
    precision = PRECISIONS[settings.embedding_backend]
    return OnnxEmbedder(
        lambda: _prepared(settings, precision, cache_dir).folder,
        model_name=embedder_name(settings),
        batch_size=settings.embedding_batch_size,
        runtime=RUNTIMES[settings.embedding_backend],
    )
