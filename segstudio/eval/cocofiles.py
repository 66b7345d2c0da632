"""Read a COCO ground-truth file and a COCO results file for file-based evaluation.

Segmentations are decoded exactly as COCOeval does (`annToRLE`: polygons through
pycocotools' rasteriser, uncompressed RLE through `frPyObjects`), the ground
truth's `area` field drives the area ranges, and results on images absent from
the ground truth are an error, as in `COCO.loadRes`.  Every problem names the file
and the JSON path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pycocotools import mask as cmask

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.eval.compare import EvalImage
from segstudio.io.errors import FormatError, JsonReader, load_json


def decode_segmentation(seg: JsonReader, shape: tuple[int, int]) -> MaskPatch:
    """A COCO segmentation (polygons, RLE with str or list counts) as a patch of the image."""
    h, w = shape
    value = seg.value
    try:
        if isinstance(value, list):
            polys = [p for p in value if isinstance(p, list) and len(p) >= 6]
            if len(polys) != len(value):
                raise seg.error("polygons must be arrays of at least 3 x, y pairs")
            if not polys:
                return MaskPatch.empty(shape)
            rle = cmask.merge(cmask.frPyObjects([[float(v) for v in p] for p in polys], h, w))
        elif isinstance(value, dict):
            size = seg.get("size", list)
            counts = seg.get("counts", str, list)
            if [int(v) for v in size] != [h, w]:
                raise seg.error(f"RLE size {size} differs from the image size [{h}, {w}]")
            if isinstance(counts, list):
                if sum(int(c) for c in counts) != h * w:
                    raise seg.error(f"RLE counts sum to {sum(counts)}, expected {h * w}")
                rle = cmask.frPyObjects({"size": [h, w], "counts": counts}, h, w)
            else:
                rle = {"size": [h, w], "counts": counts.encode("ascii")}
        else:
            raise seg.error("expected polygons (an array) or an RLE object")
        return MaskPatch.from_full(cmask.decode(rle).astype(bool))
    except FormatError:
        raise
    except (ValueError, TypeError, UnicodeEncodeError) as e:
        raise seg.error(f"cannot decode the segmentation ({e})") from None


def _index_gt(path: Path) -> tuple[JsonReader, dict[int, dict[str, Any]], list[tuple[int, str]]]:
    root = JsonReader(path, load_json(path))
    root.expect(dict)
    images: dict[int, dict[str, Any]] = {}
    for r in root.items("images"):
        iid = r.get("id", int)
        if iid in images:
            raise r.error(f"duplicate image id {iid}")
        images[iid] = {
            "name": r.get("file_name", str, default=str(iid)),
            "shape": (r.get("height", int), r.get("width", int)),
            "gt": [], "area": [], "pred": [],
        }
    cats = []
    for r in root.items("categories"):
        cats.append((r.get("id", int), r.get("name", str, default=str(r.get("id", int)))))
    return root, images, sorted(cats)


def _image_and_mask(r: JsonReader, images: dict[int, dict[str, Any]], missing: str
                    ) -> tuple[dict[str, Any], MaskPatch]:
    """The ground-truth image an annotation or result names (`image_id <id> <missing>` when
    `images` lacks it) and its decoded segmentation."""
    iid = r.get("image_id", int)
    if iid not in images:
        raise r.error(f"image_id {iid} {missing}")
    im = images[iid]
    return im, decode_segmentation(r.child("segmentation"), im["shape"])


def load_coco_pair(gt_path: str | Path, results_path: str | Path) -> tuple[list[EvalImage], list[tuple[int, str]]]:
    """EvalImages (sorted by image id) and categories from a COCO dataset and a results file.

    The results may be a COCO results list or a COCO dataset whose annotations carry scores.
    """
    gt_path, results_path = Path(gt_path), Path(results_path)
    root, images, cats = _index_gt(gt_path)
    for r in root.items("annotations"):
        im, mask = _image_and_mask(r, images, "is not in the file's images")
        crowd = bool(r.get("iscrowd", int, bool, default=0))
        ann_id = r.get("id", int)
        im["gt"].append(Instance(ann_id, r.get("category_id", int), mask, "import", crowd=crowd))
        im["area"].append(float(r.get("area", int, float, default=mask.area)))
    res = JsonReader(results_path, load_json(results_path))
    items = res.items("annotations") if isinstance(res.value, dict) else res.items()
    for k, r in enumerate(items, start=1):
        r.expect(dict)
        im, mask = _image_and_mask(r, images, f"is not an image of {gt_path.name}")
        score = float(r.get("score", int, float, default=1.0))
        im["pred"].append(Instance(k, r.get("category_id", int), mask, "model", score))
    out = [
        EvalImage(iid, im["name"], im["shape"], im["gt"], im["pred"], gt_area=im["area"])
        for iid, im in sorted(images.items())
    ]
    return out, cats

