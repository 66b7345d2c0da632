"""Cutout settings shared by the GUI panel, batch export and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

REFINE_METHODS = ("guided", "matting", "none")
FORMATS = ("png", "webp")


@dataclass(frozen=True)
class CutoutSettings:
    """How a mask becomes a cutout.  Distances are in pixels of the full-size image.

    threshold: saliency level that makes the binary (editable) mask.
    refine: "guided" (fast guided filter over the edge band), "matting" (closed-form matting
        of the band, slower, best on hair and fur), "none" (the model's soft map as it is).
    band: half-width of the unknown band around the mask edge; None = 1% of the short side.
    shift: grow (> 0) or shrink (< 0) the mask before refining.
    smooth: round off jagged outlines of the mask (radius in px).
    feather: blur the final alpha (radius in px).
    decontaminate: replace background spill in semi-transparent pixels by the estimated
        foreground colour; decontaminate_strength blends 0 (off) .. 1 (full).
    crop_margin: None = keep the full canvas; N = crop to the subject plus N pixels.
    format / quality: "png" or "webp" (lossless unless quality 1-100 is given).
    matte: also write the alpha matte as a greyscale PNG.
    """

    threshold: float = 0.5
    refine: str = "guided"
    band: int | None = None
    shift: int = 0
    smooth: float = 0.0
    feather: float = 0.0
    decontaminate: bool = False
    decontaminate_strength: float = 1.0
    crop_margin: int | None = None
    format: str = "png"
    quality: int | None = None
    matte: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be between 0 and 1, got {self.threshold}")
        if self.refine not in REFINE_METHODS:
            raise ValueError(f"refine must be one of {REFINE_METHODS}, got {self.refine!r}")
        if self.band is not None and self.band < 1:
            raise ValueError(f"band must be at least 1 pixel, got {self.band}")
        if self.smooth < 0 or self.feather < 0:
            raise ValueError("smooth and feather must not be negative")
        if not 0.0 <= self.decontaminate_strength <= 1.0:
            raise ValueError("decontaminate_strength must be between 0 and 1")
        if self.crop_margin is not None and self.crop_margin < 0:
            raise ValueError("crop_margin must not be negative")
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        if self.quality is not None and not 1 <= self.quality <= 100:
            raise ValueError("quality must be between 1 and 100")

    def with_(self, **changes: Any) -> CutoutSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CutoutSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown cutout settings: {', '.join(unknown)}")
        return cls(**data)
