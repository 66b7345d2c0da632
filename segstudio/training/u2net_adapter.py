"""U²-Netp (`segstudio.inference.u2net`) adapted for training: logits out, not
sigmoids, deep supervision in training mode, batch norm kept frozen.

Torch module: imported only inside functions.  The network's own forward ends in sigmoid;
saturated sigmoids have zero gradient, so we read the pre-sigmoid maps with forward hooks
on the fuse and side convolutions instead of inverting the sigmoid.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class U2NetLogits(nn.Module):
    """Wraps a U²-Netp: eval -> N x C x H x W logits; train -> [fused, side1..side6] logits."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self._fused: torch.Tensor | None = None
        self._sides: list[torch.Tensor | None] = [None] * len(net.side)
        net.fuse.register_forward_hook(self._keep_fused)
        for i, conv in enumerate(net.side):
            conv.register_forward_hook(self._keeper(i))

    def _keep_fused(self, _m, _inp, out) -> None:
        self._fused = out

    def _keeper(self, i: int):
        def hook(_m, _inp, out) -> None:
            self._sides[i] = out

        return hook

    def train(self, mode: bool = True) -> U2NetLogits:
        super().train(mode)
        from segstudio.inference.u2net import freeze_batchnorm

        # The built-in weights carry batch norm folded into the convolutions (identity BN):
        # batch statistics of small batches would destroy them.
        freeze_batchnorm(self.net)
        return self

    def encoder_parameters(self):
        for name in ("en1", "en2", "en3", "en4", "en5", "en6"):
            yield from getattr(self.net, name).parameters()

    def forward(self, x: torch.Tensor) -> Any:
        self.net(x)
        fused = self._fused
        assert fused is not None
        if not self.training:
            return fused
        size = fused.shape[2:]
        sides = [s if s.shape[2:] == size else F.interpolate(s, size=size, mode="bilinear", align_corners=False)
                 for s in self._sides if s is not None]
        return [fused, *sides]


def build_foreground_net(pretrained: bool = True, num_outputs: int = 1) -> U2NetLogits:
    """U²-Netp from the built-in weights (or random); with num_outputs > 1 the side and fuse
    heads are new (multi-class) and the rest keeps the pretrained weights."""
    from segstudio.inference import u2net

    net = u2net.build_u2netp(out_ch=num_outputs)
    if pretrained:
        from segstudio.training.templates import TemplateError

        if not u2net.BUILTIN_WEIGHTS.is_file():
            raise TemplateError(f"{u2net.BUILTIN_WEIGHTS}: built-in U\u00b2-Netp weights not found")
        state = torch.load(u2net.BUILTIN_WEIGHTS, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        own = net.state_dict()
        fitting = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        net.load_state_dict(fitting, strict=False)
    return U2NetLogits(net)
