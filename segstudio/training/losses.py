"""Segmentation losses: cross-entropy, soft Dice and focal, each honouring IGNORE pixels.

Torch module: imported only inside functions.  Logits with one channel are binary
(sigmoid); with C >= 2 channels, multi-class (softmax).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F  # noqa: N812

from segstudio.training.transforms import IGNORE


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    valid = target != IGNORE
    if not valid.any():  # torch's mean over zero pixels is NaN
        return logits.sum() * 0.0
    if logits.shape[1] == 1:
        t = target.clamp(max=1).float()
        per = F.binary_cross_entropy_with_logits(logits[:, 0], t, reduction="none")
        if weight is not None:
            per = per * weight[target.clamp(max=1)]
        return per[valid].mean()
    return F.cross_entropy(logits, target.long(), weight=weight, ignore_index=IGNORE)


def focal(logits: torch.Tensor, target: torch.Tensor, gamma: float = 2.0, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy scaled by (1 - p_true)^gamma: hard pixels dominate (Lin et al. 2017)."""
    valid = target != IGNORE
    if not valid.any():
        return logits.sum() * 0.0
    t = torch.where(valid, target, torch.zeros_like(target)).long()
    if logits.shape[1] == 1:
        z = logits[:, 0]
        logp_true = torch.where(t == 1, F.logsigmoid(z), F.logsigmoid(-z))
    else:
        logp_true = F.log_softmax(logits, 1).gather(1, t[:, None])[:, 0]
    per = -((1 - logp_true.exp()).clamp(min=0) ** gamma) * logp_true
    if weight is not None:
        per = per * weight[t]
    return per[valid].mean()


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """N x C' x H x W -> N x C x H x W class probabilities (C = 2 for one binary channel)."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], 1)
    return torch.softmax(logits, 1)


def dice(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 - mean soft Dice over the classes present in the batch (absent classes would only add
    noise: their Dice is 1 when nothing is predicted and 0 for any false positive)."""
    p = probabilities(logits)
    c = p.shape[1]
    valid = (target != IGNORE)[:, None].float()
    onehot = F.one_hot(torch.where(target == IGNORE, torch.zeros_like(target), target).long(), c)
    onehot = onehot.permute(0, 3, 1, 2).float() * valid
    p = p * valid
    inter = (p * onehot).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + onehot.sum((0, 2, 3))
    per_class = 1 - (2 * inter + eps) / (denom + eps)
    present = onehot.sum((0, 2, 3)) > 0
    if not present.any():
        return logits.sum() * 0.0
    return per_class[present].mean()


def make_loss(name: str, weight: torch.Tensor | None = None, gamma: float = 2.0):
    """'ce', 'dice', 'focal', 'ce+dice' or 'focal+dice' -> loss(logits, target)."""
    parts = name.split("+")

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = logits.sum() * 0.0
        for part in parts:
            if part == "ce":
                total = total + cross_entropy(logits, target, weight)
            elif part == "focal":
                total = total + focal(logits, target, gamma, weight)
            elif part == "dice":
                total = total + dice(logits, target)
            else:
                raise ValueError(f"unknown loss {part!r}")
        return total

    return loss
