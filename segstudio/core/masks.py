"""MaskPatch: a bbox-cropped, read-only boolean mask placed in an image.

Memory scales with the object, not the image: a 4000x3000 full mask is 12 MB,
a 50x50 object stored as a patch is 2.5 kB.  Patches are immutable so commands
can keep before/after copies without defensive copying.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=bool)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class MaskPatch:
    """A boolean mask `data` whose top-left pixel sits at (y0, x0) of an image of `image_shape`."""

    y0: int
    x0: int
    data: np.ndarray
    image_shape: Shape

    def __post_init__(self) -> None:
        # numpy integers would reach SQLite as blobs; keep plain ints.
        object.__setattr__(self, "y0", int(self.y0))
        object.__setattr__(self, "x0", int(self.x0))
        object.__setattr__(self, "image_shape", (int(self.image_shape[0]), int(self.image_shape[1])))
        if self.data.ndim != 2:
            raise ValueError("mask patch data must be 2-D")
        if not self.data.flags.writeable and self.data.dtype == bool:
            return
        object.__setattr__(self, "data", _readonly(self.data))

    # ----------------------------------------------------------------- construction
    @classmethod
    def empty(cls, image_shape: Shape) -> MaskPatch:
        return cls(0, 0, np.zeros((0, 0), bool), (int(image_shape[0]), int(image_shape[1])))

    @classmethod
    def from_full(cls, mask: np.ndarray) -> MaskPatch:
        """Crop a full-image mask to its tight bounding box."""
        mask = np.asarray(mask)
        if mask.dtype != bool:
            mask = mask != 0
        shape = (int(mask.shape[0]), int(mask.shape[1]))
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return cls.empty(shape)
        cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
        y0, y1 = int(rows[0]), int(rows[-1]) + 1
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
        return cls(y0, x0, mask[y0:y1, x0:x1].copy(), shape)

    @classmethod
    def from_window(cls, window: np.ndarray, y0: int, x0: int, image_shape: Shape) -> MaskPatch:
        """A patch from a window that may stick out of the image; clipped and made tight."""
        return cls(y0, x0, np.asarray(window, bool), image_shape).clipped().tight()

    # ----------------------------------------------------------------- properties
    @property
    def height(self) -> int:
        return int(self.data.shape[0])

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def y1(self) -> int:
        return self.y0 + self.height

    @property
    def x1(self) -> int:
        return self.x0 + self.width

    @property
    def area(self) -> int:
        return int(np.count_nonzero(self.data))

    @property
    def is_empty(self) -> bool:
        return self.data.size == 0 or not self.data.any()

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes) + 64

    def bbox(self) -> tuple[int, int, int, int]:
        """Tight (x, y, w, h) of the set pixels; (0, 0, 0, 0) when empty."""
        t = self.tight()
        if t.data.size == 0:
            return (0, 0, 0, 0)
        return (t.x0, t.y0, t.width, t.height)

    # ----------------------------------------------------------------- conversion
    def to_full(self) -> np.ndarray:
        full = np.zeros(self.image_shape, bool)
        if self.data.size:
            full[self.y0 : self.y1, self.x0 : self.x1] = self.data
        return full

    def window(self, y0: int, x0: int, h: int, w: int) -> np.ndarray:
        """The mask over an arbitrary image window (zeros outside the patch)."""
        out = np.zeros((h, w), bool)
        iy0, ix0 = max(y0, self.y0), max(x0, self.x0)
        iy1, ix1 = min(y0 + h, self.y1), min(x0 + w, self.x1)
        if iy1 > iy0 and ix1 > ix0:
            out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = self.data[
                iy0 - self.y0 : iy1 - self.y0, ix0 - self.x0 : ix1 - self.x0
            ]
        return out

    def clipped(self) -> MaskPatch:
        """Drop the parts of the patch that lie outside the image."""
        h, w = self.image_shape
        y0, x0 = max(self.y0, 0), max(self.x0, 0)
        y1, x1 = min(self.y1, h), min(self.x1, w)
        if y1 <= y0 or x1 <= x0:
            return MaskPatch.empty(self.image_shape)
        if (y0, x0, y1, x1) == (self.y0, self.x0, self.y1, self.x1):
            return self
        return MaskPatch(y0, x0, self.window(y0, x0, y1 - y0, x1 - x0), self.image_shape)

    def tight(self) -> MaskPatch:
        if self.data.size == 0:
            return self
        rows = np.flatnonzero(self.data.any(axis=1))
        if rows.size == 0:
            return MaskPatch.empty(self.image_shape)
        cols = np.flatnonzero(self.data.any(axis=0))
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        if (r0, c0, r1, c1) == (0, 0, self.height, self.width):
            return self
        return MaskPatch(self.y0 + r0, self.x0 + c0, self.data[r0:r1, c0:c1].copy(), self.image_shape)

    # ----------------------------------------------------------------- boolean algebra
    def _union_box(self, other: MaskPatch) -> tuple[int, int, int, int]:
        if self.data.size == 0:
            return other.y0, other.x0, other.height, other.width
        if other.data.size == 0:
            return self.y0, self.x0, self.height, self.width
        y0, x0 = min(self.y0, other.y0), min(self.x0, other.x0)
        return y0, x0, max(self.y1, other.y1) - y0, max(self.x1, other.x1) - x0

    def union(self, other: MaskPatch) -> MaskPatch:
        y0, x0, h, w = self._union_box(other)
        data = self.window(y0, x0, h, w) | other.window(y0, x0, h, w)
        return MaskPatch(y0, x0, data, self.image_shape).tight()

    def subtract(self, other: MaskPatch) -> MaskPatch:
        if self.data.size == 0:
            return self
        data = self.data & ~other.window(self.y0, self.x0, self.height, self.width)
        return MaskPatch(self.y0, self.x0, data, self.image_shape).tight()

    def intersect(self, other: MaskPatch) -> MaskPatch:
        if self.data.size == 0:
            return self
        data = self.data & other.window(self.y0, self.x0, self.height, self.width)
        return MaskPatch(self.y0, self.x0, data, self.image_shape).tight()

    def overlaps(self, other: MaskPatch) -> bool:
        if self.is_empty or other.is_empty:
            return False
        if self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0:
            return False
        return bool((self.data & other.window(self.y0, self.x0, self.height, self.width)).any())

    def paint(self, window: np.ndarray, y0: int, x0: int, value: bool = True) -> MaskPatch:
        """Set (or clear) the pixels of a window placed at (y0, x0); returns a new tight patch."""
        stroke = MaskPatch(y0, x0, np.asarray(window, bool), self.image_shape).clipped()
        return self.union(stroke) if value else self.subtract(stroke)

    def equals(self, other: MaskPatch) -> bool:
        a, b = self.tight(), other.tight()
        if a.image_shape != b.image_shape:
            return False
        if a.data.size == 0 or b.data.size == 0:
            return a.data.size == 0 and b.data.size == 0
        return (a.y0, a.x0, a.data.shape) == (b.y0, b.x0, b.data.shape) and bool(
            np.array_equal(a.data, b.data)
        )

    def iou(self, other: MaskPatch) -> float:
        if self.is_empty and other.is_empty:
            return 1.0
        y0, x0, h, w = self._union_box(other)
        a, b = self.window(y0, x0, h, w), other.window(y0, x0, h, w)
        union = np.count_nonzero(a | b)
        return float(np.count_nonzero(a & b)) / union if union else 0.0
