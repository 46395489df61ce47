"""A key/value cache that writes each pass into room reserved ahead instead of re-copying.

A cache that concatenates every new token's keys and values onto what it holds (transformers'
``DynamicLayer``) copies the cache of every layer at each decoding pass: after a 1,000-token
prompt that is 30 layers × 1.5 MB per pass. This layer reserves room for ``HEADROOM`` more
tokens at a time and writes into it; a cut (rejected guesses, ``crop``) only moves the end, and
the next pass overwrites what was cut. The attention sees the same keys and values as with a
concatenating cache. ``KVCache`` has the methods of transformers' ``Cache`` that the decoding
code and the models call, without importing transformers.

For decoding several answers together, ``stacked`` puts the caches of several sequences into
one, each padded on the left to the longest (the padding is zeros, which the attention mask
hides), and ``kept_rows`` takes sequences out again and drops padding no sequence needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

HEADROOM = 256
"""Tokens of room reserved past the current end whenever the cache has to grow."""


class ReservedLayer:
    """One layer's keys and values, in buffers with room for more tokens."""

    def __init__(self) -> None:
        self.is_initialized = False
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        # A prompt read under bfloat16 autocast gives bfloat16 values beside fp32 keys (the
        # rotary embedding promotes them); both are kept in the wider type, so later passes,
        # in whatever precision, attend over one type.
        dtype = torch.promote_types(key_states.dtype, value_states.dtype)
        self._key_room = key_states.new_empty(
            (*key_states.shape[:2], 0, key_states.shape[-1]), dtype=dtype
        )
        self._value_room = value_states.new_empty(
            (*value_states.shape[:2], 0, value_states.shape[-1]), dtype=dtype
        )
        self._length = 0
        self._expose()
        self.is_initialized = True

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        end = self._length + key_states.shape[-2]
        if end > self._key_room.shape[-2]:
            self._key_room = _grown(self._key_room, self._length, end + HEADROOM)
            self._value_room = _grown(self._value_room, self._length, end + HEADROOM)
        self._key_room[..., self._length : end, :] = key_states
        self._value_room[..., self._length : end, :] = value_states
        self._length = end
        return self._expose()

    @classmethod
    def holding(cls, keys: torch.Tensor, values: torch.Tensor, length: int) -> ReservedLayer:
        """A layer whose buffers are ``keys`` and ``values``, the first ``length`` positions
        filled."""
        layer = cls()
        layer._key_room, layer._value_room, layer._length = keys, values, length
        layer._expose()
        layer.is_initialized = True
        return layer

    def get_seq_length(self) -> int:
        return self._length if self.is_initialized else 0

    def crop(self, tokens_to_remove: int) -> None:
        if tokens_to_remove > 0:
            raise ValueError("crop takes the negative number of tokens to remove")
        if tokens_to_remove == 0 or not self.is_initialized:
            return
        self._length = max(0, self._length + tokens_to_remove)
        self._expose()

    def _expose(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Point ``keys`` and ``values`` (what transformers reads) at the filled part."""
        keys = self._key_room[..., : self._length, :]
        values = self._value_room[..., : self._length, :]
        self.keys, self.values = keys, values
        return keys, values


def _grown(room: torch.Tensor, length: int, capacity: int) -> torch.Tensor:
    """A buffer of ``capacity`` tokens holding the first ``length`` tokens of ``room``."""
    bigger = room.new_empty((*room.shape[:2], capacity, room.shape[-1]))
    bigger[..., :length, :] = room[..., :length, :]
    return bigger


class KVCache:
    """The keys and values of every layer of a model, one ``ReservedLayer`` each, created as
    the model reaches them."""

    def __init__(self, layers: Sequence[ReservedLayer] = ()) -> None:
        self.layers = list(layers)

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, layer_idx: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store a pass's keys and values for layer ``layer_idx``; all that layer holds."""
        while len(self.layers) <= layer_idx:
            self.layers.append(ReservedLayer())
        return self.layers[layer_idx].update(key_states, value_states)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.layers[layer_idx].get_seq_length() if len(self.layers) > layer_idx else 0

    def crop(self, tokens_to_remove: int) -> None:
        """Drop the last ``-tokens_to_remove`` positions of every layer (a negative count, as
        transformers' caches take it)."""
        for layer in self.layers:
            layer.crop(tokens_to_remove)


def reserved_cache() -> KVCache:
    """An empty cache whose layers (created as the model reaches them) are ``ReservedLayer``."""
    return KVCache()


def stacked(caches: Sequence[KVCache]) -> KVCache:
    """One cache holding the rows of ``caches`` in order, each padded on the left with zeros to
    the longest, with room for ``HEADROOM`` more tokens. The caches are left as they were."""
    width = max(cache.get_seq_length() for cache in caches)
    layers: list[ReservedLayer] = []
    for index in range(len(caches[0].layers)):
        parts = [_filled(cache.layers[index]) for cache in caches]
        keys = _left_padded([part[0] for part in parts], width)
        values = _left_padded([part[1] for part in parts], width)
        layers.append(ReservedLayer.holding(keys, values, width))
    return KVCache(layers)


def kept_rows(cache: KVCache, rows: Sequence[int], drop: int = 0) -> KVCache:
    """A cache with only ``rows`` of ``cache``, in that order, less its first ``drop``
    positions (padding that no row kept needs any more)."""
    index = torch.tensor(list(rows), dtype=torch.long)
    layers: list[ReservedLayer] = []
    for layer in cache.layers:
        if not isinstance(layer, ReservedLayer):
            raise TypeError("only a cache of reserved layers can be cut into rows")
        length = layer.get_seq_length()
        keys = layer._key_room.index_select(0, index)[..., drop:, :]
        values = layer._value_room.index_select(0, index)[..., drop:, :]
        layers.append(ReservedLayer.holding(keys, values, length - drop))
    return KVCache(layers)


def _filled(layer: object) -> tuple[torch.Tensor, torch.Tensor]:
    """The keys and values a layer holds."""
    if not isinstance(layer, ReservedLayer):
        raise TypeError("only caches of reserved layers are stacked")
    return layer._expose()


def _left_padded(parts: Sequence[torch.Tensor], width: int) -> torch.Tensor:
    """``parts`` (rows, heads, tokens, size) stacked along their rows, each ending at ``width``
    in a zeroed buffer of ``width + HEADROOM`` tokens."""
    first = parts[0]
    rows = sum(part.shape[0] for part in parts)
    room = first.new_zeros((rows, first.shape[1], width + HEADROOM, first.shape[-1]))
    row = 0
    for part in parts:
        count, length = part.shape[0], part.shape[-2]
        room[row : row + count, :, width - length : width, :] = part
        row += count
    return room
