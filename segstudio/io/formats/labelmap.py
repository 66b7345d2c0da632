"""Label-map PNGs: semantic (class index per pixel) and instance-id (16-bit) maps.

Export writes `semantic/<stem>.png` (8-bit gray, 16-bit when more than 254 classes; 0 is
background, class k is line k of `classes.txt`) and `instances/<stem>.png` (16-bit gray,
instance 1..N in z order, 0 background) -- option `kind` picks one or both.  Overlaps are
flattened by z order (top wins) and reported.  Import reads `instances/` when present (class =
majority of the semantic map under each instance, else "object"), otherwise one instance per
class from `semantic/`.  Images: `images/<stem>.*` beside the maps, or a project image with the
same file stem (for masks made for images already in a project).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.io.atomic import StagedOutput
from segstudio.io.confine import Confined
from segstudio.io.errors import FormatError, read_text
from segstudio.io.exporting import (
    category_names,
    export_images,
    iter_images,
    place_record_image,
    stem_names,
)
from segstudio.io.formats._maps import flatten, majority, paired_maps, split_ids
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport


def _png(arr: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", arr)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("labelmap")
    kind = options.get("kind", "both")
    all_cats = list(project.categories())
    cats = [c for c in all_cats if not c.ignore]
    index = {c.id: k + 1 for k, c in enumerate(cats)}
    sem_dtype = np.uint8 if len(cats) <= 254 else np.uint16
    void = int(np.iinfo(sem_dtype).max)  # ignore regions: 255 (65535 in 16-bit maps)
    index.update({c.id: void for c in all_cats if c.ignore})
    names = category_names(project)
    stems = stem_names(export_images(project, options))
    how = options.get("images", "link")
    with StagedOutput(dst, "labelmap") as out:
        out.write_text("classes.txt", "\n".join(["background"] + [c.name for c in cats]) + "\n")
        for rec, instances in iter_images(project, options, rep, progress, cancel):
            stem = stems[rec.id]
            if len(instances) > 65535:
                raise ValueError(f"{rec.name}: more than 65535 instances do not fit a 16-bit map")
            for inst in instances:
                rep.count(names.get(inst.category_id, "?"))
            if kind in ("semantic", "both"):
                sem = flatten(instances, rec.shape, lambda k, i: index[i.category_id], sem_dtype,
                              rep=rep if kind == "semantic" else None, item=rec.name)
                out.write_bytes(f"semantic/{stem}.png", _png(sem))
            if kind in ("instance", "both"):
                ids = flatten(instances, rec.shape, lambda k, i: k + 1, np.uint16, rep=rep, item=rec.name)
                out.write_bytes(f"instances/{stem}.png", _png(ids))
            place_record_image(project, rec, out, f"images/{stem}", how, rep)
        rep.files = [str(dst / p) for p in out.written]
    return rep


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    if not src.is_dir():
        raise FormatError(src, "a label-map dataset is a folder (semantic/ and/or instances/)")
    sem_dir, ins_dir = src / "semantic", src / "instances"
    if not sem_dir.is_dir() and not ins_dir.is_dir():
        sem_dir = src  # a plain folder of class-index PNGs
    names = ["background"]
    cls_file = src / "classes.txt"
    if cls_file.is_file():
        names = [ln.strip() for ln in read_text(cls_file).splitlines() if ln.strip()]
    plan = ImportPlan(ImportReport("labelmap"))
    img_dir = Path(options.get("images") or src / "images")
    confine = Confined(src, src, bool(options.get("trust_paths")), also=(options.get("images"),))
    for stem, sem, ins, path in paired_maps(sem_dir, ins_dir, img_dir, ".png", "semantic map",
                                            single_channel=True, confine=confine, cancel=cancel, progress=progress):
        known = ins if ins is not None else sem
        assert known is not None  # paired_maps yields at least one of the two
        h, w = known.shape
        map_file = (ins_dir if ins is not None else sem_dir) / f"{stem}.png"
        im = PlanImage(path, w, h, ref=stem, source=map_file)
        if ins is not None:
            for _, patch in split_ids(ins):
                cid = majority(sem, patch, ignore=(0,)) if sem is not None else None
                name = _name(names, cid, sem_dir / f"{stem}.png") if cid is not None else "object"
                im.instances.append(PlanInstance(_category(plan, names, cid, name), mask=patch))
        else:
            assert sem is not None
            for value, patch in split_ids(sem):
                name = _name(names, value, sem_dir / f"{stem}.png")
                im.instances.append(PlanInstance(_category(plan, names, value, name), mask=patch))
        plan.images.append(im)
    return plan


def _name(names: list[str], index: int, f: Path) -> str:
    if index < len(names):
        return names[index]
    if index in (255, 65535):
        return "__ignore__"
    return f"class{index}"


def _category(plan: ImportPlan, names: list[str], value: int | None, name: str) -> str:
    """255 (65535) beyond classes.txt is the ignore region, as in VOC."""
    unnamed_void = value in (255, 65535) and value >= len(names)
    return plan.category(name, ignore=True if unnamed_void else None)


FORMAT = FormatSpec(
    name="labelmap",
    description="label-map PNGs: semantic class indices and 16-bit instance ids (+ classes.txt)",
    read_fn=read,
    export_fn=export,
    import_options=(Option("images", None, "folder of the images (default: SRC/images)"),),
    export_options=(
        Option("kind", "both", "which maps to write", ("semantic", "instance", "both")),
        Option("images", "link", "put the images into images/ (link: hard or symbolic links; the maps "
               "name images by file stem only)", ("link", "copy", "none")),
    ),
    source="folder",
)
