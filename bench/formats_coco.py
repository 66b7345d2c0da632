"""COCO-RLE export and import throughput on a synthetic project (issue 3 goal: >= 50,000 inst/s).

    .venv/bin/python bench/formats_coco.py            # 10,000 images 1024x768 x 20 instances
    .venv/bin/python bench/formats_coco.py --quick    # 2,000 images (large enough for the pool)
    SEGSTUDIO_IO_WORKERS=0 .venv/bin/python bench/formats_coco.py   # single process, for comparison

Masks are ellipses with a hole (one pool of 400 shapes placed at random offsets).  Images are
registered in the project without pixel files (the COCO path never decodes images).  In the same
run it times `pycocotools.coco.COCO()` loading the exported file, the usual reference cost of
"just reading" such a file, and prints our speeds relative to it; and checks a sample of masks
with `annToMask` against the project.

CPU time is this process plus the conversion workers (`segstudio.io.parallel` counts theirs:
they are children of the fork server, so `os.times()` cannot see them); the fork server's own
one-off start (~0.25 s: an interpreter importing numpy) is not included.  On a shared machine
compare CPU figures, and wall figures only against the pycocotools load of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def build(root: Path, n_images: int, per_image: int, shape: tuple[int, int], seed: int = 0):
    from segstudio.core import rle
    from segstudio.core.masks import MaskPatch
    from segstudio.store.project import Project

    rng = np.random.default_rng(seed)
    H, W = shape
    pool = []
    for _ in range(400):
        h, w = int(rng.integers(20, 200)), int(rng.integers(20, 200))
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, (w // 2, h // 2), (w // 2 - 1, h // 2 - 1), 0, 0, 360, 1, -1)
        cv2.circle(m, (w // 2, h // 2), max(2, min(h, w) // 6), 0, -1)  # a hole
        p = MaskPatch.from_full(m.astype(bool))
        pool.append((rle.encode(p.data)["counts"], p.height, p.width, p.area))
    project = Project.create(root)
    cats = [project.add_category(f"class{i}") for i in range(10)]
    now = time.time()
    with project.transaction() as c:
        c.executemany(
            "INSERT INTO images(id, path, width, height, added_at, updated_at) VALUES (?,?,?,?,?,?)",
            [(i + 1, f"images/{i:06d}.jpg", W, H, now, now) for i in range(n_images)],
        )
        rows = []
        for i in range(n_images):
            for j in range(per_image):
                enc, h, w, area = pool[int(rng.integers(0, len(pool)))]
                y0, x0 = int(rng.integers(0, H - h)), int(rng.integers(0, W - w))
                rows.append((i + 1, 0, "gt", j + 1, cats[j % 10].id, enc, y0, x0, h, w,
                             x0, y0, w, h, area, j, "manual", None, "{}", None, 0))
        c.executemany(
            "INSERT INTO instances(image_id, frame, label_set, id, category_id, rle, y0, x0, h, w,"
            " bbox_x, bbox_y, bbox_w, bbox_h, area, z, source, score, attributes, track_id, crowd)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    return project


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--per-image", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="2,000 images")
    ap.add_argument("--check", type=int, default=200, help="masks checked with annToMask")
    args = ap.parse_args()
    n = 2000 if args.quick else args.images
    from pycocotools.coco import COCO

    from segstudio.io import parallel, registry
    from segstudio.store.project import Project

    with tempfile.TemporaryDirectory(prefix="segstudio-bench-") as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        src = build(tmp / "src", n, args.per_image, (768, 1024))
        total = n * args.per_image
        print(f"built {n} images x {args.per_image} = {total} instances in {time.perf_counter() - t:.1f}s")
        out = tmp / "coco.json"
        load0 = os.getloadavg()[0]
        t, c, wk, m = time.perf_counter(), _cpu(), parallel.worker_cpu_seconds(), _machine_cpu()
        rep = registry.export("coco", src, out, {"segmentation": "rle"})
        t_exp, c_exp = time.perf_counter() - t, _cpu() - c
        w_exp, o_exp = parallel.worker_cpu_seconds() - wk, _machine_cpu() - m - c_exp
        assert rep.instances == total, rep.instances
        size = out.stat().st_size
        t, c = time.perf_counter(), time.process_time()
        coco = COCO(str(out))
        t_ref, c_ref = time.perf_counter() - t, time.process_time() - c
        dst = Project.create(tmp / "dst")
        t, c, wk, m = time.perf_counter(), _cpu(), parallel.worker_cpu_seconds(), _machine_cpu()
        irep = registry.import_into("coco", out, dst, {"require_images": False})
        t_imp, c_imp = time.perf_counter() - t, _cpu() - c
        w_imp, o_imp = parallel.worker_cpu_seconds() - wk, _machine_cpu() - m - c_imp
        load1 = os.getloadavg()[0]
        assert irep.instances == total, irep.instances
        # correctness sample: the reference reader's masks equal the project's, both projects agree
        rng = np.random.default_rng(1)
        ann_ids = rng.choice(sorted(coco.anns), size=min(args.check, total), replace=False)
        for aid in ann_ids:
            ann = coco.anns[int(aid)]
            m = coco.annToMask(ann).astype(bool)
            inst = next(i for k, i in enumerate(src.load_instances(ann["image_id"])) if k == _z(coco, ann))
            assert (inst.mask.to_full() == m).all() and ann["area"] == int(m.sum())
        a = dst.conn.execute("SELECT rle, y0, x0, h, w FROM instances ORDER BY image_id, z").fetchall()
        b = src.conn.execute("SELECT rle, y0, x0, h, w FROM instances ORDER BY image_id, z").fetchall()
        assert a == b, "import differs from the source project"
        print(f"file size              {size / 1e6:8.1f} MB")
        print("                         wall s   inst/s (wall)   CPU s   inst/s (CPU)   CPU s of workers")
        for name, w, cpu, wcpu in (("export COCO-RLE", t_exp, c_exp, w_exp),
                                   ("import COCO-RLE", t_imp, c_imp, w_imp),
                                   ("pycocotools COCO()", t_ref, c_ref, 0.0)):
            print(f"{name:<22} {w:8.2f} {total / w:14,.0f} {cpu:9.2f} {total / cpu:13,.0f} {wcpu:12.2f}")
        print(f"CPU s used by other processes meanwhile: export {max(0.0, o_exp):.1f}, import "
              f"{max(0.0, o_imp):.1f} (of 2 x wall: {2 * t_exp:.1f}, {2 * t_imp:.1f})")
        print(f"ratio export/COCO()    {t_exp / t_ref:6.2f}x wall  {c_exp / c_ref:6.2f}x CPU")
        print(f"ratio import/COCO()    {t_imp / t_ref:6.2f}x wall  {c_imp / c_ref:6.2f}x CPU")
        from segstudio.io.formats.coco import import_workers

        print(f"conversion workers: export {parallel.workers_for(total, 0) or 'none (inline)'}, import "
              f"{parallel.workers_for(total, 0, import_workers()) or 'none (inline)'} on "
              f"{parallel.cpu_count()} cores; "
              f"1-min load average {load0:.1f} before export, {load1:.1f} after import")
        print(f"checked {len(ann_ids)} masks with annToMask: identical; re-import byte-identical")
        src.close()
        dst.close()
    return 0


def _machine_cpu() -> float:
    """CPU seconds used by the whole machine so far (Linux /proc/stat; 0 elsewhere): what
    other processes took during a step is this minus our own."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return 0.0
    return (sum(v) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    """CPU seconds of this process and of the conversion workers so far."""
    from segstudio.io import parallel

    return time.process_time() + parallel.worker_cpu_seconds()


def _z(coco, ann) -> int:
    """Position of `ann` among its image's annotations (export keeps z order)."""
    ids = [a["id"] for a in coco.imgToAnns[ann["image_id"]]]
    return ids.index(ann["id"])


if __name__ == "__main__":
    _ = json
    raise SystemExit(main())
