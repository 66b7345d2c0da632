"""CVAT XML export and import throughput on polygon-only files (issue 19 goal: >= 50,000 inst/s).

    .venv/bin/python bench/formats_cvat.py            # 2,000 images x 25 polygons (50,000)
    .venv/bin/python bench/formats_cvat.py --quick    # 400 images (10,000 polygons)

The project holds polygons kept as drawn (8-24 vertices on pycocotools' 1/5-pixel grid, masks
made from them), inserted straight into the store.  Each round times, interleaved:

* CVAT export (`segstudio export cvat`), and the same instances as COCO polygons
  (`segmentation=auto`, which writes the drawn polygons too): the same-run baseline;
* CVAT import (parse, rasterisation exactly as pycocotools, one transaction), the same import
  with the fast reader of regular polygon files (`_cvat_scan`) turned off (the full expat
  parser), the same import with the compiled kernels turned off (SEGSTUDIO_NO_JIT=1: the
  numpy code, what runs without numba), the COCO import of the COCO file, and a plain
  ElementTree reader that only parses the XML and the point lists (the floor of "reading a
  CVAT file" in Python).

Figures are instances per second (median of the rounds) with the load average beside them,
and the CPU seconds of each step: this process plus its conversion workers
(`segstudio.io.parallel` counts theirs), which a loaded machine inflates far less than the
wall time; the ratios compare with the baselines of the same rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np


def build(root: Path, n_images: int, per_image: int, shape=(768, 1024), seed: int = 0):
    from pycocotools import mask as cmask

    from segstudio.core.drawn import DrawnShape
    from segstudio.io import rle_batch as rb
    from segstudio.store.project import Project

    rng = np.random.default_rng(seed)
    H, W = shape
    project = Project.create(root)
    cats = [project.add_category(f"class{i}") for i in range(10)]
    now = time.time()
    with project.transaction() as c:
        c.executemany(
            "INSERT INTO images(id, path, width, height, added_at, updated_at) VALUES (?,?,?,?,?,?)",
            [(i + 1, f"images/{i:06d}.jpg", W, H, now, now) for i in range(n_images)])
        for i in range(n_images):
            polys = []
            for _ in range(per_image):
                n = int(rng.integers(8, 25))
                cx, cy = rng.uniform(60, W - 60), rng.uniform(60, H - 60)
                r = rng.uniform(10, 50) * (1 + 0.3 * rng.uniform(-1, 1, n))
                t = np.sort(rng.uniform(0, 2 * np.pi, n))
                pts = np.round(np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1) * 5) / 5
                polys.append(pts)
            rles = cmask.frPyObjects([p.ravel().tolist() for p in polys], H, W)
            boxes, enc = rb.image_strings_to_patches([r["counts"] for r in rles],
                                                     np.full(per_image, H), np.full(per_image, W))
            rows = []
            for j, p in enumerate(polys):
                y0, x0, h, w, a = (int(v[j]) for v in (boxes.y0, boxes.x0, boxes.h, boxes.w, boxes.area))
                drawn = DrawnShape.polygon([p], "coco", a).to_json()
                rows.append((i + 1, 0, "gt", j + 1, cats[j % 10].id, enc[j], y0, x0, h, w,
                             x0, y0, w, h, a, j, "manual", None, "{}", None, 0, drawn))
            c.executemany(
                "INSERT INTO instances(image_id, frame, label_set, id, category_id, rle, y0, x0, h, w,"
                " bbox_x, bbox_y, bbox_w, bbox_h, area, z, source, score, attributes, track_id, crowd,"
                " shape) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return project


def plain_etree(path: Path) -> int:
    """Parse the XML and every point list into floats: the floor of reading it in Python."""
    n = 0
    for _, el in ET.iterparse(path, events=("end",)):
        if el.tag == "polygon":
            np.array(el.attrib["points"].replace(";", ",").split(","), np.float64)
            n += 1
        elif el.tag == "image":
            el.clear()
    return n


def main() -> int:
    from segstudio.io import parallel, polygon_jit, registry
    from segstudio.io.formats import cvat
    from segstudio.io.formats._cvat_scan import scan
    from segstudio.store.project import Project

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="400 images (10,000 polygons)")
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--per-image", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    n_images = 400 if args.quick else args.images
    with tempfile.TemporaryDirectory(prefix="bench-cvat-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        src = build(root / "p", n_images, args.per_image)
        n = n_images * args.per_image
        print(f"built {n_images} images x {args.per_image} polygons = {n} in "
              f"{time.perf_counter() - t:.1f} s")
        times: dict[str, list[float]] = {k: [] for k in ("cvat export", "coco export", "cvat import",
                                                         "cvat import (full parser)",
                                                         "cvat import (numpy kernels)", "coco import",
                                                         "plain ElementTree")}
        cpu: dict[str, list[float]] = {k: [] for k in times}

        def timed(name: str, fn):
            t, c, w = time.perf_counter(), time.process_time(), parallel.worker_cpu_seconds()
            out = fn()
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c + parallel.worker_cpu_seconds() - w)
            return out

        loads: list[float] = []
        for r in range(args.rounds):
            loads.append(os.getloadavg()[0])
            rep = timed("cvat export", lambda r=r: registry.export("cvat", src, root / f"c{r}.xml",
                                                                  {"images": "reference"}))
            assert rep.instances == n and rep.lossless, rep.text()
            timed("coco export", lambda r=r: registry.export("coco", src, root / f"c{r}.json"))
            for j, (fmt, name, path) in enumerate((("cvat", "cvat import", root / f"c{r}.xml"),
                                                   ("cvat", "cvat import (full parser)", root / f"c{r}.xml"),
                                                   ("cvat", "cvat import (numpy kernels)", root / f"c{r}.xml"),
                                                   ("coco", "coco import", root / f"c{r}.json"))):
                q = Project.create(root / f"q{r}-{j}")
                cvat.scan = (lambda path: None) if name == "cvat import (full parser)" else scan
                if name == "cvat import (numpy kernels)":
                    os.environ[polygon_jit.NO_JIT_ENV] = "1"
                irep = timed(name, lambda fmt=fmt, path=path, q=q: registry.import_into(
                    fmt, path, q, {"require_images": False}))
                cvat.scan = scan
                os.environ.pop(polygon_jit.NO_JIT_ENV, None)
                assert irep.instances == n, irep.text()
                q.close()
            assert timed("plain ElementTree", lambda r=r: plain_etree(root / f"c{r}.xml")) == n
        src.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    load = f"load {min(loads):.2f}-{max(loads):.2f}"
    for k, v in med.items():
        print(f"{k:26s} {n / v:9,.0f} inst/s  ({v:.2f} s, median of {args.rounds}; CPU {statistics.median(cpu[k]):.2f} s"
              f" with workers; {load})")
    print(f"cvat export / coco export (polygons): {med['coco export'] / med['cvat export']:.2f}x")
    print(f"cvat import / coco import (polygons): {med['coco import'] / med['cvat import']:.2f}x")
    print(f"cvat import / plain ElementTree parse: {med['plain ElementTree'] / med['cvat import']:.2f}x")
    print(f"cvat import, compiled kernels / numpy kernels: "
          f"{med['cvat import (numpy kernels)'] / med['cvat import']:.2f}x"
          + ("" if polygon_jit.enabled() else " (numba is not installed: both ran numpy)"))
    print(f"cvat import, fast reader / full expat parser: "
          f"{med['cvat import (full parser)'] / med['cvat import']:.2f}x")
    for k in ("cvat export", "cvat import"):  # what the CPU work allows when the cores are ours
        c = statistics.median(cpu[k]) / max(1, min(2, os.cpu_count() or 1))
        print(f"{k}: {n / c:,.0f} inst/s if its CPU seconds were spread over 2 free cores (an upper bound)")
    goal = min(n / med["cvat export"], n / med["cvat import"])
    print(f"goal >= 50,000 inst/s each way: {'met' if goal >= 50000 else 'NOT met'} ({goal:,.0f}; {load})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
