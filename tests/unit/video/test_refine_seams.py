"""GrabCut refinement must not write seams into propagated masks.

The refiner works at a reduced scale and brings its answer back to full resolution; choosing
between the two scales per coarse pixel left 1-pixel horizontal slits along coarse rows (every
~5 rows; ~80 slit pixels a frame on this pan, thousands over a clip), which were stored and
exported.  Real photo: the bundled sample astronaut.jpg (public domain), panned like a camera.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.io.video_source import open_source
from segstudio.video import refine
from segstudio.video.propagate import propagate
from segstudio.video.refine import GrabCutRefiner, NoRefiner

SAMPLE = Path(__file__).resolve().parents[3] / "segstudio" / "resources" / "samples" / "astronaut.jpg"


def slit_pixels(mask: np.ndarray) -> int:
    """Pixels of 1-pixel-high horizontal background runs (>= 3 px) with the object above and below."""
    inner = (~mask[1:-1] & mask[:-2] & mask[2:]).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(inner, connectivity=4)
    return int(sum(stats[k, cv2.CC_STAT_AREA] for k in range(1, n)
                   if stats[k, cv2.CC_STAT_WIDTH] >= 3 and stats[k, cv2.CC_STAT_HEIGHT] == 1))


def _pan(tmp_path: Path, n: int = 8, step: int = 3):
    img = cv2.imread(str(SAMPLE))
    gc = np.zeros(img.shape[:2], np.uint8)
    cv2.setRNGSeed(0)  # GrabCut's k-means start: the same start mask whatever test ran before
    cv2.grabCut(img, gc, (20, 20, 420, 490), np.zeros((1, 65)), np.zeros((1, 65)), 4, cv2.GC_INIT_WITH_RECT)
    person = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    width = img.shape[1] - n * step
    for i in range(n):
        cv2.imwrite(str(tmp_path / f"{i:05d}.png"), img[:, i * step:i * step + width])
    return person[:, :width]


def _propagate(folder: Path, start: np.ndarray, refiner) -> dict[int, np.ndarray]:
    out: dict[int, np.ndarray] = {}
    with open_source(folder) as src:
        propagate(src, 0, {0: MaskPatch.from_full(start)}, refiner=refiner,
                  on_frame=lambda r: out.__setitem__(r.frame, r.masks[0].to_full()))
    return out


def test_grabcut_propagation_writes_no_slits(tmp_path):
    start = _pan(tmp_path)
    assert start.sum() > 50_000 and slit_pixels(start) == 0
    refined = _propagate(tmp_path, start, GrabCutRefiner())
    flow_only = _propagate(tmp_path, start, NoRefiner())
    assert len(refined) == 7
    assert [slit_pixels(m) for m in refined.values()] == [0] * 7
    # and the refinement still follows the object as well as the motion alone does
    for f, m in refined.items():
        assert (m & flow_only[f]).sum() / (m | flow_only[f]).sum() > 0.8


def test_combine_scales_keeps_the_fine_edge_and_takes_thick_corrections():
    warped = np.zeros((100, 100), bool)
    warped[20:80, 20:80] = True
    coarse = cv2.resize(warped.astype(np.uint8), (50, 50), interpolation=cv2.INTER_AREA) > 0
    coarse[30:40, 10:40] = False  # GrabCut removed a thick part (rows 60-80 at full scale)
    out = refine.combine_scales(warped, coarse, 0.5)
    assert not out[62:78, 24:76].any()  # the thick correction is taken
    assert out[20:58, 20:80].all()  # elsewhere the warped mask's own edge is kept, unbroken
    assert slit_pixels(out) == 0
