"""What exact pycocotools masks cost the imports that draw polygons one by one (issue 19).

    .venv/bin/python bench/formats_polygon_exact.py            # 200 images x 25 polygons
    .venv/bin/python bench/formats_polygon_exact.py --images 40

`shape_raster.coco_polygon_patch` used to move a polygon into a small window around it and
call pycocotools there; that is not exact (a shifted double rounds its ties differently) and
was replaced by `core.coco_polygons` on the image coordinates.  This times, interleaved
(old, new, old, new ...), the per-polygon call and the whole COCO-polygon and Label Studio
imports of the same 8-24-vertex polygons (tenth-pixel coordinates) with the old window method
patched back in (each mask drawn, then encoded; the imports now draw all their polygons in one
batch straight into the store's RLE, `_polygons.polygon_rles`), and prints the ratios new/old
of the medians with the load average, and how many polygons the old method drew differently
from pycocotools on the whole image.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def window_method(polygons, image_shape):
    """The replaced method: pycocotools over the polygons' box, coordinates shifted into it."""
    from pycocotools import mask as cmask

    from segstudio.core.masks import MaskPatch

    H, W = image_shape
    rings = [np.asarray(p, np.float64).reshape(-1, 2) for p in polygons if len(p) >= 6]
    if not rings:
        return MaskPatch.empty(image_shape)
    pts = np.concatenate(rings)
    x0, y0 = max(0, int(np.floor(pts[:, 0].min())) - 1), max(0, int(np.floor(pts[:, 1].min())) - 1)
    x1, y1 = min(W, int(np.ceil(pts[:, 0].max())) + 2), min(H, int(np.ceil(pts[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return MaskPatch.empty(image_shape)
    shifted = [(r - (x0, y0)).ravel().tolist() for r in rings]
    data = cmask.decode(cmask.merge(cmask.frPyObjects(shifted, y1 - y0, x1 - x0))).astype(bool)
    return MaskPatch.from_window(data, y0, x0, image_shape)


def polygons(n: int, H: int, W: int, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = int(rng.integers(8, 25))
        cx, cy = rng.uniform(60, W - 60), rng.uniform(60, H - 60)
        r = rng.uniform(10, 50) * (1 + 0.3 * rng.uniform(-1, 1, k))
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        out.append((np.round(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1) * 10) / 10).ravel().tolist())
    return out


def main() -> int:
    from formats_cvat import build
    from pycocotools import mask as cmask

    from segstudio.core import shape_raster
    from segstudio.io import registry
    from segstudio.io.formats import _polygons, coco, label_studio
    from segstudio.io.plan import PlanInstance
    from segstudio.store.project import Project

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=200)
    ap.add_argument("--per-image", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    H, W = 768, 1024
    sample = polygons(3000, H, W)
    wrong = sum(not np.array_equal(window_method([p], (H, W)).to_full(),
                                   cmask.decode(cmask.frPyObjects([p], H, W))[:, :, 0].astype(bool))
                for p in sample[:1000])
    methods = {"old": window_method, "new": shape_raster.coco_polygon_patch}
    batches = {"old": lambda masks, shapes: [PlanInstance("", mask=window_method(m, s)).patch_rle()
                                             for m, s in zip(masks, shapes)],
               "new": _polygons.polygon_rles}
    times: dict[str, dict[str, list[float]]] = {k: {m: [] for m in methods} for k in
                                                 ("per polygon", "coco import", "label-studio import")}
    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-exact-") as tmp:
        root = Path(tmp)
        src = build(root / "p", args.images, args.per_image)
        n = args.images * args.per_image
        registry.export("coco", src, root / "c.json")
        registry.export("label-studio", src, root / "ls.json", {"images": "reference"})
        src.close()
        for r in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for m, fn in methods.items():
                coco.polygon_rles = label_studio.polygon_rles = batches[m]
                t = time.perf_counter()
                for p in sample:
                    fn([p], (H, W))
                times["per polygon"][m].append((time.perf_counter() - t) / len(sample))
                for fmt, name, path in (("coco", "coco import", root / "c.json"),
                                        ("label-studio", "label-studio import", root / "ls.json")):
                    q = Project.create(root / f"q{r}{m}{fmt}")
                    t = time.perf_counter()
                    rep = registry.import_into(fmt, path, q, {"require_images": False})
                    times[name][m].append(time.perf_counter() - t)
                    assert rep.instances == n, rep.text()
                    q.close()
        coco.polygon_rles = label_studio.polygon_rles = batches["new"]
    load = f"load {min(loads):.2f}-{max(loads):.2f}"
    print(f"old window method: {wrong} of 1000 polygons differ from pycocotools on the whole image")
    for k, v in times.items():
        old, new = statistics.median(v["old"]), statistics.median(v["new"])
        if k == "per polygon":
            print(f"{k:20s} old {old * 1e6:7.1f} us  new {new * 1e6:7.1f} us  new/old {new / old:.2f}x  ({load})")
        else:
            print(f"{k:20s} old {n / old:8,.0f} inst/s  new {n / new:8,.0f} inst/s  time new/old "
                  f"{new / old:.2f}x  ({load})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
