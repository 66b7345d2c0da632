"""The learned click model's network: U²-Netp with six input planes (RGB, previous mask,
positive and negative click disks; see click_geometry) and logits out.

It starts from the built-in U²-Netp salient-object weights: the three extra input planes get
zero weights, so before training the network is exactly the saliency model looking at the view,
and training teaches it to follow the clicks and the previous mask (RITM's "conv1s" fusion at the
first layer, in its simplest form).  Batch norm stays frozen: the built-in weights carry it
folded into the convolutions.

torch is imported lazily (inside functions), as in u2net.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from segstudio.inference.click_geometry import IN_CHANNELS

WEIGHTS_NAME = "clicknet.pt"
BUILTIN_CLICK_WEIGHTS = Path(__file__).resolve().parent.parent / "resources" / "models" / WEIGHTS_NAME
FORMAT = "segstudio-clicknet-1"


def _click_net_class() -> Any:
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import torch
    from torch import nn
    from torch.nn import functional as F  # noqa: N812

    from segstudio.inference.u2net import build_u2netp, freeze_batchnorm

    class ClickNet(nn.Module):
        """eval: N x 1 x S x S logits; train: [fused, side1..side6] logits (deep supervision).

        The RGB planes go through U²-Netp as they are; the three prompt planes (previous mask,
        positive and negative clicks) through convolutions of their own whose output is added
        to U²-Netp's first convolution (RITM's "conv1s") and, max-pooled, to the inputs of the
        next three encoder stages (1/2, 1/4, 1/8 resolution), so coarse stages see the clicks
        without waiting for the signal to travel up a long pretrained path: with a CPU budget
        of a few thousand training objects that matters.  They start at zero, so the untrained
        network is the saliency model."""

        def __init__(self) -> None:
            super().__init__()
            self.body = build_u2netp(in_ch=3)
            first = self.body.en1.conv_in.conv
            n = IN_CHANNELS - 3
            self.maps_conv = nn.Conv2d(n, first.out_channels, 3, padding=1, bias=False)
            stages = (self.body.en2, self.body.en3, self.body.en4)
            self.stage_convs = nn.ModuleList(
                nn.Conv2d(n, st.conv_in.conv.in_channels, 3, padding=1, bias=False) for st in stages
            )
            for conv in (self.maps_conv, *self.stage_convs):
                nn.init.zeros_(conv.weight)
            self._maps: list[torch.Tensor] = []  # full, 1/2, 1/4, 1/8 resolution
            first.register_forward_hook(self._add_maps)
            for k, (st, conv) in enumerate(zip(stages, self.stage_convs), 1):
                st.register_forward_pre_hook(self._stage_hook(conv, k))

        def _add_maps(self, _module, _inp, out: torch.Tensor) -> torch.Tensor:
            return out + self.maps_conv(self._maps[0])

        def _stage_hook(self, conv: nn.Conv2d, level: int):
            def hook(_module, args):
                (h,) = args
                return (h + conv(self._maps[level]),)

            return hook

        def train(self, mode: bool = True) -> ClickNet:
            super().train(mode)
            freeze_batchnorm(self.body)
            return self

        def forward(self, x: torch.Tensor) -> Any:
            # the prompt planes pooled exactly as U²-Netp pools between its stages
            self._maps = [x[:, 3:]]
            for _ in range(3):
                self._maps.append(F.max_pool2d(self._maps[-1], 2, stride=2, ceil_mode=True))
            try:
                maps = self.body.forward_logits(x[:, :3])
            finally:
                self._maps = []
            return maps if self.training else maps[0]

        def prompt_parameters(self) -> list[nn.Parameter]:
            return [*self.maps_conv.parameters(), *self.stage_convs.parameters()]

    _CLASS = ClickNet
    return ClickNet


_CLASS: Any = None


def build_click_net(from_saliency: bool = True) -> Any:
    """A ClickNet; `from_saliency` starts the body from the built-in U²-Netp weights."""
    import torch

    net = _click_net_class()()
    if from_saliency:
        from segstudio.inference.u2net import BUILTIN_WEIGHTS

        state = torch.load(BUILTIN_WEIGHTS, map_location="cpu", weights_only=True)
        net.body.load_state_dict(state)
    return net.eval()


def save_click_net(net: Any, path: str | Path, meta: dict[str, Any] | None = None) -> Path:
    """Weights as a plain state dict (loadable with weights_only=True) plus a format tag."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"format": FORMAT, "state_dict": net.state_dict(), "meta": meta or {}}, tmp)
    tmp.replace(path)
    return path


def load_click_net(path: str | Path) -> Any:
    """A ClickNet with weights from `path`, in eval mode; a clear error names a wrong file."""
    from segstudio.inference.runtime import torch_weights

    blob = torch_weights(path, "click-model weights")
    if isinstance(blob, dict) and "model" in blob and isinstance(blob["model"], dict):
        blob = {"format": FORMAT, "state_dict": blob["model"]}  # a training checkpoint
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise ValueError(f"{path}: not SegStudio click-model weights (format tag {FORMAT!r} missing)")
    net = _click_net_class()()
    try:
        net.load_state_dict(blob["state_dict"])
    except Exception as exc:
        raise ValueError(f"{path}: weights do not fit the click network ({exc})") from exc
    return net.eval()


def export_onnx(net: Any, path: Path) -> Path:
    """ONNX export (opset 17, dynamic batch) of the eval-mode network for onnxruntime."""
    from segstudio.inference.click_geometry import VIEW
    from segstudio.inference.runtime import export_onnx as export

    return export(net, (1, IN_CHANNELS, VIEW, VIEW), path, "input", "logits")
