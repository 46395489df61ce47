"""The converted-model cache: converted once, used only while it matches its sources and
libraries and every file is intact, rebuilt otherwise, and installed whole or not at all."""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from assistant.generation import model_cache, transformers_runtime
from assistant.generation.model_cache import (
    MANIFEST_NAME,
    STAGING_MAX_AGE_S,
    STAGING_PREFIX,
    ModelCache,
    Origin,
)
from assistant.generation.transformers_runtime import TransformersGenerator
from assistant.settings import GenerationSettings, Settings


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    model_file = tmp_path / "model.gguf"
    model_file.write_bytes(b"GGUF weights " * 100)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"r": 16}')
    (adapter / "adapter_model.safetensors").write_bytes(b"lora" * 50)
    (adapter / "README.md").write_text("model card")
    return model_file, adapter


class Converter:
    """Writes a fake converted model and counts how often it was asked to."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, folder: Path) -> None:
        self.calls += 1
        (folder / "model.safetensors").write_bytes(b"float32 weights" * 1000)
        (folder / "config.json").write_text('{"model_type": "llama"}')


def _prepared(cache: ModelCache, origin: Origin, convert: Converter) -> tuple[Path, bool]:
    prepared = cache.prepare(origin, convert)
    return prepared.folder, prepared.converted


def test_converted_once_then_used_as_it_is(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    cache, convert = ModelCache(tmp_path / "cache"), Converter()
    origin = Origin.of(*sources)
    folder, converted = _prepared(cache, origin, convert)
    assert converted
    assert _prepared(cache, Origin.of(*sources), convert) == (folder, False)
    assert convert.calls == 1
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    assert manifest["origin"]["model_sha256"] == model_cache.file_sha256(sources[0])
    assert set(manifest["files"]) == {"model.safetensors", "config.json"}
    assert [p.name for p in cache.root.iterdir()] == [folder.name]  # no staging left


def test_the_origin_follows_the_weights_and_libraries_not_the_model_card(
    sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    model_file, adapter = sources
    first = Origin.of(model_file, adapter)
    (adapter / "README.md").write_text("a longer model card")
    assert Origin.of(model_file, adapter) == first
    assert Origin.of(model_file, None).key != first.key
    (adapter / "adapter_model.safetensors").write_bytes(b"retrained" * 50)
    assert Origin.of(model_file, adapter).key != first.key
    monkeypatch.setattr(model_cache, "library_versions", lambda: {"transformers": "99.0"})
    assert Origin.of(model_file, adapter).libraries == {"transformers": "99.0"}


def _damage_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0xFF
    weights.write_bytes(bytes(data))


def _truncate_weights(folder: Path) -> None:
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])


def _add_a_file(folder: Path) -> None:
    (folder / "extra.bin").write_bytes(b"?")


def _remove_a_file(folder: Path) -> None:
    (folder / "config.json").unlink()


def _remove_the_manifest(folder: Path) -> None:
    (folder / MANIFEST_NAME).unlink()


def _garble_the_manifest(folder: Path) -> None:
    (folder / MANIFEST_NAME).write_text("{not json")


def _claim_another_origin(folder: Path) -> None:
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["origin"]["adapter_sha256"] = "0" * 64
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "damage",
    [
        _damage_weights,
        _truncate_weights,
        _add_a_file,
        _remove_a_file,
        _remove_the_manifest,
        _garble_the_manifest,
        _claim_another_origin,
    ],
)
def test_a_damaged_cache_is_converted_again(
    damage: Any, tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    cache, convert = ModelCache(tmp_path / "cache"), Converter()
    origin = Origin.of(*sources)
    folder, _ = _prepared(cache, origin, convert)
    damage(folder)
    assert cache.verified(origin) is None
    assert _prepared(cache, origin, convert) == (folder, True)
    assert convert.calls == 2
    assert cache.verified(origin) == folder
    assert [p.name for p in cache.root.iterdir()] == [folder.name]


def test_a_conversion_by_other_libraries_is_stale_and_removed(
    tmp_path: Path, sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, convert = ModelCache(tmp_path / "cache"), Converter()
    old, _ = _prepared(cache, Origin.of(*sources), convert)
    upgraded = {**model_cache.library_versions(), "transformers": "99.0"}
    monkeypatch.setattr(model_cache, "library_versions", lambda: upgraded)
    new, converted = _prepared(cache, Origin.of(*sources), convert)
    assert converted
    assert new != old
    assert not old.exists()


def test_a_conversion_of_another_adapter_by_the_same_libraries_is_kept(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    cache, convert = ModelCache(tmp_path / "cache"), Converter()
    with_adapter, _ = _prepared(cache, Origin.of(*sources), convert)
    without, _ = _prepared(cache, Origin.of(sources[0], None), convert)
    assert with_adapter != without
    assert with_adapter.exists()
    assert _prepared(cache, Origin.of(*sources), convert) == (with_adapter, False)


def test_a_failed_conversion_leaves_nothing(tmp_path: Path, sources: tuple[Path, Path]) -> None:
    cache = ModelCache(tmp_path / "cache")

    def fail_halfway(folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        cache.prepare(Origin.of(*sources), fail_halfway)
    assert list(cache.root.iterdir()) == []


def test_a_conversion_installed_meanwhile_by_another_process_is_kept(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    cache, theirs = ModelCache(tmp_path / "cache"), Converter()
    origin = Origin.of(*sources)

    def convert_while_another_process_finishes(folder: Path) -> None:
        cache.prepare(origin, theirs)  # the other process wins the race
        (folder / "model.safetensors").write_bytes(b"ours")

    folder = cache.prepare(origin, convert_while_another_process_finishes).folder
    assert cache.verified(origin) == folder
    assert (folder / "model.safetensors").read_bytes() != b"ours"
    assert [p.name for p in cache.root.iterdir()] == [folder.name]


def test_only_abandoned_staging_folders_are_removed(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    cache = ModelCache(tmp_path / "cache")
    abandoned = cache.root / f"{STAGING_PREFIX}dead"
    live = cache.root / f"{STAGING_PREFIX}live"
    for folder in (abandoned, live):
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"partial")
    past = time.time() - STAGING_MAX_AGE_S - 60
    os.utime(abandoned, (past, past))
    cache.prepare(Origin.of(*sources), Converter())
    assert not abandoned.exists()
    assert live.exists()


class FakeModelFunctions:
    """Stands in for transformers in the runtime: records which way the model was read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.read: list[str] = []
        monkeypatch.setattr(transformers_runtime, "convert_model", self.convert_model)
        monkeypatch.setattr(transformers_runtime, "load_converted", self.load_converted)
        monkeypatch.setattr(transformers_runtime, "read_in_memory", self.read_in_memory)

    def convert_model(self, model_file: Path, adapter: Path | None, folder: Path) -> None:
        Converter()(folder)

    def load_converted(self, folder: Path) -> tuple[str, str]:
        self.read.append("converted")
        return "tokenizer", "model"

    def read_in_memory(self, path: Path, adapter: Path | None) -> tuple[str, str]:
        self.read.append("gguf")
        return "tokenizer", "model"


