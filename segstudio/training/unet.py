"""A compact U-Net for multi-class segmentation (the `semantic` template's network).

This module imports torch at the top: it is only ever imported from inside functions
(`templates.build_model`), so importing `segstudio.training` stays torch-free.
Static-shape friendly on purpose (fixed x2 up-sampling, no shape arithmetic) so the ONNX
export runs in OpenCV's `cv2.dnn` as well as onnxruntime.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class CompactUNet(nn.Module):
    """Encoder of `depth` stages (width doubling, capped at 8x), mirrored decoder with skips.

    Input: N x 3 x H x W normalised RGB, H and W multiples of 2**depth.  Output: N x C logits.
    """

    def __init__(self, num_classes: int, width: int = 16, depth: int = 4, in_channels: int = 3) -> None:
        super().__init__()
        chans = [width * min(2**i, 8) for i in range(depth + 1)]
        self.depth = depth
        self.encoder = nn.ModuleList()
        cin = in_channels
        for c in chans:
            self.encoder.append(_block(cin, c))
            cin = c
        self.decoder = nn.ModuleList()
        for i in range(depth, 0, -1):
            self.decoder.append(_block(chans[i] + chans[i - 1], chans[i - 1]))
        self.head = nn.Conv2d(chans[0], num_classes, 1)

    def encoder_parameters(self):
        return self.encoder.parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, stage in enumerate(self.encoder):
            x = stage(x)
            if i < self.depth:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for stage in self.decoder:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)
