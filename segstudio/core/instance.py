"""Instance: one object of an image, its mask of record, where it came from and, for instances
made by a shape tool or imported from a vector shape, the shape as drawn (`core.drawn`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from segstudio.core.drawn import DrawnShape
from segstudio.core.masks import MaskPatch

SOURCES = ("manual", "model", "import")


@dataclass(frozen=True, eq=False)
class Instance:
    id: int
    category_id: int
    mask: MaskPatch
    source: str = "manual"
    score: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    track_id: int | None = None
    crowd: bool = False
    shape: DrawnShape | None = None  # the geometry the mask was made from, while it still is

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown instance source {self.source!r}; expected one of {SOURCES}")

    @property
    def area(self) -> int:
        return self.mask.area

    def bbox(self) -> tuple[int, int, int, int]:
        return self.mask.bbox()

    def with_mask(self, mask: MaskPatch) -> Instance:
        """The instance with another mask; the drawn shape goes unless the pixels are the same."""
        return replace(self, mask=mask, shape=self._shape_for(mask))

    def with_category(self, category_id: int) -> Instance:
        return replace(self, category_id=category_id)

    def with_(self, **changes: Any) -> Instance:
        if "mask" in changes and "shape" not in changes:
            changes["shape"] = self._shape_for(changes["mask"])
        return replace(self, **changes)

    def _shape_for(self, mask: MaskPatch) -> DrawnShape | None:
        if self.shape is None or mask is self.mask or mask.equals(self.mask):
            return self.shape
        return None  # a raster edit: the mask is no longer what the shape draws

    @property
    def nbytes(self) -> int:
        return self.mask.nbytes + 128
