"""The one cache: bounded by bytes, least recently used out first, a floor of recent items."""

from __future__ import annotations

import numpy as np

from segstudio.core.lru import ByteLRU


def _kb(n: int) -> np.ndarray:
    return np.zeros(n * 1000, np.uint8)


def test_bounded_by_bytes_least_recent_out_first():
    c: ByteLRU[str, np.ndarray] = ByteLRU(3000)
    for k in "abc":
        c.put(k, _kb(1))
    assert c.get("a") is not None  # now the most recent
    c.put("d", _kb(1))
    assert c.keys() == ["c", "a", "d"] and c.nbytes == 3000
    assert c.get("b") is None and (c.hits, c.misses) == (1, 1)
    c.put("big", _kb(4))  # larger than the bound: not kept
    assert "big" not in c and c.nbytes == 3000
    assert c.pop("a") is not None and c.nbytes == 2000
    c.clear()
    assert len(c) == 0 and c.nbytes == 0


def test_a_floor_of_recent_items_and_a_custom_size():
    c: ByteLRU[int, bytes] = ByteLRU(10, min_items=2, size_of=len)
    c.put(1, b"x" * 8)
    c.put(2, b"y" * 20)  # alone over the bound, kept: the two most recent stay
    assert c.keys() == [1, 2]
    c.put(3, b"z")
    assert c.keys() == [2, 3]
    assert ByteLRU(0).max_bytes == 0
    nothing: ByteLRU[int, np.ndarray] = ByteLRU(0)
    nothing.put(1, _kb(1))
    assert len(nothing) == 0
