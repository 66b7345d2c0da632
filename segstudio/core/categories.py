"""Categories (classes) of a project."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, replace

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Category:
    id: int
    name: str
    color: RGB
    supercategory: str | None = None
    # an ignore region ("don't care"): LabelMe's __ignore__, VOC's 255, COCO crowd-as-ignore;
    # left out of every metric (see docs/formats.md)
    ignore: bool = False

    def renamed(self, name: str) -> Category:
        return replace(self, name=name)

    def recoloured(self, color: RGB) -> Category:
        return replace(self, color=color)

    def with_ignore(self, ignore: bool) -> Category:
        return replace(self, ignore=bool(ignore))


IGNORE_NAMES = ("__ignore__", "_ignore_", "ignore", "ignored", "dontcare", "don't care")


def is_ignore_name(name: str) -> bool:
    """Category names that annotation tools use for ignore regions (case-insensitive)."""
    return name.strip().lower() in IGNORE_NAMES


def default_color(index: int) -> RGB:
    """Well separated, saturated colours: golden-angle hue steps."""
    hue = (index * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 0.95)
    return (int(r * 255), int(g * 255), int(b * 255))


def parse_color(text: str) -> RGB:
    """'#rrggbb' or 'r,g,b' to an RGB tuple."""
    t = text.strip()
    if t.startswith("#") and len(t) == 7:
        return (int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16))
    parts = [int(p) for p in t.split(",")]
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise ValueError(f"not a colour: {text!r} (use #rrggbb or r,g,b)")
    return (parts[0], parts[1], parts[2])


def color_hex(color: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


class CategorySet:
    """Ordered categories by id, with lookups by name (case-sensitive)."""

    def __init__(self, categories: list[Category] | None = None) -> None:
        self._by_id: dict[int, Category] = {}
        for c in categories or []:
            self.put(c)

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, cid: object) -> bool:
        return cid in self._by_id

    def get(self, cid: int) -> Category | None:
        return self._by_id.get(cid)

    def by_name(self, name: str) -> Category | None:
        return next((c for c in self._by_id.values() if c.name == name), None)

    def put(self, category: Category) -> None:
        self._by_id[category.id] = category

    def remove(self, cid: int) -> None:
        self._by_id.pop(cid, None)

    def next_id(self) -> int:
        return max(self._by_id, default=0) + 1
