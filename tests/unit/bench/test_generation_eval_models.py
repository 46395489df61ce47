from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from assistant.digests import file_sha256
from bench.generation_eval import (
    BUILT_IN_MODELS,
    model_names,
    parse_extra_model,
    predictions_file,
    summarise,
)


def test_extra_model_spec_gives_name_and_path() -> None:
    assert parse_extra_model("qwen=/models/q.gguf") == ("qwen", Path("/models/q.gguf"))
    assert parse_extra_model(" gemma = rel/g=1.gguf ") == ("gemma", Path("rel/g=1.gguf"))


@pytest.mark.parametrize("spec", ["qwen", "=/models/q.gguf", "qwen=", "qwen= ", "a,b=/m.gguf"])
def test_malformed_extra_model_spec_is_refused(spec: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_extra_model(spec)


def test_model_names_put_built_in_models_first() -> None:
    extra = [("qwen", Path("q.gguf")), ("gemma", Path("g.gguf"))]
    assert model_names("base", extra) == ["base", "qwen", "gemma"]
    assert model_names(BUILT_IN_MODELS, []) == ["base", "tuned", "tuned-int8"]
    assert model_names("", extra) == ["qwen", "gemma"]


def test_model_names_must_be_unique_and_present() -> None:
    with pytest.raises(ValueError, match="base"):
        model_names("base", [("base", Path("other.gguf"))])
    with pytest.raises(ValueError, match="no model"):
        model_names(" , ", [])


def test_predictions_sit_beside_the_named_result() -> None:
    assert predictions_file("generation_eval").name == "generation_eval_predictions.jsonl"
    assert predictions_file("bakeoff").parent == predictions_file("generation_eval").parent


def test_file_sha256_of_known_content(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"abc")
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_sha256(path) == expected


def record(total_s: float, new_tokens: int, first_token_s: float = 0.5) -> dict[str, Any]:
    return {
        "source": "tatqa",
        "answerable": True,
        "answers": ["2019"],
        "answer": "2019 [1].",
        "abstained": False,
        "cited": [1],
        "gold": [1],
        "invalid": [],
        "first_token_s": first_token_s,
        "total_s": total_s,
        "tokens_per_s": 20.0,
        "new_tokens": new_tokens,
        "max_new_tokens": 60,
    }


def test_latency_medians_and_answers_that_reached_the_cap() -> None:
    records = [record(1.0, 5), record(2.0, 10), record(9.0, 60, first_token_s=2.5)]
    summary = summarise(records)
    assert summary["answer_latency_p50_s"] == 2.0
    assert summary["answer_latency_s"] == 4.0
    assert summary["first_token_p50_s"] == 0.5
    assert summary["capped_answers"] == 1
    assert summary["capped_answer_latency_p50_s"] == 9.0


def test_records_stored_before_token_counts_were_kept_count_as_uncapped() -> None:
    old = {k: v for k, v in record(3.0, 60).items() if k not in ("new_tokens", "max_new_tokens")}
    summary = summarise([old])
    assert summary["capped_answers"] == 0
    assert summary["capped_answer_latency_p50_s"] is None
