"""The detector's torch model: the encoder read through mean pooling and a one-logit head, and
loading it with the trained adapter (``assistant.guard.cross_encoder`` uses it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from assistant.backbone import backbone_path, load_merged_backbone
from assistant.guard.cross_encoder import HEAD_FILE


class PairClassifier(torch.nn.Module):
    """The encoder read through mean pooling (how all-MiniLM-L6-v2 was trained to be read, so
    the head starts from meaningful features) and a one-logit head."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(pooled).reshape(-1)


def load_classifier(adapter: Path | None) -> tuple[PairClassifier, Any]:
    """The classifier and its tokenizer; with ``adapter`` the trained LoRA weights (merged into
    the encoder) and head are applied, without it the head is fresh (for training)."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    path = backbone_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if adapter is None:
        return PairClassifier(AutoModel.from_pretrained(str(path))), tokenizer
    model = PairClassifier(load_merged_backbone(adapter))
    model.head.load_state_dict(load_file(str(adapter / HEAD_FILE)))
    return model, tokenizer
