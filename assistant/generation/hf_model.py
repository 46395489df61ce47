"""Loading the GGUF model and its tokenizer with transformers, and converting them once into
a folder that loads without transformers.

transformers reads the GGUF file directly and dequantises it to float32, which takes most of a
start; ``convert_model`` saves that result (with a LoRA adapter merged) as safetensors in
transformers' own format, which ``load_converted`` maps back in well under a second with the
same weights, aligned as torch aligns its own (``aligned_weights.py``), into the model of
``llama.py`` and the tokenizer of ``chat_tokenizer.py``; ``model_cache.py`` keeps and checks
such folders.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.generation.aligned_weights import align_safetensors, realign
from assistant.generation.chat_tokenizer import ChatTokenizer

if TYPE_CHECKING:
    from assistant.generation.llama import LlamaForCausalLM


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


def require_supported_architecture(model_file: Path) -> None:
    """Refuse, before the long conversion, a GGUF file whose architecture the runtime's own
    network does not compute."""
    from gguf import GGUFReader

    from assistant.generation.llama import SUPPORTED_MODELS

    field = GGUFReader(model_file).fields.get("general.architecture")
    architecture = None if field is None else bytes(field.parts[field.data[0]]).decode()
    if architecture not in SUPPORTED_MODELS:
        raise ValueError(
            f"{model_file.name} holds a {architecture or 'model of no stated'} architecture; the "
            f"answer model's runtime computes {' and '.join(SUPPORTED_MODELS)} models"
        )


def convert_model(model_file: Path, adapter: Path | None, folder: Path) -> None:
    """Save the model of the GGUF file, dequantised, with ``adapter`` (a LoRA folder) merged
    when given, and its tokenizer into the empty ``folder``, in transformers' own format."""
    require_supported_architecture(model_file)
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


def load_converted(folder: Path) -> tuple[ChatTokenizer, LlamaForCausalLM]:
    """The tokenizer and the model (in eval mode, its weights memory-mapped) that
    ``convert_model`` saved in ``folder``; they compute exactly what the converted ones did,
    without importing transformers."""
    from assistant.generation.llama import LlamaForCausalLM

    tokenizer = ChatTokenizer.from_folder(folder)
    model = LlamaForCausalLM.load(folder)
    realign(model)
    return tokenizer, model


def read_in_memory(
    model_file: Path, adapter: Path | None
) -> tuple[ChatTokenizer, LlamaForCausalLM]:
    """The tokenizer and the model of the GGUF file, with ``adapter`` merged when given, read
    with transformers and handed over to ``llama.py``'s model (sharing the weights): what
    ``load_converted`` gives, for when no converted folder can be kept."""
    from assistant.generation.llama import LlamaForCausalLM

    require_supported_architecture(model_file)
    tokenizer, model = load_tokenizer(model_file), load_model(model_file)
    if adapter is not None:
        model = merge_adapter(model, adapter)
    llama = LlamaForCausalLM.from_weights(model.config.to_dict(), model.state_dict())
    return ChatTokenizer.from_transformers(tokenizer), llama
