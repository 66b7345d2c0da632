"""Tiny synthetic videos with known masks, written by the tests themselves."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def code_frame(i: int, h: int = 48, w: int = 64) -> np.ndarray:
    """An RGB frame whose 8 vertical bands spell `i` in binary: decodable after lossy coding."""
    f = np.zeros((h, w, 3), np.uint8)
    band = w // 8
    for b in range(8):
        if (i >> b) & 1:
            f[:, b * band:(b + 1) * band] = 255
    f[:, :, 2] = 80  # blue constant, so the RGB order is checked too
    return f


def decode_index(rgb: np.ndarray) -> int:
    band = rgb.shape[1] // 8
    return sum(1 << b for b in range(8) if rgb[:, b * band:(b + 1) * band, 0].mean() > 127)


def write_video(path: Path, frames, fps: float = 25.0, fourcc: str = "MJPG") -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"OpenCV cannot write {fourcc}"
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def coded_video(path: Path, n: int = 40, fourcc: str = "MJPG") -> Path:
    return write_video(path, [code_frame(i) for i in range(n)], fourcc=fourcc)


def moving_object(n: int = 16, h: int = 120, w: int = 160, step=(3, 1), seed: int = 0,
                  vanish_at: int | None = None):
    """A textured ellipse translating by `step` px/frame over a textured background.
    Returns (RGB frames, bool masks).  From `vanish_at` on, the object is gone."""
    rng = np.random.default_rng(seed)
    bg = cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 2)
    tex = cv2.GaussianBlur((rng.random((h * 2, w * 2, 3)) * 255).astype(np.uint8), (0, 0), 1.5)
    tex = (tex * 0.5 + np.array([220, 40, 40]) * 0.5).astype(np.uint8)
    frames, masks = [], []
    for i in range(n):
        cx, cy = 40 + step[0] * i, 50 + step[1] * i
        m = np.zeros((h, w), np.uint8)
        if vanish_at is None or i < vanish_at:
            cv2.ellipse(m, (cx, cy), (22, 15), 0, 0, 360, 1, -1)
        t = tex[h // 2 - cy + 50: h // 2 - cy + 50 + h, w // 2 - cx + 40: w // 2 - cx + 40 + w]
        f = bg.copy()
        f[m > 0] = t[m > 0]
        frames.append(f)
        masks.append(m > 0)
    return frames, masks
