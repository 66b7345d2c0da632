"""Property: shapes kept as drawn (random polygons, boxes, ellipses from the tools) come back
from CVAT, Label Studio and COCO exactly: the same masks and the same shapes."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segstudio.core.instance import Instance
from segstudio.core.tools.shapes import drawn_box, drawn_polygon
from segstudio.io import registry
from segstudio.store.project import Project
from tests.unit.io.helpers import masks_by_image

SHAPE = (48, 64)


def build(root: Path, seed: int, n: int) -> Project:
    rng = np.random.default_rng(seed)
    p = Project.create(root / "p")
    cats = [p.add_category(c) for c in ("a", "b")]
    (iid,) = p.add_images([(root / "img.png", SHAPE[1], SHAPE[0])])
    insts = []
    for j in range(n):
        kind = ("polygon", "rect", "ellipse")[j % 3]
        if kind == "polygon":
            k = int(rng.integers(3, 12))
            c, r = rng.uniform(10, 40, 2), rng.uniform(3, 15, k)
            t = np.sort(rng.uniform(0, 2 * np.pi, k))
            mask, drawn = drawn_polygon(np.stack([c[0] + r * np.cos(t), c[1] + r * np.sin(t)], 1), SHAPE)
        else:
            p0, p1 = rng.uniform(-3, 60, 2), rng.uniform(-3, 60, 2)
            mask, drawn = drawn_box(kind, tuple(p0), tuple(p1), SHAPE)
        if mask.is_empty or drawn is None:
            continue
        insts.append(Instance(j + 1, cats[j % 2].id, mask, shape=drawn))
    p.replace_instances(iid, insts)
    return p


@pytest.mark.parametrize("fmt, dst, kinds", [
    ("cvat", "c.xml", {"polygon", "rectangle", "ellipse"}),
    ("label-studio", "l.json", {"polygon", "rectangle", "ellipse"}),
    ("coco", "c.json", {"polygon"}),
])
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(1, 7))
def test_drawn_shapes_survive(fmt, dst, kinds, seed, n):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p = build(root, seed, n)
        want = masks_by_image(p)
        before = p.load_instances(p.images()[0].id)
        rep = registry.export(fmt, p, root / dst)
        assert rep.lossless, rep.text()
        with Project.create(root / "q") as q:
            registry.import_into(fmt, root / dst, q, {"require_images": False})
            got = masks_by_image(q)
            assert [(c, m.tobytes()) for c, m in got["img.png"]] == \
                [(c, m.tobytes()) for c, m in want["img.png"]]
            after = q.load_instances(q.images()[0].id)
            for a, b in zip(before, after):
                if a.shape.kind in kinds:  # written as drawn: the same shape comes back
                    assert b.shape is not None and b.shape.kind == a.shape.kind
                    assert np.allclose(b.shape.coords[0], a.shape.coords[0], atol=1e-9)
        p.close()