def test_the_runtime_reads_the_converted_model(
    tmp_path: Path, sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = FakeModelFunctions(monkeypatch)
    model_file, adapter = sources
    generator = TransformersGenerator(
        model_file=model_file, adapter=adapter, converted_dir=tmp_path / "cache"
    )
    assert generator.prepare().converted
    assert generator._read_model() == ("tokenizer", "model")
    assert fakes.read == ["converted"]
    assert not generator.prepare().converted


def test_a_full_disk_falls_back_to_converting_in_memory(
    tmp_path: Path, sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = FakeModelFunctions(monkeypatch)

    def disk_full(self: ModelCache, origin: Origin, convert: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ModelCache, "prepare", disk_full)
    model_file, adapter = sources
    generator = TransformersGenerator(
        model_file=model_file, adapter=adapter, converted_dir=tmp_path / "cache"
    )
    assert generator._read_model() == ("tokenizer", "model")
    assert fakes.read == ["gguf"]

    def broken(self: ModelCache, origin: Origin, convert: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(ModelCache, "prepare", broken)
    with pytest.raises(OSError, match="Input/output"):
        generator._read_model()


def test_the_settings_keep_the_converted_model_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.generation.converted_dir == tmp_path / "data" / "model-cache"
    chosen = Settings(
        data_dir=tmp_path, generation=GenerationSettings(converted_dir=tmp_path / "x")
    )
    assert chosen.generation.converted_dir == tmp_path / "x"


def test_a_load_that_may_not_convert_waits_for_a_kept_conversion(
    tmp_path: Path, sources: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = FakeModelFunctions(monkeypatch)
    monkeypatch.setattr(TransformersGenerator, "_load", lambda self: ("scheduler", "tokenizer"))
    model_file, adapter = sources
    cache = tmp_path / "cache"
    generator = TransformersGenerator(model_file=model_file, adapter=adapter, converted_dir=cache)
    generator.warm_up(convert=False)
    assert generator._parts is None  # nothing loaded, and no conversion started
    assert not [path for path in cache.glob("*") if path.is_dir()]
    assert fakes.read == []
    generator.prepare()
    generator.warm_up(convert=False)
    assert generator._parts == ("scheduler", "tokenizer")
