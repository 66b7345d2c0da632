"""Small hostile inputs for the importers, generated in the tests (no fixture files).

`run_cli` runs `segstudio ...` in a subprocess, so a segfault fails the test instead of killing
the test run; `one_line_error` checks what users get for a bad file: a non-zero exit and one
line naming the file (and the place in it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np


def png(path: Path, h: int = 48, w: int = 64) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((h, w, 3), 90, np.uint8))
    return path


def coco_doc(segmentation, file_name: str = "a.png", w: int = 64, h: int = 48) -> dict:
    return {
        "images": [{"id": 1, "file_name": file_name, "width": w, "height": h}],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": segmentation}],
    }


def labelme_doc(shapes: list[dict], image: str = "a.png", w: int = 64, h: int = 48) -> dict:
    return {"version": "5.5.0", "flags": {}, "shapes": shapes, "imagePath": image, "imageData": None,
            "imageHeight": h, "imageWidth": w}


def shape(points, shape_type: str = "polygon", label: str = "thing") -> dict:
    return {"label": label, "points": points, "group_id": None, "shape_type": shape_type, "flags": {}}


def write_json(path: Path, doc, raw: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(doc))
    return path


def png_claiming(w: int, h: int) -> bytes:
    """A valid PNG signature and IHDR claiming w x h, with a tiny (wrong) IDAT: a "bomb" that a
    decoder would allocate w*h for."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + (zlib.crc32(kind + data) & 0xFFFFFFFF).to_bytes(4, "big"))

    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SEGSTUDIO_IO_WORKERS": "0"}
    return subprocess.run([sys.executable, "-m", "segstudio", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, env=env)


def one_line_error(proc: subprocess.CompletedProcess, *must_name: str) -> str:
    """The error line of a failed command; asserts it failed cleanly and names `must_name`."""
    assert proc.returncode not in (0, -11, 139), (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    text = proc.stderr.strip() or proc.stdout.strip()  # validate prints "invalid: ..." on stdout
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    for text in must_name:
        assert text in lines[0], (text, lines[0])
    return lines[0]
