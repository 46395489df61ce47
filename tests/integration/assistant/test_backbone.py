"""The merged encoder a served reader or check uses computes what the peft-wrapped one does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModel, AutoTokenizer

from assistant.backbone import backbone_path, load_merged_backbone

MODELS = Path(__file__).resolve().parents[3] / "assistant" / "models"


@pytest.mark.parametrize("adapter", ["span_reader", "detector"])
def test_merged_adapter_matches_peft(adapter: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(backbone_path()))
    batch = tokenizer(
        ["What dose of amlodipine was she discharged on?", "Which law governs?"],
        ["Amlodipine was increased from 5 mg to 10 mg once daily.", "The laws of New York."],
        padding=True,
        return_tensors="pt",
    )
    wrapped = PeftModel.from_pretrained(
        AutoModel.from_pretrained(str(backbone_path())), str(MODELS / adapter)
    ).eval()
    merged = load_merged_backbone(MODELS / adapter).eval()
    plain = AutoModel.from_pretrained(str(backbone_path())).eval()
    with torch.inference_mode():
        expected = wrapped(**batch).last_hidden_state
        got = merged(**batch).last_hidden_state
        untouched = plain(**batch).last_hidden_state
    assert torch.allclose(got, expected, atol=1e-4)
    assert not torch.allclose(untouched, expected, atol=1e-2)  # the adapter does change it
