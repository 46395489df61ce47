"""Loading the GGUF model and its tokenizer with transformers, converting them once into
transformers' own format, and the tokenizer adapter the prompt builder counts with.

transformers reads the GGUF file directly and dequantises it to float32, which takes most of a
start; ``convert_model`` saves that result (with a LoRA adapter merged) as safetensors, which
``load_converted`` maps back in under a second with the same weights, aligned as torch aligns
its own (``aligned_weights.py``); ``model_cache.py`` keeps and checks such folders. A GGUF file
without a chat template (a base model that was never tuned to chat) gets the prompt as a plain
transcript ending on an answer cue instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.generation.aligned_weights import align_safetensors, realign
from assistant.generation.prompt import ChatMessage

ANSWER_CUE = "Answer:"
"""Where a plain transcript hands over to the model, and what marks earlier answers in it."""

TRANSCRIPT_STOP = "\n\n"
"""Ends an answer in a plain transcript: a base model goes on to invent the next question."""


def plain_transcript(messages: Sequence[ChatMessage], bos: str = "") -> str:
    """``messages`` as plain text for a model without a chat template.

    A base model continues text rather than following turns, so the instructions and the
    question stay as written, earlier answers follow the cue, and the text ends on the cue.
    ``bos`` is prepended for models that expect a start-of-text token.
    """
    parts = [
        f"{ANSWER_CUE} {m['content']}" if m["role"] == "assistant" else m["content"]
        for m in messages
    ]
    return bos + "\n\n".join([*parts, ANSWER_CUE])


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


def merge_adapter(model: Any, adapter: Path) -> Any:
    """``model`` with the LoRA adapter in folder ``adapter`` merged into its weights."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"no LoRA adapter in {adapter} (adapter_config.json missing)")
    with warnings.catch_warnings():
        # peft calls a transformers method deprecated in favour of a newer name; not ours to fix.
        warnings.simplefilter("ignore", FutureWarning)
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()


def convert_model(model_file: Path, adapter: Path | None, folder: Path) -> None:
    """Save the model of the GGUF file, dequantised, with ``adapter`` (a LoRA folder) merged
    when given, and its tokenizer into the empty ``folder``, in transformers' own format."""
    tokenizer = load_tokenizer(model_file)
    model = load_model(model_file)
    if adapter is not None:
        model = merge_adapter(model, adapter)
    # The weights are plain float32 by now; the record of the GGUF quantisation that they were
    # read from only makes transformers refuse to save them, and would be wrong once loaded.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    for weights in folder.glob("*.safetensors"):
        align_safetensors(weights)


def load_converted(folder: Path) -> tuple[Any, Any]:
    """The tokenizer and the model (in eval mode, its weights memory-mapped) that
    ``convert_model`` saved in ``folder``; they compute exactly what the converted ones did."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder)
    model.eval()
    realign(model)
    return tokenizer, model


class HFPromptTokenizer:
    """The prompt builder's view of a transformers tokenizer."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    @property
    def has_chat_template(self) -> bool:
        return getattr(self._tokenizer, "chat_template", None) is not None

    @property
    def stop_text(self) -> str | None:
        """Text that ends the answer besides the end-of-turn tokens (None: only those)."""
        return None if self.has_chat_template else TRANSCRIPT_STOP

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tokenizer.decode(list(ids), skip_special_tokens=True))

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def render_chat(self, messages: Sequence[ChatMessage]) -> str:
        """``messages`` in the model's chat template, ending where the answer starts."""
        if not self.has_chat_template:
            wants_bos = getattr(self._tokenizer, "add_bos_token", False)
            bos = self._tokenizer.bos_token if wants_bos else None
            return plain_transcript(messages, bos or "")
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
