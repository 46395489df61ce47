"""The reserved-room cache holds exactly what transformers' concatenating cache holds, through
growth past its room and cuts; caches of several sequences stack into one and come apart."""

from __future__ import annotations

import pytest
import torch
from transformers.cache_utils import DynamicLayer

from assistant.generation.kv_cache import (
    HEADROOM,
    KVCache,
    ReservedLayer,
    kept_rows,
    reserved_cache,
    stacked,
)


def states(tokens: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    shape = (1, 3, tokens, 4)
    return torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)


def stored(layer: DynamicLayer | ReservedLayer) -> tuple[torch.Tensor, torch.Tensor]:
    """What the layer holds now, as transformers' attention reads it."""
    assert layer.keys is not None and layer.values is not None
    return layer.keys, layer.values


# (tokens added, tokens cut afterwards) per pass: a prompt, guesses partly rejected, and enough
# passes to outgrow the first reserved room.
PASSES = [(7, 0), (5, 3), (1, 0), (5, 4), (HEADROOM, 10), (3, 0), (HEADROOM + 9, 2), (1, 0)]


def test_same_keys_and_values_as_the_concatenating_cache() -> None:
    reserved, reference = ReservedLayer(), DynamicLayer()
    for step, (added, cut) in enumerate(PASSES):
        keys, values = states(added, step)
        got = reserved.update(keys, values)
        expected = reference.update(keys, values)
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
        reserved.crop(-cut)
        reference.crop(-cut)
        assert reserved.get_seq_length() == reference.get_seq_length()
        assert torch.equal(stored(reserved)[0], stored(reference)[0])
        assert torch.equal(stored(reserved)[1], stored(reference)[1])


def test_a_cut_then_a_write_overwrites_the_cut_tokens() -> None:
    layer = ReservedLayer()
    layer.update(*states(4, 0))
    layer.crop(-2)
    new_keys, new_values = states(1, 1)
    keys, values = layer.update(new_keys, new_values)
    assert keys.shape[-2] == 3
    assert torch.equal(keys[..., 2:, :], new_keys) and torch.equal(values[..., 2:, :], new_values)


def test_growing_keeps_room_ahead() -> None:
    layer = ReservedLayer()
    layer.update(*states(10, 0))
    buffer = stored(layer)[0].untyped_storage().data_ptr()
    for step in range(HEADROOM):
        layer.update(*states(1, step + 1))
    assert layer.get_seq_length() == 10 + HEADROOM
    assert stored(layer)[0].untyped_storage().data_ptr() == buffer  # written in place, no copy


def test_positive_crop_is_refused() -> None:
    layer = ReservedLayer()
    layer.update(*states(2, 0))
    with pytest.raises(ValueError):
        layer.crop(1)


def test_the_cache_makes_reserved_layers_as_the_model_reaches_them() -> None:
    cache = reserved_cache()
    for layer_index in range(3):
        cache.update(*states(4, layer_index), layer_idx=layer_index)
    assert len(cache.layers) == 3
    assert all(isinstance(layer, ReservedLayer) for layer in cache.layers)
    assert cache.get_seq_length() == 4
    cache.crop(-1)
    assert cache.get_seq_length() == 3


def filled(tokens: int, seed: int) -> KVCache:
    cache = reserved_cache()
    for layer_index in range(2):
        cache.update(*states(tokens, seed + layer_index), layer_index)
    return cache


def held(cache: KVCache, index: int) -> tuple[torch.Tensor, torch.Tensor]:
    layer = cache.layers[index]
    assert isinstance(layer, ReservedLayer)
    return stored(layer)


def test_stacked_rows_are_padded_on_the_left_and_kept_rows_drop_unneeded_padding() -> None:
    short, long = filled(3, 0), filled(5, 10)
    both = stacked([short, long])
    assert both.get_seq_length() == 5
    for index in range(2):
        keys, _ = held(both, index)
        assert torch.equal(keys[0, :, :2], torch.zeros_like(keys[0, :, :2]))
        assert torch.equal(keys[0:1, :, 2:], held(short, index)[0])
        assert torch.equal(keys[1:2], held(long, index)[0])
    alone = kept_rows(both, [0], drop=2)
    assert alone.get_seq_length() == 3
    assert torch.equal(held(alone, 1)[1], held(short, 1)[1])
    # the kept row writes on into its own room; the stacked cache is not touched
    extra = states(1, 99)
    alone.update(*extra, 0)
    assert torch.equal(held(alone, 0)[0][..., -1:, :], extra[0])
    assert both.get_seq_length() == 5


def test_bfloat16_values_beside_fp32_keys_are_kept_in_fp32() -> None:
    layer = ReservedLayer()
    keys, values = states(5, 1)
    got_keys, got_values = layer.update(keys, values.to(torch.bfloat16))
    assert got_keys.dtype == got_values.dtype == torch.float32
    assert torch.equal(got_values, values.to(torch.bfloat16).float())
    more_keys, more_values = states(1, 2)
    _, after = layer.update(more_keys, more_values)
    assert after.dtype == torch.float32 and torch.equal(after[..., -1:, :], more_values)
