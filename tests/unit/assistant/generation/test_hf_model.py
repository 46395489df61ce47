"""A GGUF file whose architecture the own network does not compute is refused before the long
conversion starts, with a message that names what it holds and what is computed."""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf import GGUFWriter

from assistant.generation import hf_model
from assistant.generation.hf_model import convert_model, read_in_memory


def gguf_file(folder: Path, architecture: str) -> Path:
    path = folder / f"{architecture}.gguf"
    writer = GGUFWriter(str(path), architecture)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_an_unsupported_architecture_is_refused_before_any_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("transformers was asked to read the file")

    monkeypatch.setattr(hf_model, "load_tokenizer", never)
    monkeypatch.setattr(hf_model, "load_model", never)
    gemma = gguf_file(tmp_path, "gemma3")
    with pytest.raises(ValueError, match=r"gemma3 architecture.*llama and qwen2"):
        convert_model(gemma, None, tmp_path / "out")
    with pytest.raises(ValueError, match="gemma3"):
        read_in_memory(gemma, None)


def test_a_llama_file_goes_on_to_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reached: list[Path] = []

    def record(path: Path) -> None:
        reached.append(path)
        raise RuntimeError("stop here")

    monkeypatch.setattr(hf_model, "load_tokenizer", record)
    llama = gguf_file(tmp_path, "llama")
    with pytest.raises(RuntimeError, match="stop here"):
        convert_model(llama, None, tmp_path / "out")
    assert reached == [llama]
