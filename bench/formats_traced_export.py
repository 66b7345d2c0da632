"""Vector exports of masks with no drawn shape (traced and simplified outlines), COCO and CVAT.

    .venv/bin/python bench/formats_traced_export.py [--images 80 --per-image 25]

Masks that no polygon tool drew (brush edits, model output) are traced and simplified until
pycocotools draws exactly the mask (`io/formats/_vector.simplify_exact`).  Its rounds are drafted
with pycocotools over a window and only the final answer is checked with the exact whole-image
kernel (`core.coco_polygons`); the baseline, interleaved in the same run (A, B, A, B ...),
checks every round exactly; a third variant is the method replaced in issue 19 (pycocotools
over the window for every check, not exact).  All run inline (no worker processes), so that the patched
variant is the one that runs.  Prints instances/s of each export, the ratio of medians and the
load average, and checks both write the same file.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
STAMP = re.compile(rb"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[^<\"]*")  # export times differ


def main() -> int:
    from formats_cvat import build

    from segstudio.io import parallel, registry
    from segstudio.io.formats import _vector

    os.environ[parallel.WORKERS_ENV] = "0"  # inline: the variant patched here is the one that runs

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=80)
    ap.add_argument("--per-image", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    drafted = _vector._coco_draft

    def exact(rings, win):
        return _vector._draw(rings, "coco", win, None)

    real_draw = _vector._draw

    def window_draw(rings, rule, win, image_shape):  # the replaced method: not exact
        return drafted(rings, win) if rule == "coco" else real_draw(rings, rule, win, image_shape)

    variants = {"exact every round (baseline)": exact, "drafted rounds": drafted,
                "window only, not exact (before issue 19's fix)": "window"}
    times: dict[tuple[str, str], list[float]] = {}
    outputs: dict[tuple[str, str], bytes] = {}
    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-traced-") as tmp:
        root = Path(tmp)
        project = build(root / "p", args.images, args.per_image)
        project.conn.execute("UPDATE instances SET shape = NULL")  # no drawn shapes: traced
        project.conn.commit()
        n = args.images * args.per_image
        for r in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for name, fn in variants.items():
                _vector._coco_draft = drafted if fn == "window" else fn
                _vector._draw = window_draw if fn == "window" else real_draw
                for fmt, opts, suffix in (("coco", {"segmentation": "auto"}, "json"), ("cvat", {}, "xml")):
                    out = root / f"{fmt}-{r}-{len(times)}.{suffix}"
                    t = time.perf_counter()
                    registry.export(fmt, project, out, opts)
                    times.setdefault((name, fmt), []).append(time.perf_counter() - t)
                    outputs[(name, fmt)] = STAMP.sub(b"", out.read_bytes())
        _vector._coco_draft, _vector._draw = drafted, real_draw
        project.close()
    load = f"load {min(loads):.2f}-{max(loads):.2f}"
    names = list(variants)
    for fmt in ("coco", "cvat"):
        a, b, c = (statistics.median(times[(k, fmt)]) for k in names)
        same = outputs[(names[0], fmt)] == outputs[(names[1], fmt)]
        print(f"{fmt:5s} export of {n} traced masks: {names[0]} {n / a:,.0f} inst/s, {names[1]} "
              f"{n / b:,.0f} inst/s, time ratio {b / a:.2f}x, same file but for export times: {same}; "
              f"{names[2]} {n / c:,.0f} inst/s, drafted/window time ratio {b / c:.2f}x ({load})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
