"""Training data from a project: which images, which split, which class each pixel is.

Classes: index 0 is "background" (pixels under no instance) unless `ignore_unlabelled`,
then the project's categories in their order (semantic), or one "foreground" class made
of the chosen categories (foreground).  Crowd instances are ignored, never learnt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from segstudio.core.categories import color_hex
from segstudio.io.images import ImageLoadError, load_image
from segstudio.store import ImageRecord, Project
from segstudio.training.transforms import IGNORE, shrink_to


class DataError(ValueError):
    """The project cannot provide training data (no labelled images, no categories...)."""


@dataclass(frozen=True)
class ClassInfo:
    name: str
    category_ids: tuple[int, ...]  # empty for background
    color: str = "#000000"


@dataclass
class TrainingData:
    classes: list[ClassInfo]
    train_ids: list[int]
    val_ids: list[int]
    mode: str  # "semantic" | "foreground"
    ignore_unlabelled: bool
    split_source: str  # "stored" | "auto"
    fingerprint: str = ""
    images: dict[int, str] = field(default_factory=dict)  # id -> relative path

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.classes]

    def snapshot(self) -> dict[str, Any]:
        """What the run record keeps: enough to know exactly which data trained the model."""
        return {
            "mode": self.mode,
            "classes": [asdict(c) for c in self.classes],
            "train_ids": self.train_ids,
            "val_ids": self.val_ids,
            "split_source": self.split_source,
            "ignore_unlabelled": self.ignore_unlabelled,
            "fingerprint": self.fingerprint,
            "images": {str(k): v for k, v in self.images.items()},
        }

    @classmethod
    def from_snapshot(cls, snap: dict[str, Any]) -> TrainingData:
        classes = [ClassInfo(c["name"], tuple(c["category_ids"]), c.get("color", "#000000")) for c in snap["classes"]]
        return cls(classes, list(snap["train_ids"]), list(snap["val_ids"]), snap["mode"],
                   bool(snap["ignore_unlabelled"]), snap["split_source"], snap.get("fingerprint", ""),
                   {int(k): v for k, v in snap.get("images", {}).items()})


def make_classes(project: Project, mode: str, ignore_unlabelled: bool,
                 categories: Sequence[str] | None = None) -> list[ClassInfo]:
    cats = list(project.categories())
    if categories:
        wanted = set(categories)
        missing = wanted - {c.name for c in cats}
        if missing:
            raise DataError(f"{project.root}: no category named {', '.join(sorted(missing))}")
        cats = [c for c in cats if c.name in wanted]
    if not cats:
        raise DataError(f"{project.root}: the project has no categories to learn")
    background = [] if ignore_unlabelled else [ClassInfo("background", ())]
    if mode == "foreground":
        return [ClassInfo("background", ()), ClassInfo("foreground", tuple(c.id for c in cats), "#ffffff")]
    return background + [ClassInfo(c.name, (c.id,), color_hex(c.color)) for c in cats]


def collect(
    project: Project,
    *,
    mode: str = "semantic",
    statuses: Sequence[str] = ("done",),
    image_ids: Sequence[int] | None = None,
    categories: Sequence[str] | None = None,
    ignore_unlabelled: bool = False,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> TrainingData:
    """Pick the labelled images and split them (stored split if any image is 'val', else seeded)."""
    if mode == "foreground":
        ignore_unlabelled = False  # the background is what foreground is learnt against
    classes = make_classes(project, mode, ignore_unlabelled, categories)
    if image_ids is not None:
        wanted = set(image_ids)
        records = [r for r in project.images() if r.id in wanted]
        missing = wanted - {r.id for r in records}
        if missing:
            raise DataError(f"{project.root}: no image with id {', '.join(map(str, sorted(missing)))}")
    else:
        records = [r for r in project.images() if r.status in statuses]
    records = [r for r in records if r.kind == "image" and r.split != "test"]
    if not records:
        raise DataError(
            f"{project.root}: no images to train on (status {'/'.join(statuses)}; mark images done "
            "or pass image ids)"
        )
    if any(r.split == "val" for r in records):
        val = [r.id for r in records if r.split == "val"]
        train = [r.id for r in records if r.split != "val"]
        source = "stored"
    else:
        ids = np.array([r.id for r in records])
        order = np.random.default_rng(seed).permutation(len(ids))
        n_val = int(round(len(ids) * val_fraction))
        if val_fraction > 0 and len(ids) >= 2:
            n_val = min(max(n_val, 1), len(ids) - 1)
        val = sorted(int(i) for i in ids[order[:n_val]])
        train = sorted(int(i) for i in ids[order[n_val:]])
        source = "auto"
    if not train:
        raise DataError(f"{project.root}: every selected image is in the validation split")
    data = TrainingData(classes, train, val, mode, ignore_unlabelled, source,
                        images={r.id: r.path for r in records})
    data.fingerprint = fingerprint(project, train + val)
    return data


def fingerprint(project: Project, image_ids: Sequence[int]) -> str:
    """A hash of the labels used (rle, category, z) so a changed label set is detectable."""
    return project.labels_fingerprint(image_ids)


def label_image(project: Project, record: ImageRecord, classes: Sequence[ClassInfo], ignore_unlabelled: bool) -> np.ndarray:
    """HxW uint8 class indices from the ground-truth instances (z-order: top wins)."""
    class_of: dict[int, int] = {}
    for idx, c in enumerate(classes):
        for cid in c.category_ids:
            class_of[cid] = idx
    out = np.full(record.shape, IGNORE if ignore_unlabelled else 0, np.uint8)
    for inst in project.load_instances(record.id):
        m = inst.mask
        if m.data.size == 0:
            continue
        region = out[m.y0 : m.y1, m.x0 : m.x1]
        if inst.crowd:
            region[m.data] = IGNORE
        elif inst.category_id in class_of:
            region[m.data] = class_of[inst.category_id]
        elif not ignore_unlabelled:
            region[m.data] = IGNORE  # a category not being learnt: neither background nor a class
    return out


def load_rgb(project: Project, record: ImageRecord) -> np.ndarray:
    path = project.image_path(record)
    try:
        img = load_image(path).rgb8()
    except ImageLoadError as e:
        raise DataError(str(e)) from None
    if img.shape[:2] != record.shape:
        raise DataError(f"{path}: the file is {img.shape[1]}x{img.shape[0]} but the project recorded "
                        f"{record.width}x{record.height}; re-add the image")
    return img


def load_pairs(project: Project, data: TrainingData, ids: Sequence[int], short_side: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode and shrink each image once; the epoch loop crops from this cache."""
    out = []
    for iid in ids:
        rec = project.image(iid)
        img = load_rgb(project, rec)
        lbl = label_image(project, rec, data.classes, data.ignore_unlabelled)
        out.append(shrink_to(img, lbl, short_side))
    return out


def class_frequencies(pairs: Sequence[tuple[np.ndarray, np.ndarray]], num_classes: int) -> np.ndarray:
    counts = np.zeros(num_classes, np.float64)
    for _, lbl in pairs:
        counts += np.bincount(lbl[lbl != IGNORE].ravel(), minlength=num_classes)[:num_classes]
    return counts
