"""Pascal VOC segmentation: `SegmentationClass/` and `SegmentationObject/` palette PNGs.

Layout (as VOC2012 and labelme2voc): `JPEGImages/`, `SegmentationClass/<stem>.png` (class index
per pixel, 0 background, 255 void), `SegmentationObject/<stem>.png` (instance index per pixel),
`ImageSets/Segmentation/{train,val,test,trainval}.txt`, `class_names.txt` (index = line number).
Export flattens overlaps by z order (top wins) and reports every instance that lost pixels;
import takes instances from SegmentationObject (class = majority under it) or, without it, one
instance per class from SegmentationClass.  Void (255) pixels are an ignore region: imported as
one `__ignore__` instance per image (option void=drop: nothing), and ignore categories are
exported as void (left out of class_names.txt).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from segstudio.core.masks import MaskPatch
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
from segstudio.io.png_palette import encode_indexed
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport

VOID = 255  # VOC's void: not evaluated (an ignore region)
IGNORE_NAME = "__ignore__"  # LabelMe's name for it (labelme2voc writes it as 255)

VOC_CLASSES = (
    "_background_", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair",
    "cow", "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)


def _class_names(root: Path) -> tuple[list[str], bool]:
    for name in ("class_names.txt", "labels.txt", "classes.txt"):
        f = root / name
        if f.is_file():
            names = [ln.strip() for ln in read_text(f).splitlines() if ln.strip()]
            if names and names[0] == "__ignore__":  # labelme's labels.txt: index -1
                names = names[1:]
            return names, True
    return list(VOC_CLASSES), False


def _splits(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    sets = root / "ImageSets" / "Segmentation"
    for split in ("train", "val", "test"):
        f = sets / f"{split}.txt"
        if f.is_file():
            for ln in read_text(f).split():
                out[ln.strip()] = split
    return out


def read(src: Path, options: dict, progress: ProgressFn | None, cancel: CancelToken | None) -> ImportPlan:
    if not src.is_dir():
        raise FormatError(src, "a VOC dataset is a folder (with SegmentationClass/ and/or SegmentationObject/)")
    cls_dir, obj_dir = src / "SegmentationClass", src / "SegmentationObject"
    if not cls_dir.is_dir():
        alt = src / "SegmentationClassPNG"  # labelme2voc's older name
        cls_dir = alt if alt.is_dir() else cls_dir
    if not cls_dir.is_dir() and not obj_dir.is_dir():
        raise FormatError(src, "no SegmentationClass/ or SegmentationObject/ folder")
    names, found = _class_names(src)
    plan = ImportPlan(ImportReport("voc"))
    if not found:
        plan.report.warn("no class_names.txt: using the 20 Pascal VOC class names")
    splits = _splits(src)
    img_dir = Path(options.get("images") or src / "JPEGImages")
    confine = Confined(src, src, bool(options.get("trust_paths")), also=(options.get("images"),))
    for stem, cls_map, obj_map, path in paired_maps(cls_dir, obj_dir, img_dir, ".jpg", "class map",
                                                    confine=confine, cancel=cancel, progress=progress):
        known = cls_map if cls_map is not None else obj_map
        assert known is not None  # paired_maps yields at least one of the two
        h, w = known.shape
        map_file = (cls_dir if cls_map is not None else obj_dir) / f"{stem}.png"
        im = PlanImage(path, w, h, split=splits.get(stem), ref=stem, source=map_file)
        if obj_map is not None:
            for value, patch in split_ids(obj_map, ignore=(0, 255)):
                cid = majority(cls_map, patch) if cls_map is not None else None
                if cls_map is None:
                    name = "object"
                elif cid is None:
                    plan.report.skip(f"{stem} object {value}", "no class under it (background/void only)")
                    continue
                else:
                    name = _name(names, cid, cls_dir / f"{stem}.png")
                im.instances.append(PlanInstance(plan.category(name), mask=patch))
        else:
            assert cls_map is not None
            for value, patch in split_ids(cls_map, ignore=(0, 255)):
                im.instances.append(PlanInstance(plan.category(_name(names, value, cls_dir / f"{stem}.png")),
                                                 mask=patch))
            plan.report.lose("semantic maps only: one instance per class and image", stem)
        void = np.asarray(known == VOID)
        if options.get("void", "ignore") == "ignore" and void.any():  # void: an ignore region
            im.instances.append(PlanInstance(plan.category(IGNORE_NAME, ignore=True),
                                             mask=MaskPatch.from_full(void).tight()))
        plan.images.append(im)
    return plan


def _name(names: list[str], index: int, f: Path) -> str:
    if index >= len(names):
        raise FormatError(f, f"class index {index} has no name (class_names.txt lists {len(names)})")
    return names[index]


def export(project, dst: Path, options: dict, progress: ProgressFn | None,
           cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("voc")
    all_cats = list(project.categories())
    cats = [c for c in all_cats if not c.ignore]
    if len(cats) > 254:
        raise ValueError(f"VOC class maps hold 254 classes; the project has {len(cats)}")
    index = {c.id: k + 1 for k, c in enumerate(cats)}
    index.update({c.id: VOID for c in all_cats if c.ignore})  # ignore regions are VOC's void
    names = category_names(project)
    stems = stem_names(export_images(project, options))
    how = options.get("images", "copy")
    sets: dict[str, list[str]] = {}
    with StagedOutput(dst, "voc") as out:
        out.write_text("class_names.txt", "\n".join(["_background_"] + [c.name for c in cats]) + "\n")
        for rec, instances in iter_images(project, options, rep, progress, cancel):
            stem = stems[rec.id]
            item = rec.name
            if len(instances) > 254:
                for inst in instances[254:]:
                    rep.skip(f"{item} #{inst.id}", "more than 254 instances in one image (VOC limit)")
                instances = instances[:254]
            for inst in instances:
                rep.count(names.get(inst.category_id, "?"))
                if inst.crowd:
                    rep.lose("crowd flags dropped", f"{item} #{inst.id}")
            cls = flatten(instances, rec.shape, lambda k, i: index[i.category_id], rep=None)
            obj = flatten(instances, rec.shape, lambda k, i: VOID if index[i.category_id] == VOID else k + 1,
                          rep=rep, item=item)
            out.write_bytes(f"SegmentationClass/{stem}.png", encode_indexed(cls.astype("uint8")))
            out.write_bytes(f"SegmentationObject/{stem}.png", encode_indexed(obj.astype("uint8")))
            place_record_image(project, rec, out, f"JPEGImages/{stem}", how, rep)
            sets.setdefault(rec.split or "train", []).append(stem)
        for split, ss in sets.items():
            out.write_text(f"ImageSets/Segmentation/{split}.txt", "\n".join(ss) + "\n")
        if "train" in sets and "val" in sets:
            out.write_text("ImageSets/Segmentation/trainval.txt", "\n".join(sets["train"] + sets["val"]) + "\n")
        rep.files = [str(dst / p) for p in out.written]
    return rep


FORMAT = FormatSpec(
    name="voc",
    description="Pascal VOC segmentation (SegmentationClass/SegmentationObject palette PNGs)",
    read_fn=read,
    export_fn=export,
    import_options=(Option("images", None, "folder of the images (default: SRC/JPEGImages)"),
                    Option("void", "ignore", "void pixels (255): an ignore region (category __ignore__) "
                           "or nothing", ("ignore", "drop"))),
    export_options=(Option("images", "copy", "put the images into JPEGImages/", ("copy", "link", "none")),),
    source="folder",
)
