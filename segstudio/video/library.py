"""Videos as project items, and optional frame extraction for users who want files.

A video (or a folder of numbered frames) is one `images` row with kind 'video' / 'frames',
its frame count and rate; its frames are addressed as (image id, frame index) in the store and
decoded on demand — nothing is extracted unless the user asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.video_source import FrameError, FrameSource, open_source
from segstudio.store import Project


@dataclass(frozen=True)
class AddedVideo:
    image_id: int
    path: Path
    kind: str
    frame_count: int
    fps: float | None
    width: int
    height: int
    existed: bool


def add_video(project: Project, path: str | Path, *, fps: float | None = None) -> AddedVideo:
    """Probe a video file or frame folder and add it to the project (once).  FrameError on
    anything that does not decode."""
    p = Path(path)
    found = project.find_image(p.resolve())
    with open_source(p, fps=fps, cache_bytes=0) as src:
        if found is not None:
            return AddedVideo(found.id, p, found.kind, found.frame_count, src.fps,
                              found.width, found.height, True)
        h, w = src.shape
        iid = project.add_video(p.resolve(), w, h, src.frame_count, src.fps, kind=src.kind)
        return AddedVideo(iid, p, src.kind, src.frame_count, src.fps, w, h, False)


def video_fps(project: Project, image_id: int) -> float | None:
    return project.video_fps(image_id)


def open_project_video(project: Project, image_id: int, **kwargs) -> FrameSource:
    rec = project.image(image_id)
    if rec.kind not in ("video", "frames"):
        raise FrameError(rec.path, "is an image, not a video")
    kwargs.setdefault("fps", video_fps(project, image_id))
    return open_source(project.image_path(rec), **kwargs)


def format_timestamp(seconds: float | None) -> str:
    """'1:02.040' (m:ss.mmm), or '' when unknown."""
    if seconds is None:
        return ""
    ms = int(round(seconds * 1000))
    m, rest = divmod(ms, 60_000)
    s, ms = divmod(rest, 1000)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}.{ms:03d}" if h else f"{m}:{s:02d}.{ms:03d}"


def extract_frames(
    source: FrameSource, out_dir: str | Path, *, stride: int = 1, start: int = 0,
    stop: int | None = None, ext: str = ".png", jpeg_quality: int = 95,
    cancel: CancelToken | None = None, progress: ProgressFn | None = None,
) -> list[Path]:
    """Write every `stride`-th frame as `frame_000123.png` (index = video frame index).

    Frames are read in order, so decoding is sequential; files are written next to each
    other and existing files are overwritten.
    """
    if stride < 1:
        raise ValueError("stride must be >= 1")
    ext = ext if ext.startswith(".") else "." + ext
    if ext.lower() not in (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"):
        raise ValueError(f"cannot write frames as {ext}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stop = source.frame_count if stop is None else min(stop, source.frame_count)
    wanted = range(max(0, start), stop, stride)
    digits = max(6, len(str(source.frame_count)))
    params = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if ext.lower() in (".jpg", ".jpeg") else []
    written = []
    for n, i in enumerate(wanted):
        if cancel is not None:
            cancel.check()
        rgb = source.read(i)
        path = out / f"frame_{i:0{digits}d}{ext}"
        ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
        if not ok:
            raise FrameError(path, "cannot encode frame")
        path.write_bytes(buf.tobytes())
        written.append(path)
        report(progress, n + 1, len(wanted), path.name)
    return written
