"""Sentence embedders run by ONNX Runtime instead of torch, optionally with int8 weights.

A sentence-transformers model (its transformer, pooling and normalisation modules) is exported
once into one ONNX graph that maps token ids to sentence vectors; its tokenizer is saved beside
it. ``precision="int8"`` then quantises the graph's matrix products dynamically (int8 weights
per output channel, activations quantised per batch), which embeds about twice as fast on a
CPU at a small cost in agreement with the original model; docs/indexes.md gives the measured
trade-off. Every export is checked before it is accepted: its vectors for a few fixed texts
must agree with the torch model's (``ExportError`` otherwise).

The vectors of an int8 graph differ from the original model's enough that an index must not mix
them, so such an embedder carries its own ``model_name`` (``quantized_model_name``); an fp32
graph computes the original model's vectors and keeps its name.

The same fp32 graph can also be run by OpenVINO's runtime: in fp32 (``openvino``, the model's
vectors, somewhat faster than ONNX Runtime) or in bfloat16 where the CPU has such instructions
(``openvino-bf16``, about twice as fast, vectors that agree with the model's to within
``MIN_AGREEMENT["fp32"]``, so it keeps the model's name as well).
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from indexes.embedder import load_sentence_transformer

Precision = Literal["fp32", "int8"]
Runtime = Literal["onnxruntime", "openvino", "openvino-bf16"]

MODEL_FILE = "model.onnx"
USAGE_REPORTING_MODULE = "openvino_telemetry"
"""The package through which OpenVINO reports its use over the network (see
``import_openvino``)."""
CONFIG_FILE = "embedder.json"
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17
SAMPLE_TEXTS = (
    "What was the company's revenue in fiscal 2022?",
    "This Agreement shall be governed by the laws of the State of Delaware.",
    "Patients receiving the higher dose reported fewer adverse events after 12 weeks. " * 30,
    "x",
)
"""Texts whose vectors an export must reproduce; one runs past the model's length limit."""

MIN_AGREEMENT: dict[Precision, float] = {"fp32": 0.9999, "int8": 0.97}
"""Lowest cosine between an export's vector and the torch model's for any ``SAMPLE_TEXTS``."""


class ExportError(RuntimeError):
    """An export that does not reproduce its model's vectors closely enough."""


def quantized_model_name(model_name: str) -> str:
    """The name an int8 export of ``model_name`` records in an index."""
    return f"{model_name}+int8"


def export_onnx(model_path: Path | None, folder: Path, *, precision: Precision) -> None:
    """Write the sentence-transformers model at ``model_path`` (``None``: the packaged
    all-MiniLM-L6-v2) as an ONNX graph with its tokenizer into the empty ``folder``, flat
    files only, and check it against the torch model."""
    model = load_sentence_transformer(model_path)
    tokenizer = model.tokenizer
    features = tokenizer(
        ["a short text", "a somewhat longer text, so that the first one is padded"],
        padding=True,
        truncation="longest_first",
        max_length=model.max_seq_length,
        return_tensors="pt",
    )
    names = list(features)
    with tempfile.TemporaryDirectory() as scratch:
        graph = folder / MODEL_FILE if precision == "fp32" else Path(scratch) / MODEL_FILE
        _export_graph(model, names, tuple(features[name] for name in names), graph)
        if precision == "int8":
            _quantize(graph, folder / MODEL_FILE)
    tokenizer.save_pretrained(str(folder))
    if not (folder / TOKENIZER_FILE).is_file():
        raise ExportError("the model's tokenizer has no fast form (tokenizer.json); keep torch")
    dim = model.get_embedding_dimension()
    config = {"inputs": names, "max_length": model.max_seq_length, "dim": dim}
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    _check_agreement(model, folder, precision)


