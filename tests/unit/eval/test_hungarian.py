import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segstudio.eval.hungarian import linear_sum_assignment


def brute_force(cost: np.ndarray) -> float:
    n, m = cost.shape
    if n <= m:
        return min(sum(cost[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
    return brute_force(cost.T)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 10_000))
def test_matches_brute_force(n, m, seed):
    cost = np.random.default_rng(seed).integers(0, 20, size=(n, m)).astype(float)
    rows, cols = linear_sum_assignment(cost)
    assert len(rows) == min(n, m)
    assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
    assert cost[rows, cols].sum() == pytest.approx(brute_force(cost))


def test_maximize_and_known_answer():
    weight = np.array([[0.9, 0.6], [0.6, 0.0]])
    rows, cols = linear_sum_assignment(weight, maximize=True)
    assert (rows.tolist(), cols.tolist()) == ([0, 1], [1, 0])  # 1.2 beats the greedy 0.9


def test_empty_and_bad_input():
    r, c = linear_sum_assignment(np.zeros((0, 3)))
    assert r.size == 0 and c.size == 0
    with pytest.raises(ValueError):
        linear_sum_assignment(np.array([[np.inf, 1.0]]))
    with pytest.raises(ValueError):
        linear_sum_assignment(np.zeros(3))
