"""Synthetic benchmark data shared by the canvas benchmarks (no segstudio import: the LabelMe
side runs in its own virtual environment).  An NxN photo-like JPEG and K random polygons,
written as a LabelMe JSON next to the image."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np


def make_image(path: Path, size: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (max(2, size // 256), max(2, size // 256), 3), dtype=np.uint8)
    img = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(0, 24, (size, size // 8 + 1, 1), dtype=np.uint8)
    img = cv2.add(img, np.repeat(noise, 8, axis=1)[:, :size].repeat(3, axis=2))
    cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, 90])


def make_polygons(size: int, count: int, seed: int = 1) -> list[np.ndarray]:
    """Star-shaped blobs, radius 20-160 px, 24-48 vertices, anywhere in the image."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        r = rng.uniform(20, 160)
        cx, cy = rng.uniform(r, size - r, 2)
        n = int(rng.integers(24, 49))
        ang = np.sort(rng.uniform(0, 2 * math.pi, n))
        rad = r * rng.uniform(0.6, 1.0, n)
        out.append(np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], axis=1))
    return out


def write_labelme(json_path: Path, image_name: str, size: int, polygons: list[np.ndarray]) -> None:
    shapes = [
        {"label": f"class{k % 5}", "points": p.round(2).tolist(), "group_id": None, "shape_type": "polygon", "flags": {}}
        for k, p in enumerate(polygons)
    ]
    doc = {"version": "5.0.0", "flags": {}, "shapes": shapes, "imagePath": image_name, "imageData": None, "imageHeight": size, "imageWidth": size}
    json_path.write_text(json.dumps(doc))


def ensure(folder: Path, size: int, count: int) -> tuple[Path, Path, list[np.ndarray]]:
    folder.mkdir(parents=True, exist_ok=True)
    img = folder / f"bench_{size}.jpg"
    js = folder / f"bench_{size}_{count}.json"
    polys = make_polygons(size, count)
    if not img.exists():
        make_image(img, size)
    if not js.exists():
        write_labelme(js, img.name, size, polys)
    return img, js, polys
