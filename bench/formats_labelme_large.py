"""LabelMe import of one big image with many polygons (issue 22: 8000x8000, 1,000 polygons, <= 5 s).

    .venv/bin/python bench/formats_labelme_large.py                # 8000x8000, 1,000 polygons
    .venv/bin/python bench/formats_labelme_large.py --sample 40    # baseline on 40 shapes

The file is made by `canvas_data.py` (the canvas benchmarks' scene: star-shaped polygons,
radius 20-160 px).  Each round imports it into a fresh project in this process
(`registry.import_into`: JSON parse, rasterising, one transaction), and - interleaved with it -
the baseline: the same importer with the old rasteriser, a fresh full-size PIL canvas per shape
read back whole (`FullSizeCanvas`, what every shape cost before), on the first `--sample` shapes
(the whole file takes minutes that way; `--sample 0` runs it whole).  Both rows print min and
median; the ratio compares per-shape medians on the same shapes, and the masks of the sample
are checked to be identical.  The 1-minute load average is printed beside every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from canvas_data import ensure  # noqa: E402


class FullSizeCanvas:
    """The old rasteriser: each shape on a new full-size canvas, read back whole, cropped."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = (int(shape[0]), int(shape[1]))

    def paint(self, paint, lo, hi, reach: float = 0):
        from PIL import Image, ImageDraw

        from segstudio.core.masks import MaskPatch

        h, w = self.shape
        img = Image.new("L", (w, h), 0)
        paint(ImageDraw.Draw(img))
        return MaskPatch.from_full(np.asarray(img, dtype=bool))


def import_once(js: Path, tmp: Path, tag: str, full_size: bool) -> tuple[float, list]:
    from segstudio.io import registry
    from segstudio.io.formats import _raster
    from segstudio.store.project import Project

    project = Project.create(tmp / f"p-{tag}")
    real = _raster.Canvas
    if full_size:
        _raster.Canvas = FullSizeCanvas
    try:
        t = time.perf_counter()
        rep = registry.import_into("labelme", js, project)
        elapsed = time.perf_counter() - t
    finally:
        _raster.Canvas = real
    rows = project.conn.execute("SELECT rle, y0, x0, h, w FROM instances ORDER BY id").fetchall()
    project.close()
    assert rep.instances == len(rows)
    return elapsed, rows


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=8000)
    ap.add_argument("--polygons", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=25, help="shapes for the baseline (0: all)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="segstudio-bench-labelme-") as tmp:
        tmp = Path(tmp)
        img, js, _ = ensure(tmp, args.size, args.polygons)
        doc = json.loads(js.read_text())
        n_sample = args.sample or len(doc["shapes"])
        sample = tmp / "sample.json"
        sample.write_text(json.dumps({**doc, "shapes": doc["shapes"][:n_sample]}))
        print(f"{js.name}: {args.size}x{args.size}, {len(doc['shapes'])} polygons; baseline on the first "
              f"{n_sample}; {os.cpu_count()} CPUs; {load()}")
        whole, ours_s, base_s = [], [], []
        for r in range(args.rounds):
            t, rows_ours = import_once(sample, tmp, f"s{r}", full_size=False)
            ours_s.append(t)
            print(f"  round {r + 1}: crop-first, {n_sample} shapes   {t:8.3f} s   ({load()})")
            t, rows_base = import_once(sample, tmp, f"b{r}", full_size=True)
            base_s.append(t)
            print(f"  round {r + 1}: full-size, {n_sample} shapes    {t:8.3f} s   ({load()})")
            assert rows_ours == rows_base, "the two rasterisers disagree"
            t, _ = import_once(js, tmp, f"w{r}", full_size=False)
            whole.append(t)
            print(f"  round {r + 1}: crop-first, whole file     {t:8.3f} s   ({load()})")
        per_ours = statistics.median(ours_s) / n_sample
        per_base = statistics.median(base_s) / n_sample
        print(f"import of the whole file (crop-first): min {min(whole):.3f} s, median "
              f"{statistics.median(whole):.3f} s  (goal <= 5 s; {load()})")
        print(f"per shape on the same {n_sample} shapes: crop-first {per_ours * 1e3:.2f} ms, full-size "
              f"{per_base * 1e3:.1f} ms (medians; min {min(base_s) / n_sample * 1e3:.1f} ms); ratio "
              f"{per_base / per_ours:.0f}x")
        print(f"full-size path extrapolated to {len(doc['shapes'])} shapes: "
              f"~{per_base * len(doc['shapes']):.0f} s; masks identical on the sample; {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
