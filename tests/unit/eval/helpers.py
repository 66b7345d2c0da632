"""Tiny hand-made masks for the eval tests."""

from __future__ import annotations

import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch


def rect(shape, y0, x0, y1, x1) -> MaskPatch:
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return MaskPatch.from_full(m)


def inst(iid, cat, patch, score=None, crowd=False, **attrs) -> Instance:
    source = "manual" if score is None else "model"
    return Instance(iid, cat, patch, source, score, dict(attrs), crowd=crowd)
