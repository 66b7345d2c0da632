"""Shared helpers for label-map formats (VOC, label-map PNGs): flatten instances, split maps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.confine import Confined
from segstudio.io.errors import FormatError
from segstudio.io.png_palette import read_label_png

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def load_label_map(path: Path, single_channel: bool = False) -> np.ndarray:
    try:
        arr = read_label_png(path)
    except (OSError, ValueError) as e:
        raise FormatError(path, str(e)) from None
    if single_channel and arr.ndim != 2:
        raise FormatError(path, "expected a single-channel label map")
    return arr


def paired_maps(
    first_dir: Path,
    second_dir: Path,
    img_dir: Path,
    default_ext: str,
    first_name: str,
    *,
    single_channel: bool = False,
    confine: Confined | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> Iterator[tuple[str, np.ndarray | None, np.ndarray | None, Path]]:
    """For every stem with a PNG in either folder: (stem, first map, second map, image path).

    Either map may be missing (None); when both exist their sizes must agree.  The image is
    the first `img_dir/stem.EXT` that exists, else `img_dir/stem + default_ext`; `confine`
    refuses one that is a link leading out of the dataset.  Stems whose maps are not regular
    files (a link to a device) are skipped.
    """
    stems = sorted({p.stem for d in (first_dir, second_dir) if d.is_dir() for p in d.glob("*.png")})
    for k, stem in enumerate(stems):
        if cancel is not None:
            cancel.check()
        report(progress, k, len(stems), stem)
        a_path, b_path = first_dir / f"{stem}.png", second_dir / f"{stem}.png"
        a = load_label_map(a_path, single_channel) if a_path.is_file() else None
        b = load_label_map(b_path, single_channel) if b_path.is_file() else None
        if a is None and b is None:
            continue
        if a is not None and b is not None and a.shape != b.shape:
            raise FormatError(b_path, f"size {b.shape} differs from the {first_name}'s {a.shape}")
        image = next((img_dir / f"{stem}{e}" for e in IMAGE_EXTS if (img_dir / f"{stem}{e}").exists()),
                     img_dir / f"{stem}{default_ext}")
        if confine is not None:
            image = confine(image, image.name)
        yield stem, a, b, image


def flatten(instances, shape, value_of, dtype=np.uint16, rep=None, item: str = "") -> np.ndarray:
    """Paint instances bottom->top (z order decides overlaps) into one map of `value_of(k, inst)`.

    Reports, exactly, how many instances lost pixels under others and how many vanished.
    """
    out = np.zeros(shape, dtype)
    owner = np.full(shape, -1, np.int32)
    for k, inst in enumerate(instances):
        m = inst.mask
        if m.is_empty:
            continue
        sl = (slice(m.y0, m.y1), slice(m.x0, m.x1))
        out[sl][m.data] = value_of(k, inst)
        owner[sl][m.data] = k
    if rep is not None:
        for k, inst in enumerate(instances):
            m = inst.mask
            if m.is_empty:
                continue
            visible = int(np.count_nonzero(owner[m.y0 : m.y1, m.x0 : m.x1][m.data] == k))
            if visible == 0:
                rep.lose("instances completely hidden by others (dropped)", f"{item} #{inst.id}")
            elif visible < m.area:
                rep.lose("instances partly hidden by overlaps (flattened)", f"{item} #{inst.id}")
    return out


def split_ids(labels: np.ndarray, ignore: tuple[int, ...] = (0,)) -> list[tuple[int, MaskPatch]]:
    """(value, patch) for every distinct value of a label map except `ignore`."""
    shape = (int(labels.shape[0]), int(labels.shape[1]))
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    vals, starts = np.unique(flat[order], return_index=True)
    bounds = list(starts) + [flat.size]
    out = []
    w = shape[1]
    for j, v in enumerate(vals.tolist()):
        if v in ignore:
            continue
        idx = order[bounds[j] : bounds[j + 1]]
        ys, xs = np.divmod(idx, w)
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        data = np.zeros((y1 - y0, x1 - x0), bool)
        data[ys - y0, xs - x0] = True
        out.append((int(v), MaskPatch(y0, x0, data, shape)))
    return out


def majority(labels: np.ndarray, patch: MaskPatch, ignore: tuple[int, ...] = (0, 255)) -> int | None:
    """Most frequent value of `labels` under `patch`, ignoring `ignore`; None if none left."""
    vals = labels[patch.y0 : patch.y1, patch.x0 : patch.x1][patch.data]
    vals = vals[~np.isin(vals, ignore)]
    if vals.size == 0:
        return None
    u, c = np.unique(vals, return_counts=True)
    return int(u[np.argmax(c)])
