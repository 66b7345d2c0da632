"""SegStudio: pixel-accurate image segmentation studio."""

__version__ = "0.1.0"
