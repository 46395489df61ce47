"""Several answers decoded by one causal language model at once, in one forward pass per step.

Each sequence's prompt is read alone (with every core, as for a single answer) and its cache
then joins the batch's cache, padded on the left to the longest sequence (``kv_cache.stacked``).
A step feeds every sequence its last chosen token in one pass: an attention mask hides each
row's padding and each row gets its own positions, so a row scores as it would alone, up to the
rounding of products over several rows. A batch of one sequence has no padding and may feed
several tokens (a guess to check) and cut the rejected ones again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

import torch

from assistant.generation.kv_cache import KVCache, kept_rows, stacked


class TorchBatch:
    """The rows being decoded by ``model`` (a causal model called as transformers' are) and
    their cache.

    ``new_cache`` makes an empty cache of ``kv_cache.ReservedLayer`` layers. Prompts are read
    with ``prefill_threads``, and so are steps over several rows, whose products grow with the
    rows and scale with cores; a step of one row, which only streams the weights from memory,
    runs with ``decode_threads``. With ``prefill_bf16`` a prompt's matrix products are computed
    in bfloat16 (autocast): faster on CPUs with bfloat16 instructions, at a small change of the
    logits; the cache is kept in fp32 and steps run in the model's own precision.
    """

    def __init__(
        self,
        model: Any,
        *,
        new_cache: Callable[[], KVCache],
        prefill_threads: int,
        decode_threads: int,
        prefill_bf16: bool = False,
    ) -> None:
        self._model = model
        self._prefill_bf16 = prefill_bf16
        self._new_cache = new_cache
        self._prefill_threads = prefill_threads
        self._decode_threads = decode_threads
        self._cache: KVCache | None = None
        self._lengths: list[int] = []

    @property
    def model(self) -> Any:
        """The model the batch runs."""
        return self._model

    @property
    def rows(self) -> int:
        return len(self._lengths)

    def add(self, prompt: Sequence[int]) -> torch.Tensor:
        """Read ``prompt`` as a new last row; the log-probabilities of the token after it."""
        with torch.inference_mode():
            torch.set_num_threads(self._prefill_threads)
            precision = (
                torch.autocast("cpu", dtype=torch.bfloat16)
                if self._prefill_bf16
                else contextlib.nullcontext()
            )
            try:
                with precision:
                    output = self._model(
                        input_ids=torch.tensor([list(prompt)]),
                        cache=self._new_cache(),
                        use_cache=True,
                        logits_to_keep=1,
                    )
            finally:
                torch.set_num_threads(self._decode_threads)
            joined = output.cache if self._cache is None else stacked([self._cache, output.cache])
            self._cache = joined
            self._lengths.append(len(prompt))
            return torch.log_softmax(output.logits[0, -1].float(), dim=-1)

    def step(self, inputs: Sequence[Sequence[int]]) -> list[torch.Tensor]:
        """Feed ``inputs[i]`` to row ``i``; per row, the log-probabilities after each input.

        Rows of a batch of several take one token each; a batch of one may take several.
        """
        if self._cache is None or len(inputs) != self.rows:
            raise ValueError(f"{len(inputs)} inputs for {self.rows} rows")
        threads = self._decode_threads if self.rows == 1 else self._prefill_threads
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        with torch.inference_mode():
            if self.rows == 1:
                output = self._model(
                    input_ids=torch.tensor([list(inputs[0])]), cache=self._cache, use_cache=True
                )
                self._lengths[0] += len(inputs[0])
                return [torch.log_softmax(output.logits[0].float(), dim=-1)]
            if any(len(row) != 1 for row in inputs):
                raise ValueError("each row of a batch of several takes exactly one token")
            width = self._cache.get_seq_length()
            lengths = torch.tensor(self._lengths)
            padding = width - lengths
            # Row i sees its own tokens (after its padding) and the one fed now.
            visible = torch.arange(width + 1)[None, :] >= padding[:, None]
            output = self._model(
                input_ids=torch.tensor([list(row) for row in inputs]),
                attention_mask=visible[:, None, None, :],
                position_ids=lengths[:, None],
                cache=self._cache,
                use_cache=True,
            )
            self._lengths = [length + 1 for length in self._lengths]
            logprobs = torch.log_softmax(output.logits[:, -1].float(), dim=-1)
            return [row[None, :] for row in logprobs]

    def cut(self, tokens: int) -> None:
        """Forget the last ``tokens`` fed to the single row (a rejected guess)."""
        if self._cache is None or self.rows != 1:
            raise ValueError("only a batch of one row is cut")
        self._cache.crop(-tokens)
        self._lengths[0] -= tokens

    def keep(self, rows: Sequence[int]) -> None:
        """Keep only ``rows``, in that order, and drop the padding none of them needs."""
        if self._cache is None or list(rows) == list(range(self.rows)):
            return
        lengths = [self._lengths[row] for row in rows]
        if not lengths:
            self._cache, self._lengths = None, []
            return
        drop = self._cache.get_seq_length() - max(lengths)
        with torch.inference_mode():
            self._cache = kept_rows(self._cache, rows, drop)
        self._lengths = lengths
