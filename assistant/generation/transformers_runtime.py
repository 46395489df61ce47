"""The reference runtime: SmolLM2 from its GGUF file through transformers, on the CPU.

Decoding is greedy (answers repeat exactly for the same passages) with a key/value cache, and
every token comes with the log-probability the model gave it. A LoRA adapter, when configured,
is merged into the weights at load time, so it costs nothing per token. With ``int8`` the
linear layers are quantised dynamically after loading: about three times faster, but it changes
most answers of this small model (see docs/generation.md). A model without a chat template
also stops at the text its tokenizer adapter names (see ``HFPromptTokenizer.stop_text``).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.generation.base import GeneratedToken
from assistant.generation.hf_model import HFPromptTokenizer, load_model, load_tokenizer
from assistant.generation.model_files import resolve_model_file
from assistant.generation.prompt import ChatMessage

TURN_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
"""Chat-template tokens that end an answer: the end of the turn, of the text, or the start of
another turn."""

_REPLACEMENT = "\ufffd"


def default_threads() -> int:
    """Half the available cores, at least one.

    Decoding a 135M model gains almost nothing from a second thread, and when other work
    competes for the cores (ingestion, the embedder, another request) extra threads wait on
    each other: on two busy cores, two threads decoded 5 tokens/s where one decoded 15.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // 2)


class TransformersGenerator:
    """Greedy, streaming generation with SmolLM2 (optionally with a LoRA adapter).

    Thread-safe: generations are serialised, since they share one model and the CPU.
    """

    def __init__(
        self,
        *,
        model_file: Path | None = None,
        adapter: Path | None = None,
        threads: int | None = None,
        int8: bool = False,
    ) -> None:
        self._model_file = model_file
        self._adapter = adapter
        self._threads = threads
        self._int8 = int8
        self._model: Any = None
        self._tokenizer: HFPromptTokenizer | None = None
        self._stop_ids: frozenset[int] = frozenset()
        self._stop_text: str | None = None
        self._lock = threading.Lock()

    @property
    def tokenizer(self) -> HFPromptTokenizer:
        return self._loaded()[1]

    def warm_up(self) -> None:
        """Load the tokenizer and model (about 25 s on two cores) unless already loaded."""
        self._loaded()

    def _loaded(self) -> tuple[Any, HFPromptTokenizer]:
        with self._lock:
            if self._model is None or self._tokenizer is None:
                self._model, self._tokenizer = self._load()
            return self._model, self._tokenizer

    def _load(self) -> tuple[Any, HFPromptTokenizer]:
        import torch

        torch.set_num_threads(self._threads or default_threads())
        path = resolve_model_file(self._model_file)
        raw_tokenizer = load_tokenizer(path)
        model = load_model(path)
        if self._adapter is not None:
            model = merge_adapter(model, self._adapter)
        if self._int8:
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
        vocabulary = raw_tokenizer.get_vocab()
        stops = {raw_tokenizer.eos_token_id}
        # Only names the vocabulary has: others would map to its unknown token, which is no stop.
        # A new turn's opening marker ends the answer too: an answer never contains one, and a
        # model that skips the end-of-turn marker goes on to invent the next turns after it.
        stops.update(vocabulary[name] for name in TURN_MARKERS if name in vocabulary)
        self._stop_ids = frozenset(int(i) for i in stops if i is not None and i >= 0)
        tokenizer = HFPromptTokenizer(raw_tokenizer)
        self._stop_text = tokenizer.stop_text
        return model, tokenizer

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        if max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be positive")
        model, tokenizer = self._loaded()
        prompt = tokenizer.encode_chat(prompt_messages)
        with self._lock:
            yield from self._decode(model, tokenizer, prompt, max_new_tokens)

    def _decode(
        self, model: Any, tokenizer: HFPromptTokenizer, prompt: list[int], max_new_tokens: int
    ) -> Iterator[GeneratedToken]:
        import torch

        generated: list[int] = []
        emitted = ""
        with torch.inference_mode():
            output = model(input_ids=torch.tensor([prompt]), use_cache=True, logits_to_keep=1)
            for _ in range(max_new_tokens):
                logprobs = torch.log_softmax(output.logits[0, -1].float(), dim=-1)
                token = int(torch.argmax(logprobs))
                if token in self._stop_ids:
                    return
                generated.append(token)
                text = tokenizer.decode(generated)
                # A character split over several tokens decodes to U+FFFD until complete.
                delta = "" if text.endswith(_REPLACEMENT) else text[len(emitted) :]
                cut = stop_position(emitted + delta, self._stop_text)
                if cut is not None:
                    if cut > len(emitted):
                        piece = delta[: cut - len(emitted)]
                        yield GeneratedToken(text=piece, logprob=float(logprobs[token]))
                    return
                emitted += delta
                yield GeneratedToken(text=delta, logprob=float(logprobs[token]))
                output = model(
                    input_ids=torch.tensor([[token]]),
                    past_key_values=output.past_key_values,
                    use_cache=True,
                )


def stop_position(text: str, stop: str | None) -> int | None:
    """Where ``stop`` first occurs in ``text`` after its leading whitespace, if it does.

    Leading whitespace is skipped so that an answer opening with a blank line is not ended
    before it starts.
    """
    if not stop:
        return None
    index = text.find(stop, len(text) - len(text.lstrip()))
    return None if index < 0 else index


def merge_adapter(model: Any, adapter: Path) -> Any:
    """``model`` with the LoRA adapter in folder ``adapter`` merged into its weights."""
    from peft import PeftModel

    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"no LoRA adapter in {adapter} (adapter_config.json missing)")
    with warnings.catch_warnings():
        # peft calls a transformers method deprecated in favour of a newer name; not ours to fix.
        warnings.simplefilter("ignore", FutureWarning)
        return PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