def _export_graph(model: Any, names: list[str], example: tuple[Any, ...], path: Path) -> None:
    import torch

    class Graph(torch.nn.Module):
        """The model's forward pass taking its tokenizer's tensors positionally."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracing notes on branches fixed for every input
        torch.onnx.export(
            Graph().eval(),
            example,
            str(path),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The quantizer logs advice about pre-processing through the root logger; keep it quiet.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            source,
            target,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)


RUNTIMES: dict[Precision, tuple[Runtime, ...]] = {
    "fp32": ("onnxruntime", "openvino", "openvino-bf16"),
    "int8": ("onnxruntime",),
}
"""The runtimes that may run an export of each precision; each is checked before it is kept."""


def _check_agreement(model: Any, folder: Path, precision: Precision) -> None:
    expected = model.encode(
        list(SAMPLE_TEXTS), normalize_embeddings=True, convert_to_numpy=True, batch_size=8
    )
    for runtime in RUNTIMES[precision]:
        embedder = OnnxEmbedder(lambda: folder, model_name="check", runtime=runtime)
        worst = float(np.min(np.sum(expected * embedder.encode(SAMPLE_TEXTS), axis=1)))
        if worst < MIN_AGREEMENT[precision]:
            raise ExportError(
                f"the {precision} ONNX export run by {runtime} reproduces the model's vectors "
                f"only to cosine {worst:.4f} (at least {MIN_AGREEMENT[precision]} needed); "
                "keep the torch backend"
            )


class OnnxEmbedder:
    """An exported model (``export_onnx``) run by ONNX Runtime on the CPU.

    ``folder`` is called once, on first use, for the export's folder, so that a caller can
    export it then; texts are embedded ``batch_size`` at a time, longest first, as
    sentence-transformers does, so a batch holds texts of similar length and little padding.
    """

    def __init__(
        self,
        folder: Callable[[], Path],
        *,
        model_name: str,
        batch_size: int = 64,
        runtime: Runtime = "onnxruntime",
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self._folder = folder
        self._runtime: Runtime = runtime
        self._model_name = model_name
        self._batch_size = batch_size
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def dim(self) -> int:
        return self._load().dim

    def warm_up(self) -> None:
        """Export (when the folder's source does so) and load the graph now."""
        self._load()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        loaded = self._load()
        vectors = np.zeros((len(texts), loaded.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            vectors[rows] = loaded.run([texts[i] for i in rows])
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)

    def _load(self) -> _Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = _Loaded.read(self._folder(), self._runtime)
        return self._loaded


def _onnxruntime_graph(path: Path) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are not ours
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda feed: np.asarray(session.run(None, feed)[0])


def import_openvino() -> Any:
    """The ``openvino`` module, imported without its usage reporting.

    Importing OpenVINO's Python package reports the import to its maker over the network, from a
    background process, unless the reporting package cannot be imported. A private deployment
    sends nothing anywhere, so that package is hidden from the import; OpenVINO then uses its
    own silent stand-in.
    """
    if "openvino" in sys.modules:
        return sys.modules["openvino"]
    reporting = sys.modules.get(USAGE_REPORTING_MODULE)
    sys.modules[USAGE_REPORTING_MODULE] = None  # type: ignore[assignment]
    try:
        import openvino
    finally:
        if reporting is None:
            del sys.modules[USAGE_REPORTING_MODULE]
        else:
            sys.modules[USAGE_REPORTING_MODULE] = reporting
    return openvino


def openvino_graph(
    path: Path, precision: Literal["f32", "bf16"]
) -> Callable[[Mapping[str, np.ndarray]], list[np.ndarray]]:
    """The ONNX graph at ``path`` compiled by OpenVINO for the CPU, computing in ``precision``
    (bf16 is a hint: a CPU without bfloat16 instructions computes in f32); called with its
    inputs, it returns its outputs in order, and may be called from several threads."""
    openvino = import_openvino()
    hints = {"INFERENCE_PRECISION_HINT": precision}
    compiled = openvino.Core().compile_model(str(path), "CPU", hints)

    def run(feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        # One request per call: a compiled model's own request must not serve two threads.
        results = compiled.create_infer_request().infer(dict(feed))
        return [np.array(results[index]) for index in range(len(compiled.outputs))]

    return run


def _openvino_embeddings(
    path: Path, precision: Literal["f32", "bf16"]
) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    graph = openvino_graph(path, precision)
    return lambda feed: graph(feed)[0]


_GRAPH_RUNNERS: dict[Runtime, Callable[[Path], Callable[[dict[str, np.ndarray]], np.ndarray]]] = {
    "onnxruntime": _onnxruntime_graph,
    "openvino": lambda path: _openvino_embeddings(path, "f32"),
    "openvino-bf16": lambda path: _openvino_embeddings(path, "bf16"),
}


class _Loaded:
    """An export's compiled graph, tokenizer and settings."""

    def __init__(
        self,
        graph: Callable[[dict[str, np.ndarray]], np.ndarray],
        tokenizer: Any,
        config: dict[str, Any],
    ) -> None:
        self._graph = graph
        self._tokenizer = tokenizer
        self._inputs: list[str] = list(config["inputs"])
        self.dim = int(config["dim"])

    @classmethod
    def read(cls, folder: Path, runtime: Runtime) -> _Loaded:
        from tokenizers import Tokenizer

        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        graph = _GRAPH_RUNNERS[runtime](folder / MODEL_FILE)
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=int(config["max_length"]))
        padding = tokenizer.padding or {}
        tokenizer.enable_padding(
            pad_id=int(padding.get("pad_id", 0)), pad_token=str(padding.get("pad_token", "[PAD]"))
        )
        return cls(graph, tokenizer, config)

    def run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        columns = {
            "input_ids": [e.ids for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
        }
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}
        return np.asarray(self._graph(feed), dtype=np.float32)
