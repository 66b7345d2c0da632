"""Objects to train the click model on: (RGB image, one object's mask) pairs, from a folder in
the NoC layouts (img/+gt/, images/+masks/, data_GT/+boundary_GT/) or from a project's accepted
instances, and their augmentation.

Images are kept in memory at a long side of at most `max_side` pixels (the network sees 256 px
views, and a zoom box of a small object in a 640 px photo is already enlarged).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MAX_SIDE = 640


@dataclass
class ClickObject:
    name: str
    image: np.ndarray  # HxWx3 uint8 RGB
    mask: np.ndarray  # HxW bool
    group: str = ""  # objects of one group (a video sequence, a photo) go to the same split


def shrink(image: np.ndarray, mask: np.ndarray, max_side: int = MAX_SIDE) -> tuple[np.ndarray, np.ndarray]:
    h, w = mask.shape
    s = max_side / max(h, w)
    if s >= 1:
        return image, mask
    size = (max(1, round(w * s)), max(1, round(h * s)))
    img = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    m = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5
    return img, m


def load_folder(
    folder: str | Path,
    max_side: int = MAX_SIDE,
    progress: Callable[[int, int], None] | None = None,
) -> list[ClickObject]:
    """Every image/mask pair of a dataset folder (ignored 128 bands count as background)."""
    from segstudio.eval import noc
    from segstudio.io.images import load_image

    samples = noc.find_samples(Path(folder))
    out = []
    for i, s in enumerate(samples):
        gt, _ignore = noc.load_mask(s)
        rgb = load_image(s.image).rgb8()
        if rgb.shape[:2] != gt.shape:
            raise ValueError(f"{s.mask}: mask size {gt.shape} differs from image {rgb.shape[:2]}")
        if not gt.any():
            continue
        img, m = shrink(rgb, gt, max_side)
        out.append(ClickObject(s.name, np.ascontiguousarray(img), m, s.name))
        if progress is not None:
            progress(i + 1, len(samples))
    return out


def split(objects: Sequence[ClickObject], val_every: int) -> tuple[list[ClickObject], list[ClickObject]]:
    """Deterministic split by group: every `val_every`-th group (sorted) is validation."""
    groups = sorted({o.group for o in objects})
    val_groups = set(groups[val_every - 1 :: val_every]) if val_every > 0 else set()
    train = [o for o in objects if o.group not in val_groups]
    val = [o for o in objects if o.group in val_groups]
    return train, val


# ----------------------------------------------------------------------------- augmentation
def color_jitter(img: np.ndarray, rng: np.random.Generator, strength: float = 0.25) -> np.ndarray:
    x = img.astype(np.float32)
    b = rng.uniform(1 - strength, 1 + strength)
    c = rng.uniform(1 - strength, 1 + strength)
    s = rng.uniform(1 - strength, 1 + strength)
    mean = x.mean()
    x = (x - mean) * c + mean * b
    gray = x.mean(axis=2, keepdims=True)
    x = gray + (x - gray) * s
    return np.clip(x, 0, 255).astype(np.uint8)


def augment(obj: ClickObject, rng: np.random.Generator, others: Sequence[ClickObject] = (),
            paste_p: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Flip, rescale (0.7-1.3), colour jitter; sometimes the object is pasted onto another
    training photo (new surroundings for the same shape)."""
    img, m = obj.image, obj.mask
    if others and rng.random() < paste_p:
        img, m = _paste_onto(img, m, others[int(rng.integers(len(others)))].image, rng)
    s = rng.uniform(0.7, 1.3)
    h, w = m.shape
    if max(h, w) * s > MAX_SIDE * 1.3:
        s = MAX_SIDE * 1.3 / max(h, w)
    size = (max(8, round(w * s)), max(8, round(h * s)))
    img = cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    m = cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if rng.random() < 0.5:
        img, m = img[:, ::-1], m[:, ::-1]
    img = color_jitter(img, rng)
    if not m.any():  # a tiny object lost in the resize: keep the original
        return obj.image, obj.mask
    return np.ascontiguousarray(img), np.ascontiguousarray(m)


def _paste_onto(img: np.ndarray, m: np.ndarray, bg: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.nonzero(m)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    patch, pm = img[y0:y1, x0:x1], m[y0:y1, x0:x1]
    H, W = bg.shape[:2]
    ph, pw = pm.shape
    s = min(1.0, 0.9 * W / pw, 0.9 * H / ph) * rng.uniform(0.6, 1.0)
    size = (max(4, round(pw * s)), max(4, round(ph * s)))
    patch = cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    pm = cv2.resize(pm.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    oy = int(rng.integers(0, H - size[1] + 1))
    ox = int(rng.integers(0, W - size[0] + 1))
    out = bg.copy()
    region = out[oy : oy + size[1], ox : ox + size[0]]
    # a feathered edge (as real boundaries are) so the network cannot cheat on a hard seam
    alpha = cv2.GaussianBlur(pm.astype(np.float32), (0, 0), 0.8)[..., None]
    region[:] = (alpha * patch + (1 - alpha) * region).astype(np.uint8)
    mask = np.zeros((H, W), bool)
    mask[oy : oy + size[1], ox : ox + size[0]] = pm
    return out, mask


def load_project_objects(project, data, ids: Sequence[int], min_area: int = 16,
                         max_side: int = MAX_SIDE) -> list[ClickObject]:
    """Every accepted instance (ground truth, not crowd, of the chosen categories, at least
    `min_area` pixels) on the given images, as click-training objects; one image decode each."""
    from segstudio.training.data import load_rgb

    wanted = {cid for c in data.classes for cid in c.category_ids}
    out = []
    for iid in ids:
        rec = project.image(iid)
        insts = [i for i in project.load_instances(iid)
                 if not i.crowd and i.category_id in wanted and int(i.mask.data.sum()) >= min_area]
        if not insts:
            continue
        rgb = load_rgb(project, rec)
        img = None
        for inst in insts:
            m = np.zeros(rec.shape, bool)
            p = inst.mask
            m[p.y0 : p.y1, p.x0 : p.x1] = p.data
            small_img, small = shrink(rgb, m, max_side)
            if img is None:
                img = np.ascontiguousarray(small_img)  # one copy of the image for all its objects
            if small.any():
                out.append(ClickObject(f"{rec.path}#{inst.id}", img, small, str(iid)))
    return out
