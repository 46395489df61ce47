"""The answer model's network, a Llama decoder (or Qwen2, the same with biased attention
projections), written on torch alone.

SmolLM2 is a Llama model. transformers runs it too, but importing transformers' model code costs
seconds at every start (more than torch itself), which a user waits through before the first
token of a drafted answer. This module computes the same products as transformers' Llama with
its scaled-dot-product attention (checked by the tests): RMS norms, rotary positions, grouped
key/value heads and a gated SiLU feed-forward, the output layer tied to the token embedding when
the configuration says so. It reads the converted folder's ``config.json`` and
``model.safetensors`` (memory-mapped) and is called as transformers' causal models are, so the
decoding code works with either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional


class LayerCache(Protocol):
    """What attention needs of a key/value cache: store a pass's keys and values for a layer
    and return everything that layer holds; how long it is."""

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor]: ...

    def get_seq_length(self) -> int: ...


SUPPORTED_MODELS = ("llama", "qwen2")
"""transformers' names of the architectures this module computes (Qwen2 is Llama with biased
attention projections)."""


@dataclass(frozen=True)
class LlamaShape:
    """The sizes and constants of a Llama model, read from its ``config.json``; ``qkv_bias``
    and ``output_bias`` say whether the attention's projections add a bias (Qwen2 models add
    one to the query, key and value projections)."""

    vocab_size: int
    hidden_size: int
    intermediate_size: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    rms_eps: float
    rope_theta: float
    tied_embeddings: bool
    qkv_bias: bool = False
    output_bias: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LlamaShape:
        """The shape of a transformers ``LlamaConfig`` or ``Qwen2Config`` as a dict; other
        models are refused, as are what this module does not compute (rotary scalings, biased
        feed-forward layers, sliding-window attention)."""
        kind = config.get("model_type", "llama")
        if kind not in SUPPORTED_MODELS:
            raise ValueError(
                f"the answer model's runtime computes {' and '.join(SUPPORTED_MODELS)} models, "
                f"not {kind!r}"
            )
        if config.get("mlp_bias") or config.get("use_sliding_window"):
            raise ValueError("feed-forward biases and sliding-window attention are not supported")
        attention_bias = bool(config.get("attention_bias"))
        rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
        if rope.get("rope_type", "default") != "default":
            raise ValueError(f"rotary scaling {rope.get('rope_type')!r} is not supported")
        heads = int(config["num_attention_heads"])
        hidden = int(config["hidden_size"])
        return cls(
            vocab_size=int(config["vocab_size"]),
            hidden_size=hidden,
            intermediate_size=int(config["intermediate_size"]),
            layers=int(config["num_hidden_layers"]),
            heads=heads,
            kv_heads=int(config.get("num_key_value_heads") or heads),
            head_dim=int(config.get("head_dim") or hidden // heads),
            rms_eps=float(config.get("rms_norm_eps", 1e-6)),
            rope_theta=float(rope.get("rope_theta", config.get("rope_theta", 10000.0))),
            tied_embeddings=bool(config.get("tie_word_embeddings", False)),
            qkv_bias=kind == "qwen2" or attention_bias,
            output_bias=kind == "llama" and attention_bias,
        )


@dataclass(frozen=True)
class CausalOutput:
    """A pass's logits (batch, kept positions, vocabulary) and the cache it wrote into."""

    logits: torch.Tensor
    cache: LayerCache | None


