"""Linear layers stored in the layout that streams fastest through a one-token decoding pass.

Decoding one token multiplies a single row by every weight matrix, so its time is the time to
read the weights from memory. MKL reads a matrix faster when its stored rows are long: for a
layer with more outputs than inputs (SmolLM2's gate and up projections, 576 to 1,536, and its
output layer, 576 to 49,152) a copy stored one row per input is read faster than transformers'
one row per output (timings in docs/generation.md). Layers with as many or fewer outputs are
already stored that way and are left alone. The products are the same up to floating-point
rounding, as no weight changes.
"""

from __future__ import annotations

import torch


class InputMajorLinear(torch.nn.Module):
    """A linear layer whose weight is stored transposed, one row per input feature.

    With ``keep_output_major`` the original weight is kept as well and serves passes of several
    rows, where MKL's matrix product prefers it; the output layer shares that weight with the
    token embedding, so keeping it is free.
    """

    def __init__(self, linear: torch.nn.Linear, *, keep_output_major: bool = False) -> None:
        super().__init__()
        weight = linear.weight.detach()
        self.weight_by_input = torch.nn.Parameter(weight.t().contiguous(), requires_grad=False)
        self.output_major = (
            torch.nn.Parameter(weight, requires_grad=False) if keep_output_major else None
        )
        self.bias = None if linear.bias is None else torch.nn.Parameter(linear.bias.detach(), False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        # Rows of a pass: several tokens of one answer, or one token of each of several, all
        # multiplied in one product (not one per answer, which would read the weight each time).
        if self.output_major is not None and inputs.numel() > inputs.shape[-1]:
            rows = inputs.reshape(-1, inputs.shape[-1])
            product = (self.output_major @ rows.t()).t().reshape(*inputs.shape[:-1], -1)
        else:
            product = inputs @ self.weight_by_input
        return product if self.bias is None else product + self.bias


def use_input_major_layout(model: torch.nn.Module, *, output_layer: str = "lm_head") -> int:
    """Replace every linear layer of ``model`` with more outputs than inputs by an
    ``InputMajorLinear``, in place, and return how many were replaced.

    ``output_layer`` names the final projection to the vocabulary, which keeps its original
    weight too (see ``InputMajorLinear``). Meant for inference only: the replaced layers do not
    train.
    """
    replaced = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and child.out_features > child.in_features:
                keep = name == output_layer
                setattr(parent, name, InputMajorLinear(child, keep_output_major=keep))
                replaced += 1
    return replaced
