"""Loading the GGUF model and its tokenizer with transformers, and the tokenizer adapter the
prompt builder counts with.

transformers reads the GGUF file directly and dequantises it to float32, so no conversion step
or second copy of the weights is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.generation.prompt import ChatMessage


def load_tokenizer(model_file: Path) -> Any:
    """The tokenizer (with chat template) stored in the GGUF file."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_file.parent, gguf_file=model_file.name)


def load_model(model_file: Path) -> Any:
    """The causal language model of the GGUF file, dequantised to float32, in eval mode."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_file.parent, gguf_file=model_file.name)
    model.eval()
    return model


class HFPromptTokenizer:
    """The prompt builder's view of a transformers tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=True))

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def render_chat(self, messages: Sequence[ChatMessage]) -> str:
        """``messages`` in the model's chat template, ending where the answer starts."""
        rendered = self._tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
        return str(rendered)

    def encode_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        return self.encode(self.render_chat(messages))

    def count_chat(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.encode_chat(messages))

    def truncate(self, text: str, max_tokens: int) -> str:
        encoding = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = encoding["offset_mapping"]
        if len(offsets) <= max_tokens:
            return text
        return text[: offsets[max_tokens - 1][1]] if max_tokens > 0 else ""
