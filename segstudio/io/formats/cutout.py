"""Cutouts: RGBA PNGs with a transparent background, per image and/or per instance (export only).

`images/<stem>.png` is the whole image with alpha = union of its instances; `instances/<stem>/
<stem>_<id>_<category>.png` is each instance cropped to its box (alpha = its mask, pixels of
instances above it included -- a cutout shows the object as annotated, not as visible).
Images deeper than 8 bits are converted for PNG display and reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.io.atomic import StagedOutput
from segstudio.io.exporting import category_names, export_images, iter_images, stem_names
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "x"


def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    from segstudio.io.images import ImageLoadError, load_image

    rep = ExportReport("cutout")
    per = options.get("per", "both")
    names = category_names(project)
    stems = stem_names(export_images(project, options))
    with StagedOutput(dst, "cutout") as out:
        for rec, instances in iter_images(project, options, rep, progress, cancel):
            try:
                loaded = load_image(project.image_path(rec))
            except ImageLoadError as e:
                rep.skip(rec.name, str(e))
                continue
            if loaded.shape != rec.shape:
                rep.skip(rec.name, f"image is {loaded.width}x{loaded.height}, project says {rec.width}x{rec.height}")
                continue
            if loaded.data.dtype != np.uint8:
                rep.lose("images converted to 8 bits per channel", rec.name)
            rgb = loaded.rgb8()
            bgra = np.dstack([rgb[..., ::-1], np.zeros(rec.shape, np.uint8)])
            stem = stems[rec.id]
            union = np.zeros(rec.shape, bool)
            for inst in instances:
                m = inst.mask
                cat = names.get(inst.category_id, "?")
                rep.count(cat)
                union[m.y0 : m.y1, m.x0 : m.x1] |= m.data
                if per in ("instance", "both"):
                    crop = bgra[m.y0 : m.y1, m.x0 : m.x1].copy()
                    crop[..., 3] = m.data * 255
                    out.write_bytes(f"instances/{stem}/{stem}_{inst.id}_{_safe(cat)}.png", _png(crop))
            if per in ("image", "both"):
                full = bgra.copy()
                full[..., 3] = union * 255
                out.write_bytes(f"images/{stem}.png", _png(full))
        rep.files = [str(dst / p) for p in out.written]
    return rep


def _png(bgra: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", bgra)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


FORMAT = FormatSpec(
    name="cutout",
    description="RGBA cutouts with transparent background, per image and per instance (export only)",
    export_fn=export,
    export_options=(Option("per", "both", "cutouts per image, per instance or both", ("image", "instance", "both")),),
    source="folder",
)
