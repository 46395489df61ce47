"""The torch side of the span reader: the encoder with its start/end head, and loading the trained
adapter. Training uses it, and so does exporting the scorer for serving
(``assistant.reading.span_export``); nothing imports it until then, so that answers that never
need it never load torch."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from assistant.backbone import backbone_path, load_merged_backbone

HEAD_FILE = "head.safetensors"
_MASKED = -1e4


class SpanScorer(torch.nn.Module):
    """The encoder and a head giving each token a start and an end logit; tokens of the
    question and padding are masked out, the first token stands for "no answer"."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, 2)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        logits = self.head(hidden)
        allowed = (token_type_ids == 1) & (attention_mask == 1)
        allowed[:, 0] = True
        logits = logits.masked_fill(~allowed.unsqueeze(-1), _MASKED)
        return logits[..., 0], logits[..., 1]


def load_span_scorer(adapter: Path | None, *, trainable: bool = False) -> tuple[SpanScorer, Any]:
    """The scorer and its tokenizer; with ``adapter`` the trained LoRA weights and head are
    applied (merged into the encoder, or as a peft model that goes on training when
    ``trainable``), without it the head is fresh (for training)."""
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoTokenizer

    path = backbone_path()
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if adapter is None:
        return SpanScorer(AutoModel.from_pretrained(str(path))), tokenizer
    if trainable:
        from peft import PeftModel

        with warnings.catch_warnings():
            # peft asks transformers a question transformers has renamed; nothing for a user to do
            warnings.filterwarnings(
                "ignore", message=".*is_gradient_checkpointing", category=FutureWarning
            )
            encoder = PeftModel.from_pretrained(
                AutoModel.from_pretrained(str(path)), str(adapter), is_trainable=True
            )
    else:
        encoder = load_merged_backbone(adapter)
    model = SpanScorer(encoder)
    model.head.load_state_dict(load_file(str(adapter / HEAD_FILE)))
    return model, tokenizer
