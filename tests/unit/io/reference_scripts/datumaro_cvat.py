"""Run in a venv with datumaro: load a CVAT XML export with Datumaro's CVAT importer and print
each item's annotations as JSON (masks as uncompressed pycocotools RLE)."""

import json
import sys

import numpy as np
from datumaro.components.annotation import AnnotationType
from datumaro.components.dataset import Dataset
from pycocotools import mask as cmask

path = sys.argv[1]
ds = Dataset.import_from(path, "cvat")
labels = ds.categories()[AnnotationType.label]
items = []
for item in ds:
    anns = []
    for a in item.annotations:
        d = {"type": a.type.name, "label": labels[a.label].name if a.label is not None else None,
             "z_order": getattr(a, "z_order", 0), "attributes": dict(a.attributes), "group": a.group}
        if a.type == AnnotationType.mask:
            m = np.asfortranarray(a.image.astype(np.uint8))
            r = cmask.encode(m)
            d["rle"] = {"size": list(r["size"]), "counts": r["counts"].decode("ascii")}
        elif hasattr(a, "points"):
            d["points"] = [float(v) for v in a.points]
        anns.append(d)
    size = item.media.size if item.media is not None else None
    items.append({"id": item.id, "path": item.media.path if item.media is not None else None,
                  "size": list(size) if size else None, "annotations": anns})
print(json.dumps(items))
