"""Property: random instances with holes and several parts survive every lossless path exactly,
and the lossy paths lose exactly what their report says."""

import tempfile
from pathlib import Path

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segstudio.core.geometry import has_holes
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.io import registry
from segstudio.io.formats._polygons import fill_holes
from segstudio.store.project import Project
from tests.unit.io.helpers import blob_mask, masks_by_image


def build(root: Path, seed: int, n: int, shape) -> Project:
    rng = np.random.default_rng(seed)
    p = Project.create(root / "p")
    cats = [p.add_category(c) for c in ("a", "b", "c")]
    (iid,) = p.add_images([(root / "img.png", shape[1], shape[0])])
    insts = []
    for j in range(n):
        m = blob_mask(rng, shape)
        if rng.random() < 0.5:  # a second, separate part
            m[rng.integers(0, shape[0]), rng.integers(0, shape[1])] = True
        insts.append(Instance(j + 1, cats[j % 3].id, MaskPatch.from_full(m), crowd=bool(j == 2)))
    p.replace_instances(iid, insts)
    return p


roundtrip = settings(max_examples=10)


@roundtrip
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5), h=st.integers(8, 40), w=st.integers(8, 40))
def test_lossless_paths(seed, n, h, w):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p = build(root, seed, n, (h, w))
        want = masks_by_image(p)
        for fmt, opts, dst in (
            ("coco", {"segmentation": "rle"}, "c.json"),
            ("coco", {"segmentation": "auto"}, "a.json"),
            ("labelme", {"shapes": "mask"}, "lm"),
            ("cvat", {}, "cv.xml"),
            ("label-studio", {}, "ls.json"),
        ):
            rep = registry.export(fmt, p, root / dst, opts)
            if fmt == "label-studio":  # no crowd flag in Label Studio: exactly that is reported
                assert dict(rep.losses) == ({"crowd flags dropped (Label Studio has none)": 1} if n > 2 else {})
                assert not rep.skipped
            else:
                assert rep.lossless, (fmt, opts, rep.text())
            q = Project.create(root / f"q_{dst}")
            in_opts = {"require_images": False}
            if fmt == "labelme":
                in_opts["dataset_root"] = str(root)
            registry.import_into(fmt, root / dst, q, in_opts)
            got = masks_by_image(q)
            assert [(c, m.tobytes()) for c, m in want["img.png"]] == [(c, m.tobytes()) for c, m in got["img.png"]]
            if fmt in ("coco", "cvat"):
                assert [i.crowd for i in q.load_instances(q.images()[0].id)] == [j == 2 for j in range(n)]
            q.close()
        p.close()


@roundtrip
@given(seed=st.integers(0, 2**31), n=st.integers(1, 4))
def test_coco_polygons_lose_exactly_what_is_reported(seed, n):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p = build(root, seed, n, (30, 30))
        rep = registry.export("coco", p, root / "p.json", {"segmentation": "polygons"})
        q = Project.create(root / "q")
        registry.import_into("coco", root / "p.json", q, {"require_images": False})
        src = p.load_instances(p.images()[0].id)
        got = q.load_instances(q.images()[0].id)
        holes = changed = hole_px = outline_px = 0
        for a, b in zip(src, got):
            filled = fill_holes(a.mask) if has_holes(a.mask) else a.mask
            holes += has_holes(a.mask)
            hole_px += filled.area - a.area
            d = int((filled.to_full() != b.mask.to_full()).sum())
            changed += d > 0
            outline_px += d
        assert rep.losses.get("instances whose holes were filled (COCO polygons cannot have holes)", 0) == holes
        assert rep.losses.get("hole pixels filled (total)", 0) == hole_px
        assert rep.losses.get("instances whose outline changed under COCO polygon rasterisation", 0) == changed
        assert rep.losses.get("outline pixels changed by polygon rasterisation (total)", 0) == outline_px
        q.close()
        p.close()


@roundtrip
@given(seed=st.integers(0, 2**31), n=st.integers(1, 5))
def test_label_maps_keep_exactly_the_visible_parts(seed, n):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p = build(root, seed, n, (24, 28))
        src = p.load_instances(p.images()[0].id)
        names = {c.id: c.name for c in p.categories()}
        visible, partly, hidden = [], 0, 0
        for k, inst in enumerate(src):
            above = np.zeros((24, 28), bool)
            for other in src[k + 1 :]:
                above |= other.mask.to_full()
            vis = inst.mask.to_full() & ~above
            if vis.any():
                visible.append((names[inst.category_id], vis))
            partly += 0 < vis.sum() < inst.area
            hidden += not vis.any()
        for fmt in ("labelmap", "voc"):
            rep = registry.export(fmt, p, root / fmt, {"images": "none"})
            assert rep.losses.get("instances partly hidden by overlaps (flattened)", 0) == partly
            assert rep.losses.get("instances completely hidden by others (dropped)", 0) == hidden
            q = Project.create(root / f"q_{fmt}")
            registry.import_into(fmt, root / fmt, q, {"require_images": False})
            (got,) = masks_by_image(q).values()  # one image (its file name differs per format)
            assert [(c, m.tobytes()) for c, m in got] == [(c, m.tobytes()) for c, m in visible]
            q.close()
        p.close()


@roundtrip
@given(seed=st.integers(0, 2**31), n=st.integers(1, 4))
def test_yolo_loses_exactly_what_is_reported(seed, n):
    from segstudio.core.geometry import connected_parts

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        p = build(root, seed, n, (30, 30))
        p.set_split(p.images()[0].id, "val")
        cv2.imwrite(str(root / "img.png"), np.zeros((30, 30, 3), np.uint8))
        rep = registry.export("yolo", p, root / "y")
        q = Project.create(root / "q")
        irep = registry.import_into("yolo", root / "y", q)
        assert any("train folder" in w for w in irep.warnings)  # no train split: said, not fatal
        lines = (root / "y" / "labels" / "val" / "img.txt").read_text().splitlines()
        src = p.load_instances(p.images()[0].id)
        parts = [len(connected_parts(i.mask)) for i in src]
        assert len(lines) == sum(parts)
        assert rep.losses.get("instances split into one line per part", 0) == sum(k > 1 for k in parts)
        holes = sum(has_holes(i.mask) for i in src)
        assert rep.losses.get("instances whose holes could not be represented (filled)", 0) == holes
        from segstudio.io.formats._polygons import polygons_to_patch

        # each written line rasterised as the importer does (lines covering no pixel included)
        got_all = []
        for line in lines:
            xy = (np.asarray(line.split()[1:], float).reshape(-1, 2) * 30).ravel().tolist()
            got_all.append(polygons_to_patch([xy], (30, 30)))
        skipped = sum(g.is_empty for g in got_all)
        assert len(irep.skipped) == skipped and irep.instances == len(lines) - skipped
        changed = pixels = 0
        k = 0
        for inst, count in zip(src, parts):
            drawn = np.zeros((30, 30), bool)
            for got in got_all[k : k + count]:
                drawn |= got.to_full()
            k += count
            d = int((drawn != fill_holes(inst.mask).to_full()).sum())
            changed += d > 0
            pixels += d
        assert rep.losses.get("instances whose outline changed in the polygon conversion", 0) == changed
        assert rep.losses.get("outline pixels changed by the polygon conversion (total)", 0) == pixels
        q.close()
        p.close()