class RMSNorm(nn.Module):
    def __init__(self, size: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        dtype = hidden.dtype
        wide = hidden.to(torch.float32)
        wide = wide * torch.rsqrt(wide.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * wide.to(dtype)


class Attention(nn.Module):
    def __init__(self, shape: LlamaShape, index: int) -> None:
        super().__init__()
        self.index = index
        self.heads, self.kv_heads, self.head_dim = shape.heads, shape.kv_heads, shape.head_dim
        queries, keys = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
        self.q_proj = nn.Linear(shape.hidden_size, queries, bias=shape.qkv_bias)
        self.k_proj = nn.Linear(shape.hidden_size, keys, bias=shape.qkv_bias)
        self.v_proj = nn.Linear(shape.hidden_size, keys, bias=shape.qkv_bias)
        self.o_proj = nn.Linear(queries, shape.hidden_size, bias=shape.output_bias)

    def forward(
        self,
        hidden: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor],
        mask: torch.Tensor | None,
        cache: LayerCache | None,
    ) -> torch.Tensor:
        rows, tokens, _ = hidden.shape

        def by_head(states: torch.Tensor, heads: int) -> torch.Tensor:
            return states.view(rows, tokens, heads, self.head_dim).transpose(1, 2)

        queries = by_head(self.q_proj(hidden), self.heads)
        keys = by_head(self.k_proj(hidden), self.kv_heads)
        values = by_head(self.v_proj(hidden), self.kv_heads)
        cos, sin = rotary
        queries, keys = _rotated(queries, cos, sin), _rotated(keys, cos, sin)
        if cache is not None:
            keys, values = cache.update(keys, values, self.index)
        attended = functional.scaled_dot_product_attention(
            queries,
            keys,
            values,
            attn_mask=mask,
            is_causal=mask is None and tokens > 1,
            scale=self.head_dim**-0.5,
            enable_gqa=self.kv_heads != self.heads,
        )
        merged = attended.transpose(1, 2).reshape(rows, tokens, self.heads * self.head_dim)
        return self.o_proj(merged)


class FeedForward(nn.Module):
    def __init__(self, shape: LlamaShape) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)
        self.up_proj = nn.Linear(shape.hidden_size, shape.intermediate_size, bias=False)
        self.down_proj = nn.Linear(shape.intermediate_size, shape.hidden_size, bias=False)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.down_proj(functional.silu(self.gate_proj(hidden)) * self.up_proj(hidden))


class DecoderLayer(nn.Module):
    def __init__(self, shape: LlamaShape, index: int) -> None:
        super().__init__()
        self.self_attn = Attention(shape, index)
        self.mlp = FeedForward(shape)
        self.input_layernorm = RMSNorm(shape.hidden_size, shape.rms_eps)
        self.post_attention_layernorm = RMSNorm(shape.hidden_size, shape.rms_eps)

    def forward(
        self,
        hidden: torch.Tensor,
        rotary: tuple[torch.Tensor, torch.Tensor],
        mask: torch.Tensor | None,
        cache: LayerCache | None,
    ) -> torch.Tensor:
        hidden = hidden + self.self_attn(self.input_layernorm(hidden), rotary, mask, cache)
        return hidden + self.mlp(self.post_attention_layernorm(hidden))


class LlamaBody(nn.Module):
    def __init__(self, shape: LlamaShape, *, initialise: bool) -> None:
        super().__init__()
        # Created empty: drawing a random embedding on the meta device imports torch's
        # compiler, which costs a start about a second.
        empty = torch.empty(shape.vocab_size, shape.hidden_size)
        self.embed_tokens = nn.Embedding(shape.vocab_size, shape.hidden_size, _weight=empty)
        if initialise:
            self.embed_tokens.reset_parameters()
        self.layers = nn.ModuleList(DecoderLayer(shape, i) for i in range(shape.layers))
        self.norm = RMSNorm(shape.hidden_size, shape.rms_eps)


