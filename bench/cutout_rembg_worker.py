"""rembg side of bench/cutout_quality.py: run in a SEPARATE venv that has rembg installed.

    OMP_NUM_THREADS=1 /tmp/rembg-venv/bin/python bench/cutout_rembg_worker.py OUT_DIR

A line protocol, so the benchmark can interleave rembg and SegStudio image by image (the
shared machine's load then hits both alike): read an image path per line on stdin, time
rembg's `remove()` on the decoded image (u2netp, the model file in ~/.u2net/, default
post-processing, RGBA output), write its alpha to OUT_DIR/<stem>.png and answer one JSON
line {"s": seconds}.  The first image is also run once untimed (session warm-up).  It imports
nothing from segstudio, so it runs in any environment that has rembg.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from rembg import new_session, remove


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    session = new_session("u2netp")
    warm = False
    for line in sys.stdin:
        p = Path(line.strip())
        if not line.strip():
            continue
        img = Image.open(p).convert("RGB")
        img.load()
        if not warm:
            remove(img, session=session)
            warm = True
        t = time.perf_counter()
        cut = remove(img, session=session)
        dt = time.perf_counter() - t
        Image.fromarray(np.asarray(cut)[..., 3]).save(out / f"{p.stem}.png")
        print(json.dumps({"s": dt}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
