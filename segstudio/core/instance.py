"""Instance: one object of an image, its mask of record and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

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

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown instance source {self.source!r}; expected one of {SOURCES}")

    @property
    def area(self) -> int:
        return self.mask.area

    def bbox(self) -> tuple[int, int, int, int]:
        return self.mask.bbox()

    def with_mask(self, mask: MaskPatch) -> Instance:
        return replace(self, mask=mask)

    def with_category(self, category_id: int) -> Instance:
        return replace(self, category_id=category_id)

    def with_(self, **changes: Any) -> Instance:
        return replace(self, **changes)

    @property
    def nbytes(self) -> int:
        return self.mask.nbytes + 128
