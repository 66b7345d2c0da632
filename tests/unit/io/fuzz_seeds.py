"""Seed datasets for the importers' fuzz harness (`fuzz.py`): valid files of every importing
format, exported from one small project (two 48x64 images; instances with a hole, in two
parts, drawn as a polygon), plus hand-made video datasets (YouTube-VIS, per-frame COCO, DAVIS)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SECRET = b"root:x:0:0:not-an-image\n"  # a file outside the dataset that must never be imported


@dataclass(frozen=True)
class Seed:
    name: str  # e.g. "coco-rle"
    fmt: str  # the format to import
    folder: Path  # the dataset (copied per case)
    arg: str  # SRC relative to the folder ("." for the folder itself)


def make_seeds(root: Path) -> list[Seed]:
    """Valid datasets of every importing format, exported from one small project."""
    import cv2
    import numpy as np

    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch
    from segstudio.core.tools.shapes import drawn_polygon
    from segstudio.io import registry
    from segstudio.store.project import Project

    root.mkdir(parents=True, exist_ok=True)
    (root / "outside").mkdir(exist_ok=True)
    (root / "outside" / "passwd").write_bytes(SECRET)
    images = root / "src-images"
    images.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    project = Project.create(root / "src-project")
    cats = [project.add_category(n) for n in ("cat", "dog", "bird")]
    paths = []
    for k in range(2):
        p = images / f"img{k}.png"
        cv2.imwrite(str(p), rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
        paths.append((p, 64, 48))
    for k, iid in enumerate(project.add_images(paths)):
        project.set_split(iid, ("train", "val")[k])
        m = np.zeros((48, 64), bool)
        m[5:30, 6:40] = True
        m[12:16, 15:20] = False  # a hole
        m2 = np.zeros((48, 64), bool)
        m2[35:44, 2:10] = True
        m2[36:40, 50:60] = True  # two parts
        poly, drawn = drawn_polygon(np.array([[40, 5], [60, 8], [55, 30], [42, 25]]), (48, 64))
        project.replace_instances(iid, [Instance(1, cats[0].id, MaskPatch.from_full(m)),
                                        Instance(2, cats[1].id, MaskPatch.from_full(m2)),
                                        Instance(3, cats[2].id, poly, shape=drawn)])
    seeds: list[Seed] = []

    def export(name: str, fmt: str, dst: str, opts: dict, arg: str = ".") -> None:
        folder = root / "seeds" / name
        spec = registry.get_format(fmt)
        names = {o.name: o for o in spec.all_export_options()}
        opts = dict(opts)
        if "images" in names and names["images"].choices and "copy" in names["images"].choices:
            opts.setdefault("images", "copy")
        elif "copy_images" in names:
            opts.setdefault("copy_images", True)
        registry.export(fmt, project, folder / dst, opts)
        seeds.append(Seed(name, fmt, folder, arg))

    export("coco-rle", "coco", "annotations", {"segmentation": "rle"}, "annotations/instances_val.json")
    export("coco-poly", "coco", ".", {"segmentation": "polygons"}, "instances_train.json")
    export("labelme", "labelme", "out", {}, "out")
    export("labelme-embedded", "labelme", "out", {"embed_images": True, "images": "reference"}, "out")
    for f in (root / "seeds" / "labelme-embedded" / "out").glob("*.json"):  # images only embedded
        doc = json.loads(f.read_text())
        f.write_text(json.dumps({**doc, "imagePath": Path(doc["imagePath"]).name}))
    export("voc", "voc", "out", {}, "out")
    export("yolo", "yolo", "out", {}, "out")
    export("labelmap", "labelmap", "out", {}, "out")
    export("cvat", "cvat", "annotations.xml", {}, "annotations.xml")
    export("label-studio", "label-studio", "tasks.json", {}, "tasks.json")
    project.close()
    seeds += _video_seeds(root / "seeds")
    return seeds


def _video_seeds(base: Path) -> list[Seed]:
    import cv2
    import numpy as np

    from segstudio.core import rle
    from segstudio.io.png_palette import encode_indexed

    folder = base / "video"
    frames = folder / "JPEGImages" / "clip"
    frames.mkdir(parents=True, exist_ok=True)
    masks = folder / "Annotations" / "clip"
    masks.mkdir(parents=True, exist_ok=True)
    segs, names = [], []
    for f in range(3):
        cv2.imwrite(str(frames / f"{f:05d}.jpg"), np.full((48, 64, 3), 40 * f, np.uint8))
        m = np.zeros((48, 64), np.uint8)
        m[5 + f:25 + f, 10:30] = 1
        m[30:40, 40 + f:50 + f] = 2
        (masks / f"{f:05d}.png").write_bytes(encode_indexed(m))
        segs.append(rle.encode(m == 1))
        names.append(f"clip/{f:05d}.jpg")
    video = {"id": 1, "width": 64, "height": 48, "length": 3, "file_names": names}
    cats = [{"id": 1, "name": "thing"}]
    poly = [[10, 5, 30, 5, 30, 25, 10, 25]]
    ytvis = {"videos": [video], "categories": cats, "annotations": [
        {"id": 1, "video_id": 1, "category_id": 1, "segmentations": segs},
        {"id": 2, "video_id": 1, "category_id": 1, "segmentations": [poly, None, poly]}]}
    (folder / "ytvis.json").write_text(json.dumps(ytvis))
    cv = {"videos": [{k: video[k] for k in ("id", "width", "height", "length")}], "categories": cats,
          "images": [{"id": f + 1, "file_name": names[f], "video_id": 1, "frame_id": f, "width": 64,
                      "height": 48} for f in range(3)],
          "annotations": [{"id": f + 1, "image_id": f + 1, "category_id": 1, "instance_id": 1,
                           "segmentation": segs[f] if f % 2 else poly} for f in range(3)]}
    (folder / "cocovid.json").write_text(json.dumps(cv))
    # the images root of the JSON formats is found beside the JSON: JPEGImages/
    return [Seed("youtube-vis", "youtube-vis", folder, "ytvis.json"),
            Seed("coco-video", "coco-video", folder, "cocovid.json"),
            Seed("davis", "davis", folder, ".")]
