from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.backbone import ADAPTER_CONFIG, load_merged_backbone

PLAIN = {"peft_type": "LORA", "r": 16, "lora_alpha": 32, "bias": "none"}


@pytest.mark.parametrize(
    "change",
    [
        {"use_dora": True},
        {"use_rslora": True},
        {"rank_pattern": {"query": 8}},
        {"modules_to_save": ["classifier"]},
        {"bias": "all"},
        {"peft_type": "IA3"},
    ],
)
def test_only_a_plain_lora_adapter_is_merged(tmp_path: Path, change: dict[str, object]) -> None:
    (tmp_path / ADAPTER_CONFIG).write_text(json.dumps({**PLAIN, **change}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a plain LoRA adapter"):
        load_merged_backbone(tmp_path)
