"""The compiled polygon kernels (`io.polygon_jit`, numba) give exactly what the numpy code and
Python give: values as `float()` reads them, their `repr`s, pycocotools' masks as the store's
box RLE strings -- so a CVAT import stores the same bytes with or without numba."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.coco_polygons import rasterise
from segstudio.io import parallel, polygon_blocks, polygon_jit, registry
from segstudio.io import rle_batch as rb
from segstudio.store.project import Project
from tests.unit.core.test_coco_polygons import random_ring
from tests.unit.io import test_cvat_polygons as tcp

pytest.importorskip("numba", reason="numba is not installed (pip install segstudio[fast])")


@pytest.fixture(scope="module")
def kernels():
    k = polygon_jit.kernels(load=True)
    assert k is not None, "numba is installed but the kernels did not load"
    return k


def numpy_draw(flat: np.ndarray, off: np.ndarray, H: np.ndarray, W: np.ndarray):
    runs, bad = rasterise(flat.reshape(-1, 2), off, np.arange(len(H)), H, W)
    boxes, strings = rb.column_runs_to_patches(runs.fo, runs.col, runs.r0, runs.r1)
    return [b.tolist() for b in (boxes.y0, boxes.x0, boxes.h, boxes.w, boxes.area)], strings, bad


@pytest.mark.parametrize("seed, max_side", [(1, 40), (2, 300), (3, 2500)])
def test_drawn_rings_equal_the_numpy_kernel_and_pycocotools(kernels, seed, max_side):
    rng = np.random.default_rng(seed)
    rings, Hs, Ws = [], [], []
    for _ in range(600 if max_side < 1000 else 150):
        h, w = int(rng.integers(1, max_side)), int(rng.integers(1, max_side))
        rings.append(random_ring(rng, h, w))
        Hs.append(h)
        Ws.append(w)
    flat = np.array([v for r in rings for v in r])
    off = np.concatenate(([0], np.cumsum([len(r) // 2 for r in rings]))).astype(np.int64)
    H, W = np.array(Hs, np.int64), np.array(Ws, np.int64)
    y0, x0, bh, bw, area, at, buf, bad = kernels.draw_rings(flat, off, H, W)
    assert not bad.any()
    text = buf.tobytes().decode("ascii")
    got = [(int(y0[i]), int(x0[i]), int(bh[i]), int(bw[i]), int(area[i]), text[at[i]:at[i + 1]])
           for i in range(len(rings))]
    cols, strings, nbad = numpy_draw(flat, off, H, W)
    assert not nbad.any()
    assert got == [(*(c[i] for c in cols), strings[i]) for i in range(len(rings))]
    for i in range(0, len(rings), 7):  # and the pixels are pycocotools' on the whole image
        full = cmask.decode(cmask.frPyObjects([rings[i]], Hs[i], Ws[i])[0]).astype(bool)
        mine = np.zeros_like(full)
        if got[i][4]:
            box = cmask.decode({"size": [got[i][2], got[i][3]], "counts": got[i][5]}).astype(bool)
            mine[got[i][0]:got[i][0] + got[i][2], got[i][1]:got[i][1] + got[i][3]] = box
        assert np.array_equal(mine, full), i


def test_rings_it_cannot_prove_are_left_to_pycocotools(kernels):
    flat = np.array([0, 0, 4, 0, 4, 4, 1e30, 0, 4, 0, 4, 4, 0, 0, 4, 0, 4, 4], np.float64)
    off = np.array([0, 3, 6, 9], np.int64)
    H = np.array([8, 8, 70000], np.int64)
    W = np.array([8, 8, 70000], np.int64)  # 4.9e9 pixels: beyond pycocotools' int positions
    bad = kernels.draw_rings(flat, off, H, W)[-1]
    assert bad.tolist() == [False, True, True]


def plain_tokens(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = rng.random()
        v = rng.uniform(-50, 5000)
        if r < 0.25:
            out.append(f"{v:.2f}")  # CVAT's own two decimals: "96.00", "312.20"
        elif r < 0.45:
            out.append(str(int(v)))  # integers: "96" -> 96.0
        elif r < 0.7:
            out.append(repr(round(v, int(rng.integers(0, 7)))))
        elif r < 0.8:
            out.append(f"{rng.uniform(0, 1):.{int(rng.integers(1, 9))}f}")  # 0.0001 .. 0.99999999
        elif r < 0.9:
            out.append(str(rng.choice(["0", "-0", "0.0", "-0.00", "0.0001", "0.00010", "100.000",
                                       "123456789012345", "99999999999999.9", "0.5", "10"])))
        else:
            out.append(f"{rng.uniform(-1e6, 1e6):.{int(rng.integers(0, 9))}f}")
    return out


def texts_of(rng: np.random.Generator, tokens: list[str]) -> list[str]:
    texts, k = [], 0
    while k < len(tokens):
        m = int(rng.integers(1, 12))
        part = tokens[k:k + m]
        texts.append("".join(t + (",;"[j % 2] if j < len(part) - 1 else "") for j, t in enumerate(part)))
        k += m
    return texts


def read(kernels, texts: list[str]):
    return kernels.read_points(np.frombuffer("\n".join(texts).encode("ascii"), np.uint8), len(texts))


def test_numbers_read_as_float_and_printed_as_repr(kernels):
    rng = np.random.default_rng(7)
    texts = texts_of(rng, plain_tokens(rng, 20000))
    ok, values, counts, js, at = read(kernels, texts)
    assert ok
    want = [float(t) for text in texts for t in text.replace(";", ",").split(",")]
    assert values.tobytes() == np.array(want, np.float64).tobytes()  # bit for bit, -0.0 too
    assert counts.tolist() == [len(t.replace(";", ",").split(",")) for t in texts]
    text = js.tobytes().decode("ascii")
    assert [text[at[i]:at[i + 1]] for i in range(len(texts))] == [
        ",".join(repr(float(v)) for v in t.replace(";", ",").split(",")) for t in texts]


@pytest.mark.parametrize("token", ["1e5", " 1", "1 ", "+1", ".5", "5.", "01", "-01.5", "", "1..2",
                                   "1.2.3", "--1", "1-", "-", "nan", "inf", "0.00001", "0.0000",
                                   "1234567890123456", "1.234567890123456", "1_0", "0x10", "1\t"])
def test_anything_but_a_plain_decimal_is_left_to_float(kernels, token):
    """`float()` reads some of these and refuses others; either way the numpy path decides."""
    assert not read(kernels, ["1,2;3,4", f"5,6;{token},8"])[0]


def test_texts_must_match_their_count(kernels):
    assert read(kernels, ["1,2;3,4"])[0]
    b = np.frombuffer(b"1,2\n3,4\n5,6", np.uint8)
    assert not kernels.read_points(b, 2)[0]  # a text holding a line break: not as many texts
    assert not kernels.read_points(b, 4)[0]


def test_blocks_are_the_same_with_and_without_the_kernels(kernels):
    rng = np.random.default_rng(11)
    texts = []
    for _ in range(400):
        n = int(rng.integers(3, 14))
        if rng.random() < 0.5:
            xs, ys = rng.uniform(-1, 41, n), rng.uniform(-1, 31, n)
            texts.append(";".join(f"{x:.2f},{y:.2f}" for x, y in zip(xs, ys)))
        else:
            xs, ys = rng.integers(-10, 410, n) / 10, rng.integers(-10, 310, n) / 10
            texts.append(";".join(f"{x!r},{y!r}" for x, y in zip(xs.tolist(), ys.tolist())))
    texts += ["1,1;9,1", "1,1;9,1;9", "5,5;5.1,5;5.1,5.1", "1,1;999,1;9,9"]  # short, odd, empty, far
    H, W = np.full(len(texts), 30), np.full(len(texts), 40)
    jit = polygon_blocks.cvat_block((texts, H, W, 64, True))
    plain = polygon_blocks.cvat_block((texts, H, W, 64, False))
    assert jit == plain
    assert jit[1] == [400, 401, 403]  # not plain: the reader refuses or clips them
    with_exponent = texts[:5] + ["1e1,1;9,1;9,9"]  # a block the kernels cannot read: numpy reads it
    assert polygon_blocks.cvat_block((with_exponent, H[:6], W[:6], 64, True)) == \
        polygon_blocks.cvat_block((with_exponent, H[:6], W[:6], 64, False))


def test_a_pooled_import_stores_the_same_rows_with_and_without_the_kernels(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    images = [[tcp.polygon("dog" if j % 3 else "cat", tcp.random_points(rng), z=int(rng.integers(0, 3)))
               for j in range(int(rng.integers(1, 9)))] for _ in range(8)]
    tcp.write(tmp_path / "a.xml", images)
    tcp.use_pool(monkeypatch, True)
    got = []
    for off in ("1", ""):
        monkeypatch.setenv(polygon_jit.NO_JIT_ENV, off)
        with Project.create(tmp_path / f"q{off}") as q:
            rep = registry.import_into("cvat", tmp_path / "a.xml", q, {"require_images": False})
            got.append((tcp.stored(q), rep.to_dict()))
    assert got[0] == got[1]
    assert len(got[0][0]) > 20


def test_the_kernels_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(polygon_jit.NO_JIT_ENV, "1")
    assert polygon_jit.installed() and not polygon_jit.enabled()


def test_workers_fork_with_the_kernels_loaded(monkeypatch, kernels):
    """A fork server started by another job (without the kernels) is started again with them
    when a polygon import warms it up, so workers do not load numba one by one."""
    parallel.stop_helpers()
    monkeypatch.setattr(parallel, "_jit_wanted", False)
    parallel.warm_up(wait=True)
    with parallel.ChunkPool(1) as pool:
        assert [r for _, r in pool.imap(polygon_jit.loaded, [(0, None)])] == [False]
    parallel.warm_up(jit=True, wait=True)
    with parallel.ChunkPool(1) as pool:
        assert [r for _, r in pool.imap(polygon_jit.loaded, [(0, None)])] == [True]
