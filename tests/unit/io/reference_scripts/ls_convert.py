"""Run in a venv with label-studio-converter.

    ls_convert.py coco TASKS.json CONFIG.xml OUTDIR   -> the converter's COCO JSON (printed)
    ls_convert.py brush TASKS.json                    -> every brush result decoded by the
                                                         converter: [[task index, label, h, w,
                                                         [flat indices of the mask]], ...]
    ls_convert.py encode MASKS.json                   -> mask2rle of each [[0/1 rows]] mask
"""

import json
import sys
from pathlib import Path

import numpy as np

mode = sys.argv[1]
if mode == "coco":
    from label_studio_converter import Converter

    tasks, config, out = sys.argv[2:5]
    c = Converter(config=Path(config).read_text(), project_dir=str(Path(tasks).parent),
                  download_resources=False)
    c.convert_to_coco(tasks, out, is_dir=False)
    print(Path(out, "result.json").read_text())
elif mode == "brush":
    from label_studio_converter.brush import decode_rle

    out = []
    for k, task in enumerate(json.loads(Path(sys.argv[2]).read_text())):
        for r in task["annotations"][0]["result"]:
            if r["type"] != "brushlabels":
                continue
            h, w = r["original_height"], r["original_width"]
            m = decode_rle(r["value"]["rle"]).reshape(h, w, 4)[:, :, 3] > 0
            out.append([k, r["value"]["brushlabels"][0], h, w, np.flatnonzero(m).tolist()])
    print(json.dumps(out))
else:
    from label_studio_converter.brush import mask2rle

    masks = json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps([mask2rle((np.array(m) * 255).astype(np.uint8)) for m in masks]))
