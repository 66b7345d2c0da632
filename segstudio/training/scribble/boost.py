"""Gradient-boosted oblivious trees for multi-class pixel classification (numpy only).

Oblivious trees (one feature/threshold per *level*, as in CatBoost) make prediction a few
contiguous comparisons per tree: the leaf index is the bit pattern of `depth` tests, so a
megapixel is classified in well under a second without per-node gathers.  Training uses
quantile bins (histogram gradient boosting) and Newton steps on the softmax loss, with
class-balanced sample weights because scribbles are rarely balanced.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


class BoostError(ValueError):
    """Bad training data or a malformed saved classifier; the message says which."""


@dataclass
class BoostParams:
    trees: int = 40
    depth: int = 5
    learning_rate: float = 0.3
    l2: float = 1.0
    bins: int = 32
    max_samples: int = 6000  # per tree, class-balanced subsample of the scribbled pixels
    feature_fraction: float = 0.7
    seed: int = 0


@dataclass
class BoostedTrees:
    """`features[t, j]`, `thresholds[t, j]`: test of level j of tree t (x > threshold);
    `leaves[t]`: 2**depth x K values added to the raw class scores."""

    num_classes: int
    base: np.ndarray  # K
    features: np.ndarray  # T x D int32
    thresholds: np.ndarray  # T x D float32
    leaves: np.ndarray  # T x 2**D x K float32
    params: BoostParams = field(default_factory=BoostParams)

    # ----------------------------------------------------------------- training
    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, num_classes: int | None = None,
            params: BoostParams | None = None) -> BoostedTrees:
        """x: n x F float32 samples, y: n class indices 0..K-1."""
        p = params or BoostParams()
        x = np.asarray(x, np.float32)
        y = np.asarray(y, np.int64)
        if x.ndim != 2 or len(x) != len(y) or len(y) == 0:
            raise BoostError(f"need n x F samples and n labels, got {x.shape} and {y.shape}")
        if not np.isfinite(x).all():
            raise BoostError("features contain NaN or infinity")
        k = int(num_classes if num_classes is not None else y.max() + 1)
        if y.min() < 0 or y.max() >= k:
            raise BoostError(f"labels must lie in 0..{k - 1}")
        present = np.bincount(y, minlength=k)
        if (present > 0).sum() < 2:
            raise BoostError("scribble at least two classes")
        rng = np.random.default_rng(p.seed)
        n, nf = x.shape
        edges = _bin_edges(x, p.bins)
        xb = np.empty((n, nf), np.uint8)
        for f in range(nf):
            xb[:, f] = np.searchsorted(edges[f], x[:, f], side="left")
        # class-balanced weights: each present class weighs the same in total
        cw = np.where(present > 0, n / np.maximum(present * (present > 0).sum(), 1), 0.0)
        w_all = cw[y]
        # balanced classes start equal; classes nobody scribbled start (and stay) unlikely
        prior = np.where(present > 0, 0.0, -20.0)
        raw = np.tile(prior.astype(np.float64), (n, 1))
        onehot = np.eye(k)[y]
        feats = np.zeros((p.trees, p.depth), np.int32)
        thr = np.zeros((p.trees, p.depth), np.float32)
        leaves = np.zeros((p.trees, 2**p.depth, k), np.float32)
        nb = p.bins
        for t in range(p.trees):
            rows = _balanced_rows(y, k, p.max_samples, rng)
            cols = np.sort(rng.choice(nf, max(1, int(round(nf * p.feature_fraction))), replace=False))
            e = np.exp(raw[rows] - raw[rows].max(1, keepdims=True))
            prob = e / e.sum(1, keepdims=True)
            w = w_all[rows][:, None]
            g = (prob - onehot[rows]) * w
            h = np.maximum(prob * (1 - prob), 1e-6) * w
            xr = xb[np.ix_(rows, cols)]
            leaf = np.zeros(len(rows), np.int64)
            for level in range(p.depth):
                nleaf = 2**level
                base_idx = (leaf[:, None] * len(cols) + np.arange(len(cols))[None]) * nb + xr
                size = nleaf * len(cols) * nb
                gh = np.empty((2, k, nleaf, len(cols), nb))
                flat = base_idx.ravel()
                for c in range(k):
                    gh[0, c] = np.bincount(flat, np.repeat(g[:, c], len(cols)), size).reshape(nleaf, len(cols), nb)
                    gh[1, c] = np.bincount(flat, np.repeat(h[:, c], len(cols)), size).reshape(nleaf, len(cols), nb)
                left = np.cumsum(gh, axis=-1)[..., :-1]  # x <= edge[b]: bins 0..b
                total = gh.sum(-1, keepdims=True)
                right = total - left
                gain = (left[0] ** 2 / (left[1] + p.l2) + right[0] ** 2 / (right[1] + p.l2)).sum((0, 1))
                # splits with an empty side on every leaf are useless; gain handles it (0 + total)
                # ties are common (scribbles are easy to separate): pick among the tied
                # features at random, so the ensemble draws on colour, texture and edges alike
                top = float(gain.max())
                tied = np.flatnonzero((gain >= top - 1e-9 * max(1.0, abs(top))).any(1))
                fi = int(tied[rng.integers(len(tied))]) if len(tied) > 1 else int(np.argmax(gain.max(1)))
                b = int(np.argmax(gain[fi]))
                f = int(cols[fi])
                feats[t, level] = f
                thr[t, level] = _centred_threshold(gain[fi], b, edges[f], x[rows, f])
                leaf = leaf * 2 + (xr[:, fi] > b)
            gl = np.zeros((2**p.depth, k))
            hl = np.zeros((2**p.depth, k))
            for c in range(k):
                gl[:, c] = np.bincount(leaf, g[:, c], 2**p.depth)
                hl[:, c] = np.bincount(leaf, h[:, c], 2**p.depth)
            values = -(gl / (hl + p.l2)) * p.learning_rate * (k - 1) / k
            leaves[t] = values.astype(np.float32)
            # update every sample's raw score with this tree (exact float thresholds)
            raw += leaves[t][_leaf_index(x, feats[t], thr[t])]
        return cls(k, prior.astype(np.float32), feats, thr, leaves, p)

    # ----------------------------------------------------------------- prediction
    def raw_scores(self, planes: np.ndarray, threads: int | None = None, chunk: int = 1 << 16) -> np.ndarray:
        """planes: F x N float32 (feature-major) -> K x N raw scores (threads split the rows;
        numpy releases the GIL in the comparisons and takes)."""
        planes = np.asarray(planes, np.float32)
        n = planes.shape[1]
        k = self.num_classes
        out = np.empty((k, n), np.float32)
        threads = threads or min(2, os.cpu_count() or 1)
        starts = list(range(0, n, chunk))
        leaves_t = [np.ascontiguousarray(lv.T) for lv in self.leaves]  # per tree: K x 2**D

        def work(s: int) -> None:
            xs = planes[:, s : s + chunk]
            acc = out[:, s : s + chunk]
            acc[:] = self.base[:, None]
            for t in range(len(self.features)):
                leaf = _leaf_index_planar(xs, self.features[t], self.thresholds[t])
                lv = leaves_t[t]
                for c in range(k):
                    acc[c] += lv[c].take(leaf)

        if threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(work, starts))
        else:
            for s in starts:
                work(s)
        return out

    def predict_proba(self, planes: np.ndarray, threads: int | None = None) -> np.ndarray:
        """F x N -> K x N class probabilities (softmax of the raw scores)."""
        raw = self.raw_scores(planes, threads)
        raw -= raw.max(0, keepdims=True)
        np.exp(raw, out=raw)
        raw /= raw.sum(0, keepdims=True)
        return raw

    # ----------------------------------------------------------------- persistence (no pickle)
    def save(self, path: str | Path) -> None:
        p = self.params
        tmp = Path(str(path) + ".tmp.npz")
        np.savez_compressed(
            tmp, num_classes=np.int64(self.num_classes), base=self.base, features=self.features,
            thresholds=self.thresholds, leaves=self.leaves,
            params=np.array([p.trees, p.depth, p.learning_rate, p.l2, p.bins, p.max_samples,
                             p.feature_fraction, p.seed], np.float64),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> BoostedTrees:
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                k = int(z["num_classes"])
                base, feats, thr, leaves = z["base"], z["features"], z["thresholds"], z["leaves"]
                pv = z["params"]
        except FileNotFoundError:
            raise BoostError(f"{path}: classifier file not found") from None
        except (OSError, ValueError, KeyError) as e:
            raise BoostError(f"{path}: not a saved scribble classifier ({e})") from None
        t, d = feats.shape if feats.ndim == 2 else (-1, -1)
        if base.shape != (k,) or thr.shape != (t, d) or leaves.shape != (t, 2**d, k) or feats.min(initial=0) < 0:
            raise BoostError(f"{path}: inconsistent classifier arrays")
        params = BoostParams(int(pv[0]), int(pv[1]), float(pv[2]), float(pv[3]), int(pv[4]),
                             int(pv[5]), float(pv[6]), int(pv[7]))
        return cls(k, base.astype(np.float32), feats.astype(np.int32), thr.astype(np.float32),
                   leaves.astype(np.float32), params)


def _bin_edges(x: np.ndarray, bins: int) -> list[np.ndarray]:
    """Per feature, up to bins-1 distinct quantile thresholds (bin b: edge[b-1] < x <= edge[b])."""
    qs = np.linspace(0, 1, bins + 1)[1:-1]
    return [np.unique(np.quantile(x[:, f], qs).astype(np.float32)) for f in range(x.shape[1])]


def _centred_threshold(gain_row: np.ndarray, b: int, edges: np.ndarray, values: np.ndarray) -> np.float32:
    """Scribbles leave wide gaps between classes, so the best split is rarely unique: put the
    threshold in the middle of the empty gap around it (the widest margin, as a 1-D SVM
    would) instead of on the edge hugging one class's samples.  The training partition is
    unchanged: no sample lies inside the gap."""
    if b >= len(edges):
        return np.float32(np.inf)
    best = gain_row[b]
    tol = 1e-9 * max(1.0, abs(float(best)))
    hi = b
    while hi + 1 < min(len(gain_row), len(edges)) and abs(gain_row[hi + 1] - best) <= tol:
        hi += 1
    below = values[values <= edges[b]]
    above = values[values > edges[hi]]
    if len(below) == 0 or len(above) == 0:
        return np.float32(edges[b])
    return np.float32((float(below.max()) + float(above.min())) / 2)


def _balanced_rows(y: np.ndarray, k: int, max_samples: int, rng: np.random.Generator) -> np.ndarray:
    if len(y) <= max_samples:
        return np.arange(len(y))
    per = max(1, max_samples // k)
    rows = []
    for c in range(k):
        idx = np.flatnonzero(y == c)
        if len(idx):
            rows.append(rng.choice(idx, min(per, len(idx)), replace=False))
    return np.sort(np.concatenate(rows))


def _leaf_index(x: np.ndarray, feats: np.ndarray, thr: np.ndarray) -> np.ndarray:
    leaf = np.zeros(len(x), np.int64)
    for f, t in zip(feats, thr):
        leaf = leaf * 2 + (x[:, f] > t)
    return leaf


def _leaf_index_planar(planes: np.ndarray, feats: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """The same bit pattern, on contiguous feature rows (uint8 arithmetic, in place)."""
    leaf = (planes[feats[0]] > thr[0]).astype(np.uint8)
    for f, t in zip(feats[1:], thr[1:]):
        leaf <<= 1
        leaf |= planes[f] > t
    return leaf
