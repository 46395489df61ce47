"""The ONNX Runtime embedder without a model: it finds its export only at first use, embeds in
batches of similar length, and returns normalised rows in the order of its input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexes import onnx_embedder
from indexes.onnx_embedder import OnnxEmbedder


class FakeLoaded:
    """Stands for a loaded export: a text's vector is (its length, 1, 0), unnormalised."""

    dim = 3

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def run(self, texts: list[str]) -> np.ndarray:
        self.batches.append(texts)
        return np.array([[len(text), 1.0, 0.0] for text in texts], dtype=np.float32)


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> FakeLoaded:
    fake = FakeLoaded()
    monkeypatch.setattr(
        onnx_embedder._Loaded, "read", classmethod(lambda cls, folder, runtime: fake)
    )
    return fake


def test_the_export_is_looked_for_only_at_first_use(tmp_path: Path, loaded: FakeLoaded) -> None:
    asked: list[int] = []

    def folder() -> Path:
        asked.append(1)
        return tmp_path

    embedder = OnnxEmbedder(folder, model_name="m+int8")
    assert embedder.model_name == "m+int8"
    assert asked == []
    embedder.warm_up()
    embedder.encode(["a"])
    assert embedder.dim == 3
    assert asked == [1]


def test_rows_come_back_in_input_order_normalised_from_length_sorted_batches(
    tmp_path: Path, loaded: FakeLoaded
) -> None:
    texts = ["bb", "a", "dddd", "ccc", "eeeee"]
    vectors = OnnxEmbedder(lambda: tmp_path, model_name="m", batch_size=2).encode(texts)
    assert loaded.batches == [["eeeee", "dddd"], ["ccc", "bb"], ["a"]]
    expected = np.array([[len(t), 1.0, 0.0] for t in texts])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors, expected, rtol=1e-6)
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous


def test_no_texts_give_no_rows(tmp_path: Path, loaded: FakeLoaded) -> None:
    vectors = OnnxEmbedder(lambda: tmp_path, model_name="m").encode([])
    assert vectors.shape == (0, 3)
    assert loaded.batches == []


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        OnnxEmbedder(lambda: tmp_path, model_name="m", batch_size=0)


def test_openvino_is_imported_without_its_usage_reporting() -> None:
    """A fresh interpreter, as the product starts: OpenVINO's import must not load the package
    that reports its use over the network, and must leave OpenVINO's silent stand-in in place."""
    script = (
        "import sys\n"
        "from indexes.onnx_embedder import USAGE_REPORTING_MODULE, import_openvino\n"
        "openvino = import_openvino()\n"
        "from openvino.tools.ovc import telemetry_utils\n"
        "assert openvino.Core is not None\n"
        "assert USAGE_REPORTING_MODULE not in sys.modules, 'reporting imported'\n"
        "assert telemetry_utils.tm.__name__.endswith('telemetry_stub'), telemetry_utils.tm\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
