"""Tiny synthetic projects for the training tests: 32x32 images with a red square (class
"box") and a blue disc (class "disc") on textured noise, labelled in the store."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project


def make_image(rng: np.random.Generator, size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    img = rng.integers(60, 120, (size, size, 3), dtype=np.uint8)
    box = np.zeros((size, size), np.uint8)
    x0, y0 = (int(v) for v in rng.integers(0, size // 2, 2))
    box[y0 : y0 + size // 3, x0 : x0 + size // 3] = 1
    disc = np.zeros((size, size), np.uint8)
    cx, cy = (int(v) for v in rng.integers(size // 4, 3 * size // 4, 2))
    cv2.circle(disc, (cx, cy), size // 6, 1, -1)
    disc[box > 0] = 0
    img[box > 0] = (220, 40, 40)
    img[disc > 0] = (40, 40, 220)
    return img, box.astype(bool), disc.astype(bool)


def build_project(root: Path, n: int = 8, size: int = 32, seed: int = 0, done: int | None = None) -> Project:
    rng = np.random.default_rng(seed)
    project = Project.create(root)
    box_cat = project.add_category("box")
    disc_cat = project.add_category("disc")
    (root / "img").mkdir()
    paths = []
    masks = []
    for i in range(n):
        img, box, disc = make_image(rng, size)
        p = root / "img" / f"{i:03d}.png"
        cv2.imwrite(str(p), img[:, :, ::-1])
        paths.append((p, size, size))
        masks.append((box, disc))
    ids = project.add_images(paths)
    done = n if done is None else done
    for k, (iid, (box, disc)) in enumerate(zip(ids, masks)):
        if k >= done:
            continue
        project.save_instances(iid, [
            Instance(1, box_cat.id, MaskPatch.from_full(box)),
            Instance(2, disc_cat.id, MaskPatch.from_full(disc)),
        ])
        project.set_status(iid, "done")
    return project


@pytest.fixture
def tiny_project(tmp_path):
    project = build_project(tmp_path / "proj")
    yield project
    project.close()
