"""The transposed linear layers compute what the originals did, and only wide layers change."""

from __future__ import annotations

import pytest
import torch

from assistant.generation.weight_layout import InputMajorLinear, use_input_major_layout


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("keep_output_major", [True, False])
@pytest.mark.parametrize("shape", [(1, 1), (1, 5), (5, 1), (3, 2)])
def test_same_products_as_the_original_layer(
    bias: bool, keep_output_major: bool, shape: tuple[int, int]
) -> None:
    """Answers by tokens: one token, a guess of several, one token of each of several answers
    decoded together, and several of each."""
    torch.manual_seed(sum(shape))
    linear = torch.nn.Linear(6, 20, bias=bias)
    inputs = torch.randn(*shape, 6)
    replaced = InputMajorLinear(linear, keep_output_major=keep_output_major)
    with torch.inference_mode():
        assert replaced(inputs).shape == (*shape, 20)
        torch.testing.assert_close(replaced(inputs), linear(inputs))


class TinyModel(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(30, 4)
        self.up = torch.nn.Linear(4, 8)
        self.down = torch.nn.Linear(8, 4)
        self.square = torch.nn.Linear(4, 4)
        self.lm_head = torch.nn.Linear(4, 30, bias=False)
        self.lm_head.weight = self.embed.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        hidden = self.embed(ids)
        return self.lm_head(self.square(self.down(torch.relu(self.up(hidden)))))


def test_only_layers_with_more_outputs_than_inputs_are_replaced() -> None:
    torch.manual_seed(0)
    model = TinyModel()
    ids = torch.tensor([[3, 7, 1]])
    with torch.inference_mode():
        before = [model(ids), model(ids[:, :1])]
    assert use_input_major_layout(model) == 2
    assert isinstance(model.up, InputMajorLinear)
    assert isinstance(model.lm_head, InputMajorLinear)
    assert type(model.down) is torch.nn.Linear and type(model.square) is torch.nn.Linear
    # The output layer keeps the embedding's weight itself (no copy) for passes of many rows.
    assert model.lm_head.output_major is not None
    assert model.lm_head.output_major.data_ptr() == model.embed.weight.data_ptr()
    assert model.up.output_major is None
    with torch.inference_mode():
        torch.testing.assert_close(model(ids), before[0])
        torch.testing.assert_close(model(ids[:, :1]), before[1])
