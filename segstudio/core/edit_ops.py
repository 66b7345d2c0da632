"""Operations on selected instances, each returning ONE command (or None when nothing changes).

Fill holes, remove islands below an area, smooth edges, split into connected
parts, merge, duplicate, and boolean ops with a shape.  Pure numpy/OpenCV; the
GUI and the CLI push the returned commands on a History.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from segstudio.core.commands import EditCommand, edit_instances
from segstudio.core.document import ImageDocument
from segstudio.core.geometry import connected_parts
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch


def fill_holes_mask(patch: MaskPatch, max_area: int | None = None) -> MaskPatch:
    """Fill enclosed background regions (all, or those up to `max_area` pixels)."""
    if patch.is_empty:
        return patch
    data = np.pad(patch.data, 1).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - data, connectivity=4)
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    out = data.astype(bool)
    for i in range(1, n):
        if i in border:
            continue
        if max_area is None or stats[i, cv2.CC_STAT_AREA] <= max_area:
            out |= labels == i
    return MaskPatch(patch.y0, patch.x0, out[1:-1, 1:-1], patch.image_shape).tight()


def remove_islands_mask(patch: MaskPatch, min_area: int) -> MaskPatch:
    """Drop connected parts smaller than `min_area` pixels (the largest part always stays)."""
    parts = connected_parts(patch)
    if len(parts) <= 1:
        return patch
    keep = [parts[0]] + [p for p in parts[1:] if p.area >= min_area]
    out = keep[0]
    for p in keep[1:]:
        out = out.union(p)
    return out


def smooth_mask(patch: MaskPatch, radius: int = 2) -> MaskPatch:
    """Smooth the outline: Gaussian blur of the mask, re-thresholded at one half."""
    if patch.is_empty or radius <= 0:
        return patch
    pad = 2 * radius + 1
    data = np.pad(patch.data, pad).astype(np.float32)
    k = 2 * (2 * radius) + 1
    blurred = cv2.GaussianBlur(data, (k, k), radius)
    return MaskPatch.from_window(blurred >= 0.5, patch.y0 - pad, patch.x0 - pad, patch.image_shape)


def _map(document: ImageDocument, ids: Iterable[int], label: str, fn) -> EditCommand | None:
    changes: dict[int, Instance | None] = {}
    for iid in ids:
        inst = document.find(iid)
        if inst is None:
            continue
        new = fn(inst.mask)
        if not new.equals(inst.mask):
            changes[iid] = inst.with_mask(new) if not new.is_empty else None
    return edit_instances(document, label, changes) if changes else None


def fill_holes(document: ImageDocument, ids: Iterable[int], max_area: int | None = None) -> EditCommand | None:
    return _map(document, ids, "Fill holes", lambda m: fill_holes_mask(m, max_area))


def remove_islands(document: ImageDocument, ids: Iterable[int], min_area: int) -> EditCommand | None:
    return _map(document, ids, "Remove islands", lambda m: remove_islands_mask(m, min_area))


def smooth(document: ImageDocument, ids: Iterable[int], radius: int = 2) -> EditCommand | None:
    return _map(document, ids, "Smooth edges", lambda m: smooth_mask(m, radius))


def combine_with_shape(
    document: ImageDocument, ids: Iterable[int], shape: MaskPatch, operation: str
) -> EditCommand | None:
    from segstudio.core.tools.apply import combine

    return _map(document, ids, f"{operation.capitalize()} shape", lambda m: combine(m, shape, operation))


def split_parts(document: ImageDocument, ids: Iterable[int]) -> EditCommand | None:
    """Each selected instance with several connected parts becomes one instance per part
    (the largest keeps the id); new parts sit just above it in z-order."""
    changes: dict[int, Instance | None] = {}
    order = list(document.order)
    for iid in ids:
        inst = document.find(iid)
        if inst is None:
            continue
        parts = connected_parts(inst.mask)
        if len(parts) < 2:
            continue
        changes[iid] = inst.with_mask(parts[0])
        pos = order.index(iid)
        for k, part in enumerate(parts[1:], start=1):
            new_id = document.allocate_id()
            changes[new_id] = inst.with_(id=new_id, mask=part)
            order.insert(pos + k, new_id)
    if not changes:
        return None
    return edit_instances(document, "Split into parts", changes, tuple(order))


def merge(document: ImageDocument, ids: Iterable[int]) -> EditCommand | None:
    """Union the masks into the lowest-z instance (keeps its category); others are removed."""
    present = [i for i in document.order if i in set(ids)]
    if len(present) < 2:
        return None
    keep = document.get(present[0])
    mask = keep.mask
    for iid in present[1:]:
        mask = mask.union(document.get(iid).mask)
    changes: dict[int, Instance | None] = {keep.id: keep.with_mask(mask)}
    changes.update({iid: None for iid in present[1:]})
    cmd = edit_instances(document, "Merge instances", changes)
    cmd.order_before = document.order
    return cmd


def duplicate(document: ImageDocument, ids: Iterable[int]) -> EditCommand | None:
    """Copies of the instances on top of the z-order (same mask, category and attributes)."""
    changes: dict[int, Instance | None] = {}
    for iid in ids:
        inst = document.find(iid)
        if inst is None:
            continue
        new_id = document.allocate_id()
        changes[new_id] = inst.with_(id=new_id, source="manual", attributes=dict(inst.attributes))
    return edit_instances(document, "Duplicate", changes) if changes else None


def set_attributes(document: ImageDocument, iid: int, attributes: dict) -> EditCommand | None:
    inst = document.find(iid)
    if inst is None or inst.attributes == attributes:
        return None
    return edit_instances(document, "Edit attributes", {iid: inst.with_(attributes=dict(attributes))})


Z_MOVES = ("front", "back", "up", "down")


def reordered(order: Iterable[int], ids: Iterable[int], how: str) -> tuple[int, ...]:
    """The z-order (bottom -> top) after moving `ids` to the front or back, or one step up or
    down (each past one unselected neighbour; a selected block moves together)."""
    if how not in Z_MOVES:
        raise ValueError(f"unknown z-order move {how!r}; expected one of {Z_MOVES}")
    order = list(order)
    chosen_set = set(ids)
    chosen = [i for i in order if i in chosen_set]
    rest = [i for i in order if i not in chosen_set]
    if how == "front":
        return tuple(rest + chosen)
    if how == "back":
        return tuple(chosen + rest)
    new = order[:]
    step = -1 if how == "down" else 1
    for iid in chosen if how == "down" else reversed(chosen):
        k = new.index(iid)
        j = k + step
        if 0 <= j < len(new) and new[j] not in chosen_set:
            new[k], new[j] = new[j], new[k]
    return tuple(new)


def reorder(document: ImageDocument, ids: Iterable[int], how: str) -> EditCommand | None:
    """The command moving `ids` in the z-order, or None when nothing moves."""
    new = reordered(document.order, ids, how)
    return edit_instances(document, "Change z-order", {}, new) if new != document.order else None
