"""rembg side of bench/cutout_quality.py: run in a SEPARATE venv that has rembg installed.

    /tmp/rembg-venv/bin/python bench/cutout_rembg_worker.py LIST.txt OUT_DIR

LIST.txt holds one image path per line.  For each image it times rembg's `remove()` (u2netp,
the model file in ~/.u2net/, the default post-processing, RGBA output) on the decoded image,
writes the alpha channel to OUT_DIR/<stem>.png and prints one JSON line with the timings.
It imports nothing from segstudio, so it runs in any environment that has rembg.
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
    paths = [Path(p) for p in Path(sys.argv[1]).read_text().split("\n") if p.strip()]
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    session = new_session("u2netp")
    remove(Image.open(paths[0]).convert("RGB"), session=session)  # warm-up, not timed
    times = []
    for p in paths:
        img = Image.open(p).convert("RGB")
        img.load()
        t = time.perf_counter()
        cut = remove(img, session=session)
        times.append(time.perf_counter() - t)
        alpha = np.asarray(cut)[..., 3]
        Image.fromarray(alpha).save(out / f"{p.stem}.png")
    print(json.dumps({"times": times}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
