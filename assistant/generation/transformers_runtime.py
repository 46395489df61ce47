"""The reference runtime: SmolLM2 from its GGUF file, read by transformers and run by torch on
the CPU.

Decoding is greedy (answers repeat exactly for the same passages) with a key/value cache, and
every token comes with the log-probability the model gave it; with ``lookup_tokens`` it checks
guesses copied from the passages several tokens per pass (``greedy.py``). A LoRA adapter, when
configured, is merged into the weights, so it costs nothing per token. With ``converted_dir``
the dequantised and merged model is converted once and kept there, checked at every start
(``model_cache.py``), instead of being converted from the GGUF at every start; a start then
reads it with torch and the tokenizers library alone (``llama.py``, ``chat_tokenizer.py``),
without importing transformers, which costs seconds. The wide
linear layers are then stored transposed, which one-token passes read faster
(``weight_layout.py``), the key/value cache writes into reserved room (``kv_cache.py``), and
attention reads shared key/value heads in place. Questions asked at
the same time are decoded together, a batch of up to ``batch_size`` at a time with up to
``queue_length`` more waiting (``batching.py``). With ``int8``
the linear layers are instead quantised dynamically after loading: faster, but it changes
most answers of this small model (see docs/generation.md). A model without a chat template
also stops at the text its tokenizer adapter names (``ChatTokenizer.stop_text``).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.generation.base import GeneratedToken, Queued
from assistant.generation.batching import BatchScheduler
from assistant.generation.chat_tokenizer import ChatTokenizer
from assistant.generation.greedy import GreedyDecoding
from assistant.generation.hf_model import convert_model, load_converted, read_in_memory
from assistant.generation.model_cache import ModelCache, Origin, Prepared
from assistant.generation.model_files import resolve_model_file
from assistant.generation.prompt import ChatMessage
from assistant.model_loading import MODEL_LOADING

log = logging.getLogger(__name__)

TURN_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|im_start|>")
"""Chat-template tokens that end an answer: the end of the turn, of the text, or the start of
another turn."""

UNWRITABLE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})
"""Why a converted model may not be kept: then it is converted in memory, as without a folder."""


def available_cores() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def default_threads() -> int:
    """Threads for decoding the answer: half the available cores, at least one.

    Decoding a 135M model gains almost nothing from a second thread, and when other work
    competes for the cores (ingestion, the embedder, another request) extra threads wait on
    each other (docs/generation.md).
    """
    return max(1, available_cores() // 2)


class TransformersGenerator:
    """Greedy, streaming generation with SmolLM2 (optionally with a LoRA adapter).

    Thread-safe: one thread decodes every answer, those asked at the same time together.
    """

    def __init__(
        self,
        *,
        model_file: Path | None = None,
        adapter: Path | None = None,
        threads: int | None = None,
        prefill_threads: int | None = None,
        int8: bool = False,
        prefill_bf16: bool = False,
        lookup_tokens: int = 0,
        converted_dir: Path | None = None,
        batch_size: int = 8,
        queue_length: int = 32,
    ) -> None:
        self._model_file = model_file
        self._adapter = adapter
        self._converted_dir = converted_dir
        self._threads = threads or default_threads()
        self._prefill_threads = prefill_threads or available_cores()
        self._int8 = int8
        self._prefill_bf16 = prefill_bf16
        self._lookup_tokens = lookup_tokens
        self._batch_size = batch_size
        self._queue_length = queue_length
        self._parts: tuple[BatchScheduler, ChatTokenizer] | None = None
        self._lock = threading.Lock()

    @property
    def prefill_bf16(self) -> bool:
        """Whether prompts are read in bfloat16."""
        return self._prefill_bf16

    @property
    def tokenizer(self) -> ChatTokenizer:
        return self._loaded()[1]

    def warm_up(self, *, convert: bool = True) -> None:
        """Load the tokenizer and model unless already loaded; with ``convert`` false, only
        when a converted model is kept and intact."""
        if convert or self._converted_dir is None or self._prepared():
            self._loaded()

    def _prepared(self) -> bool:
        """Whether the converted model is kept and intact (checked, never made)."""
        _, cache, origin = self._conversion()
        return cache.verified(origin) is not None

    def prepare(self) -> Prepared:
        """Convert the model into ``converted_dir`` unless an intact conversion of the same model
        file and adapter by the same libraries is there: its folder, and whether it was
        converted now."""
        path, cache, origin = self._conversion()
        adapter = self._adapter

        def convert(folder: Path) -> None:
            with MODEL_LOADING:  # transformers reads the GGUF file
                convert_model(path, adapter, folder)

        return cache.prepare(origin, convert)

    def _conversion(self) -> tuple[Path, ModelCache, Origin]:
        """The model file, the cache its conversion is kept in, and what it is converted from."""
        if self._converted_dir is None:
            raise ValueError("this generator keeps no converted model: converted_dir is empty")
        path = resolve_model_file(self._model_file)
        cache = ModelCache(self._converted_dir)
        return path, cache, Origin.of(path, self._adapter, cache.digests)

    def _read_model(self) -> tuple[ChatTokenizer, Any]:
        """The tokenizer and the model with its adapter merged: from the converted folder when
        one is kept, else converted from the GGUF file in memory."""
        if self._converted_dir is not None:
            try:
                return load_converted(self.prepare().folder)
            except OSError as exc:
                if exc.errno not in UNWRITABLE:
                    raise
                log.warning(
                    "the converted answer model cannot be kept in %s (%s); converting it in memory",
                    self._converted_dir,
                    exc,
                )
        with MODEL_LOADING:
            return read_in_memory(resolve_model_file(self._model_file), self._adapter)

    def _loaded(self) -> tuple[BatchScheduler, ChatTokenizer]:
        # Only reading the GGUF file with transformers takes the shared loading lock: a
        # converted model loads with torch alone, alongside the other models.
        with self._lock:
            if self._parts is None:
                self._parts = self._load()
            return self._parts

    def _load(self) -> tuple[BatchScheduler, ChatTokenizer]:
        import torch

        from assistant.generation.batch_model import TorchBatch
        from assistant.generation.kv_cache import reserved_cache
        from assistant.generation.weight_layout import use_input_major_layout

        torch.set_num_threads(self._threads)
        tokenizer, model = self._read_model()
        if self._int8:
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
        else:
            use_input_major_layout(model)
        # Only names the vocabulary has: others would map to its unknown token, which is no stop.
        # A new turn's opening marker ends the answer too: an answer never contains one, and a
        # model that skips the end-of-turn marker goes on to invent the next turns after it.
        stops = {tokenizer.eos_token_id, *(tokenizer.token_id(name) for name in TURN_MARKERS)}
        decoding = GreedyDecoding(
            stop_ids=frozenset(int(i) for i in stops if i is not None and i >= 0),
            stop_text=tokenizer.stop_text,
            lookup_tokens=self._lookup_tokens,
            prefill_threads=self._prefill_threads,
            decode_threads=self._threads,
        )
        batch = TorchBatch(
            model,
            new_cache=reserved_cache,
            prefill_threads=self._prefill_threads,
            decode_threads=self._threads,
            prefill_bf16=self._prefill_bf16,
        )
        scheduler = BatchScheduler(
            batch,
            tokenizer.decode,
            decoding,
            batch_size=self._batch_size,
            queue_length=self._queue_length,
        )
        return scheduler, tokenizer

    def stream(
        self, prompt_messages: Sequence[ChatMessage], *, max_new_tokens: int
    ) -> Iterator[GeneratedToken | Queued]:
        if max_new_tokens <= 0:
            raise ValueError("max_new_tokens must be positive")
        scheduler, tokenizer = self._loaded()
        yield from scheduler.stream(tokenizer.encode_chat(prompt_messages), max_new_tokens)
