"""Hypothesis strategies for masks with holes and several parts."""

import cv2
import numpy as np
from hypothesis import strategies as st


@st.composite
def masks(draw, max_side: int = 48, min_side: int = 1) -> np.ndarray:
    """Random boolean masks: unions of rectangles and ellipses minus some (holes), plus noise."""
    h = draw(st.integers(min_side, max_side))
    w = draw(st.integers(min_side, max_side))
    m = np.zeros((h, w), np.uint8)
    for _ in range(draw(st.integers(0, 5))):
        add = draw(st.booleans()) or not m.any()
        x0, y0 = draw(st.integers(0, w - 1)), draw(st.integers(0, h - 1))
        x1, y1 = draw(st.integers(x0, w - 1)), draw(st.integers(y0, h - 1))
        value = 1 if add else 0
        if draw(st.booleans()):
            m[y0 : y1 + 1, x0 : x1 + 1] = value
        else:
            center = ((x0 + x1) / 2, (y0 + y1) / 2)
            cv2.ellipse(m, (center, (max(1, x1 - x0), max(1, y1 - y0)), 0), value, -1)
    if draw(st.booleans()):
        seed = draw(st.integers(0, 2**31 - 1))
        noise = np.random.default_rng(seed).random((h, w)) < draw(st.floats(0.0, 0.3))
        m ^= noise.astype(np.uint8)
    return m.astype(bool)