class LlamaForCausalLM(nn.Module):
    """A Llama decoder with its output layer, for inference.

    Called like transformers' causal models: ``input_ids`` (rows, tokens); ``cache``, which the
    pass writes into; ``attention_mask``, either ``None`` (every row sees all its earlier tokens)
    or a boolean (rows, 1, 1, cached + 1) mask of what a one-token pass may see, to hide
    padding (or any boolean mask attention takes, for passes of several tokens);
    ``position_ids`` (rows, tokens), by default following the cache; ``logits_to_keep`` scores
    only the last positions. ``use_cache`` is accepted as transformers' models take it; a given
    cache is always written.
    """

    inv_freq: torch.Tensor

    def __init__(self, shape: LlamaShape, *, initialise: bool = True) -> None:
        """A model with random weights (``initialise``) or unset ones, to be assigned."""
        super().__init__()
        self.shape = shape
        self.model = LlamaBody(shape, initialise=initialise)
        self.lm_head = nn.Linear(shape.hidden_size, shape.vocab_size, bias=False)
        if shape.tied_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.register_buffer("inv_freq", _inverse_frequencies(shape), persistent=False)

    @classmethod
    def load(cls, folder: Path) -> LlamaForCausalLM:
        """The model saved in ``folder`` (``config.json``, ``model.safetensors``), its weights
        memory-mapped, in eval mode."""
        from safetensors.torch import load_file

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        return cls.from_weights(config, load_file(folder / "model.safetensors"))

    @classmethod
    def from_weights(
        cls, config: Mapping[str, Any], weights: Mapping[str, torch.Tensor]
    ) -> LlamaForCausalLM:
        """The model of a transformers Llama ``config`` (as a dict) with ``weights`` (its state
        dict, names as transformers gives them), in eval mode; every weight must be there."""
        with torch.device("meta"):
            model = cls(LlamaShape.from_config(config), initialise=False)
        expected = set(model.state_dict())
        given = dict(weights)
        if model.shape.tied_embeddings:
            given.pop("lm_head.weight", None)
            expected.discard("lm_head.weight")
        missing, unexpected = expected - set(given), set(given) - expected
        if missing or unexpected:
            raise ValueError(
                f"weights do not fit the model: missing {sorted(missing)[:3]}, "
                f"unexpected {sorted(unexpected)[:3]}"
            )
        model.load_state_dict(given, assign=True, strict=False)
        if model.shape.tied_embeddings:
            model.lm_head.weight = model.model.embed_tokens.weight
        return model.eval()

    def forward(
        self,
        input_ids: torch.Tensor,
        *,
        cache: LayerCache | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        logits_to_keep: int = 0,
        use_cache: bool = True,
    ) -> CausalOutput:
        rows, tokens = input_ids.shape
        cached = cache.get_seq_length() if cache is not None else 0
        if position_ids is None:
            position_ids = torch.arange(cached, cached + tokens)[None, :].expand(rows, tokens)
        mask = attention_mask
        if mask is None and cached and tokens > 1:
            # Several new tokens after cached ones: each sees the cache and the new ones up to
            # itself.
            seen = torch.arange(cached + tokens)[None, :] <= cached + torch.arange(tokens)[:, None]
            mask = seen[None, None, :, :]
        hidden = self.model.embed_tokens(input_ids)
        rotary = self._rotary(position_ids, hidden.dtype)
        for layer in self.model.layers:
            hidden = layer(hidden, rotary, mask, cache)
        hidden = self.model.norm(hidden)
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:, :]
        return CausalOutput(logits=self.lm_head(hidden), cache=cache)

    def _rotary(
        self, positions: torch.Tensor, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Cosines and sines of each position's rotary angles, computed in float32."""
        with torch.autocast("cpu", enabled=False):
            angles = positions[:, :, None].to(torch.float32) * self.inv_freq[None, None, :]
            doubled = torch.cat((angles, angles), dim=-1)
            cos, sin = doubled.cos()[:, None], doubled.sin()[:, None]
        return cos.to(dtype), sin.to(dtype)


def _inverse_frequencies(shape: LlamaShape) -> torch.Tensor:
    """The rotary angle per position of each pair of a head's dimensions, on the CPU even while
    the model is built on the meta device (whose arithmetic imports torch's compiler)."""
    dims = torch.arange(0, shape.head_dim, 2, dtype=torch.int64, device="cpu").to(torch.float32)
    return 1.0 / (shape.rope_theta ** (dims / shape.head_dim))


def _rotated(states: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = states.shape[-1] // 2
    turned = torch.cat((-states[..., half:], states[..., :half]), dim=-1)
    return states * cos + turned * sin
