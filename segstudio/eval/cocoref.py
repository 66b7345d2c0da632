"""Run the reference `pycocotools` COCOeval on in-memory evaluation images.

Used by the tests (our AP must equal it) and the benchmark (the baseline), and by
`segstudio eval --check-coco`.  pycocotools is imported lazily.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from segstudio.core import rle
from segstudio.eval.compare import EvalImage


def to_coco(images: Sequence[EvalImage], categories: Sequence[tuple[int, str]]) -> tuple[dict, list[dict]]:
    """A COCO ground-truth dataset and a results list holding the same masks (image-wide RLE)."""
    gt = {"images": [], "annotations": [], "categories": [{"id": c, "name": n} for c, n in categories]}
    results: list[dict] = []
    ann_id = 1
    for k, img in enumerate(images, start=1):
        h, w = img.shape
        gt["images"].append({"id": k, "file_name": img.name, "height": h, "width": w})
        for j, g in enumerate(img.gt):
            area = float(img.gt_area[j]) if img.gt_area is not None else float(g.mask.area)
            gt["annotations"].append({
                "id": ann_id, "image_id": k, "category_id": g.category_id,
                "segmentation": rle.patch_to_image_rle(g.mask), "area": area,
                "bbox": list(g.mask.bbox()), "iscrowd": int(g.crowd),
            })
            ann_id += 1
        for p in img.pred:
            results.append({
                "image_id": k, "category_id": p.category_id,
                "segmentation": rle.patch_to_image_rle(p.mask),
                "score": 1.0 if p.score is None else float(p.score),
            })
    return gt, results


def run_cocoeval(gt: dict, results: list[dict], quiet: bool = True) -> tuple[np.ndarray, Any]:
    """COCOeval(segm) stats (12 numbers) for an in-memory dataset and results list, and the
    COCOeval object."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink) if quiet else contextlib.nullcontext():
        coco_gt = COCO()
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results) if results else COCO()
        ev = COCOeval(coco_gt, coco_dt, "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats), ev


def run_cocoeval_files(gt_path, results_path) -> np.ndarray:
    """COCOeval(segm) stats straight from the files (the reference for the file-based form)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(str(gt_path))
        ev = COCOeval(coco_gt, coco_gt.loadRes(str(results_path)), "segm")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.asarray(ev.stats)
