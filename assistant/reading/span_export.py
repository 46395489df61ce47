"""The span reader exported once to an ONNX graph and run by OpenVINO, so that reading a span
in a fresh process needs neither torch nor transformers.

Importing torch and transformers' encoder code takes seconds, longer than the reading itself.
The trained scorer (encoder with its LoRA adapter merged, and the start/end head) is therefore
exported once, with torch, into the data directory's model cache, under a name derived from
the adapter's and the encoder's files and the versions of the libraries that export and run it
(``ModelCache``: a half-written or damaged export is made again, never loaded). Every export is
checked against the torch scorer before it is kept (``ExportError`` otherwise). OpenVINO runs it
in fp32, so its scores are the torch scorer's to rounding and the span calibrator stays valid.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.backbone import backbone_path
from assistant.digests import DigestMemo, folder_sha256
from assistant.generation.model_cache import ModelCache, Prepared, library_versions, origin_key
from assistant.reading.span_model import Scores
from assistant.reading.span_windows import SpanTokenizer
from indexes.onnx_embedder import openvino_graph

FORMAT_VERSION = 1
FOLDER_PREFIX = "span-reader-"
GRAPH_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
LIBRARIES = ("torch", "transformers", "tokenizers", "onnx", "openvino")
OPSET = 17
MAX_DIFFERENCE = 1e-3
"""Largest difference allowed between the export's and the torch scorer's logits."""
CHECK_QUESTION = "Which state's laws govern the agreement?"
CHECK_PASSAGES = (
    "This Agreement shall be governed by the laws of the State of Oregon.",
    "The depot employs forty drivers and operates two shifts a day. " * 30,
)


class ExportError(RuntimeError):
    """An export whose scores differ from the torch scorer's."""


@dataclass(frozen=True)
class SpanExportOrigin:
    """What an export is made from: a change to any part makes a different export."""

    adapter_sha256: str
    encoder_sha256: str
    libraries: Mapping[str, str]

    @classmethod
    def of(cls, adapter: Path, memo: DigestMemo | None = None) -> SpanExportOrigin:
        return cls(
            folder_sha256(adapter, memo),
            folder_sha256(backbone_path(), memo),
            library_versions(LIBRARIES),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "adapter_sha256": self.adapter_sha256,
            "encoder_sha256": self.encoder_sha256,
            "libraries": dict(sorted(self.libraries.items())),
        }

    @property
    def key(self) -> str:
        return origin_key(self)


def prepare_span_export(adapter: Path, cache_dir: Path) -> Prepared:
    """The checked export of the scorer with ``adapter`` in ``cache_dir``, made first when
    there is none."""
    cache = ModelCache(cache_dir, prefix=FOLDER_PREFIX, libraries=LIBRARIES)
    origin = SpanExportOrigin.of(adapter, cache.digests)
    return cache.prepare(origin, lambda staging: export_scorer(adapter, staging))


def export_scorer(adapter: Path, folder: Path) -> None:
    """Write the scorer with ``adapter`` as an ONNX graph, with the encoder's tokenizer, into
    the empty ``folder``, and check it against the torch scorer."""
    import torch

    from assistant.reading.span_scorer import load_span_scorer

    model, _ = load_span_scorer(adapter)
    model.eval()
    shutil.copyfile(backbone_path() / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    windows = SpanTokenizer(folder / TOKENIZER_FILE).windows(CHECK_QUESTION, CHECK_PASSAGES)
    example = tuple(torch.from_numpy(windows.feed[name]) for name in INPUTS)
    axes = {name: {0: "windows", 1: "tokens"} for name in (*INPUTS, "start", "end")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracing notes on branches fixed for every input
        torch.onnx.export(
            model,
            example,
            str(folder / GRAPH_FILE),
            input_names=list(INPUTS),
            output_names=["start", "end"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
        expected = [t.numpy() for t in model(*example)]
    got = openvino_scores(folder / GRAPH_FILE)(windows.feed)
    allowed = windows.feed["attention_mask"] == 1
    worst = max(float(np.max(np.abs(e - g)[allowed])) for e, g in zip(expected, got, strict=True))
    if worst > MAX_DIFFERENCE:
        raise ExportError(
            f"the exported span reader's logits differ from the torch scorer's by {worst:.2g} "
            f"(at most {MAX_DIFFERENCE} allowed)"
        )


def openvino_scores(graph: Path) -> Scores:
    """The exported scorer in ``graph`` compiled by OpenVINO for the CPU, in fp32."""
    run = openvino_graph(graph, "f32")

    def scores(feed: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        start, end = run(feed)
        return start, end

    return scores
