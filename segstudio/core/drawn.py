"""Shapes as drawn: the geometry an instance was made from, kept beside its mask.

The mask stays the annotation of record.  An instance made by the polygon, lasso, rectangle or
ellipse tool (or imported from a vector shape) also keeps the shape it was rasterised from, so
vector exports can write a rectangle as a rectangle and a 15-vertex polygon as those 15 vertices.
Any change of the mask drops the shape (`Instance.with_mask`); exporters still check that the
shape reproduces the mask under their reader's rule before writing it.

Coordinates are image coordinates with pixel (i, j) covering [i, i+1) x [j, j+1) (CVAT's and
COCO's convention).  Each shape says which rule made its mask (`rule`):

* ``coco``: pycocotools' polygon rasterisation (what COCO, CVAT/Datumaro and YOLO readers use);
  the polygon and lasso tools draw with it, so their polygons export to those formats exactly.
* ``labelme``: PIL with the outline included, on vertices in pixel-centre coordinates
  (LabelMe's `shape_to_mask`); polygons imported from LabelMe keep it.
* ``centre``: rectangles and ellipses: the pixels whose centres lie inside.
* ``line``/``point``: polylines 10 px wide and points as discs of radius 5 (LabelMe's
  converters); CVAT polylines and points keep their geometry this way.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from segstudio.core.masks import MaskPatch, Shape

KINDS = ("polygon", "rectangle", "ellipse", "polyline", "points")
RULES = ("coco", "labelme", "centre", "line", "point")


@dataclass(frozen=True)
class DrawnShape:
    """`coords`: polygon/polyline/points: one flat (x0, y0, x1, y1, ...) tuple per part;
    rectangle: ((x0, y0, x1, y1),) corners; ellipse: ((cx, cy, rx, ry),).  `rotation` in
    degrees, clockwise about the centre (rectangles and ellipses, as CVAT stores it).
    `area`: the pixel count of the mask the shape made (a cheap agreement check)."""

    kind: str
    coords: tuple[tuple[float, ...], ...]
    rule: str = "coco"
    rotation: float = 0.0
    area: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown shape kind {self.kind!r}; expected one of {KINDS}")
        if self.rule not in RULES:
            raise ValueError(f"unknown rasterisation rule {self.rule!r}; expected one of {RULES}")

    # ------------------------------------------------------------------ construction
    @staticmethod
    def polygon(parts, rule: str = "coco", area: int = 0) -> DrawnShape:
        return DrawnShape("polygon", _flat_parts(parts), rule, 0.0, area)

    @staticmethod
    def rectangle(x0: float, y0: float, x1: float, y1: float, rotation: float = 0.0,
                  area: int = 0) -> DrawnShape:
        return DrawnShape("rectangle", ((float(x0), float(y0), float(x1), float(y1)),), "centre",
                          float(rotation), area)

    @staticmethod
    def ellipse(cx: float, cy: float, rx: float, ry: float, rotation: float = 0.0,
                area: int = 0) -> DrawnShape:
        return DrawnShape("ellipse", ((float(cx), float(cy), float(rx), float(ry)),), "centre",
                          float(rotation), area)

    def with_area(self, area: int) -> DrawnShape:
        return DrawnShape(self.kind, self.coords, self.rule, self.rotation, int(area))

    # ------------------------------------------------------------------ views
    def rings(self) -> list[np.ndarray]:
        """Polygon/polyline/points parts as (N, 2) arrays."""
        return [np.asarray(p, np.float64).reshape(-1, 2) for p in self.coords]

    @property
    def vertex_count(self) -> int:
        if self.kind in ("polygon", "polyline", "points"):
            return sum(len(p) // 2 for p in self.coords)
        return 4 if self.kind == "rectangle" else 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "rule": self.rule,
                             "coords": [list(p) for p in self.coords], "area": self.area}
        if self.rotation:
            d["rotation"] = self.rotation
        return d

    def to_json(self) -> str:
        # by hand: ~10x json.dumps for the 20-50 floats of a polygon (imports write one per
        # shape); repr of a finite float is JSON
        coords = "],[".join(",".join(map(repr, p)) for p in self.coords)
        rot = f',"rotation":{self.rotation!r}' if self.rotation else ""
        return (f'{{"kind":"{self.kind}","rule":"{self.rule}","coords":[[{coords}]],'
                f'"area":{int(self.area)}{rot}}}')

    @staticmethod
    def from_dict(d: Any) -> DrawnShape | None:
        """The shape stored in `d`, or None when it is not one (never raises)."""
        try:
            coords = tuple(tuple(float(v) for v in p) for p in d["coords"])
            shape = DrawnShape(str(d["kind"]), coords, str(d.get("rule", "coco")),
                               float(d.get("rotation", 0.0)), int(d.get("area", 0)))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        if not coords or not all(coords) or not all(math.isfinite(v) for p in coords for v in p):
            return None
        return shape

    @staticmethod
    def from_json(text: str | None) -> DrawnShape | None:
        if not text:
            return None
        try:
            return DrawnShape.from_dict(json.loads(text))
        except ValueError:
            return None

    # ------------------------------------------------------------------ rasterising
    def rasterise(self, image_shape: Shape) -> MaskPatch:
        """The mask this shape makes under its own rule."""
        from segstudio.core import shape_raster

        return shape_raster.rasterise(self, image_shape)


def _flat_parts(parts) -> tuple[tuple[float, ...], ...]:
    out = []
    for p in parts:
        out.append(tuple(float(v) for v in np.asarray(p, np.float64).reshape(-1)))
    return tuple(out)
