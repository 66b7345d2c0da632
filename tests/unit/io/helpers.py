"""Synthetic projects for format tests: tiny images, instances with holes and several parts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store.project import Project


def blob_mask(rng: np.random.Generator, shape: tuple[int, int], holes: bool = True) -> np.ndarray:
    """One or two filled ellipses, optionally with a hole; never empty."""
    h, w = shape
    m = np.zeros(shape, np.uint8)
    for _ in range(int(rng.integers(1, 3))):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        ax = (int(rng.integers(2, max(3, w // 3))), int(rng.integers(2, max(3, h // 3))))
        cv2.ellipse(m, c, ax, float(rng.integers(0, 180)), 0, 360, 1, -1)
    if holes and rng.random() < 0.6:
        ys, xs = np.nonzero(m)
        if len(ys):
            j = int(rng.integers(0, len(ys)))
            cv2.circle(m, (int(xs[j]), int(ys[j])), int(rng.integers(1, 3)), 0, -1)
    if not m.any():
        m[h // 2, w // 2] = 1
    return m.astype(bool)


def make_project(
    root: Path,
    n_images: int = 3,
    shape: tuple[int, int] = (40, 50),
    per_image: int = 3,
    seed: int = 0,
    categories: tuple[str, ...] = ("cat", "dog"),
    splits: tuple[str | None, ...] = (None,),
    write_images: bool = True,
) -> Project:
    rng = np.random.default_rng(seed)
    img_dir = root / "images"
    img_dir.mkdir(parents=True, exist_ok=True)
    project = Project.create(root / "project")
    cats = [project.add_category(c) for c in categories]
    paths = []
    for i in range(n_images):
        p = img_dir / f"img{i:03d}.png"
        if write_images:
            pixels = rng.integers(0, 255, (*shape, 3), dtype=np.uint8)
            cv2.imwrite(str(p), pixels)
        paths.append((p, shape[1], shape[0]))
    ids = project.add_images(paths)
    for k, iid in enumerate(ids):
        split = splits[k % len(splits)]
        if split:
            project.set_split(iid, split)
        insts = []
        for j in range(per_image):
            m = blob_mask(rng, shape)
            insts.append(Instance(j + 1, cats[j % len(cats)].id, MaskPatch.from_full(m)))
        project.replace_instances(iid, insts)
    return project


def masks_by_image(project: Project, label_set: str = "gt") -> dict[str, list[tuple[str, np.ndarray]]]:
    """file name -> [(category name, full mask)] bottom to top."""
    names = {c.id: c.name for c in project.categories()}
    out = {}
    for rec in project.images():
        out[rec.name] = [
            (names[i.category_id], i.mask.to_full()) for i in project.load_instances(rec.id, 0, label_set)
        ]
    return out
