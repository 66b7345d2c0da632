"""Mask propagation through a video: dense optical flow warps the mask, a refiner snaps it.

For each step from frame t to t±1, and each object:
1. a region of interest around the object's mask (grown by a margin and by its last motion);
2. DIS dense optical flow (OpenCV) from the new frame back to the previous one, on the ROI
   scaled to at most `flow_side` pixels, upsampled to the ROI;
3. the previous mask is pulled through the flow (`remap`, bilinear, threshold 0.5) and the
   previous frame through the same map, whose difference to the new frame inside the mask is a
   photometric confidence (an occluder or a flow failure makes it jump);
4. a refiner (`refine.py`: GrabCut by default, a prompt model, or none) snaps the warped mask
   to the new frame; its agreement with the warped mask is the shape confidence;
5. confidence = photometric x shape; below `min_confidence`, or when the mask shrinks below
   `min_area_ratio` of its start area, the object stops (reason recorded).

Only two frames are held at a time (the source streams and its cache is bounded), and results
go to `on_frame` as they come, so memory does not grow with the number of frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.video.refine import GrabCutRefiner, MaskRefiner, roi_around
from segstudio.video.source import FrameSource

Key = Hashable


@dataclass
class PropagationSettings:
    min_confidence: float = 0.35
    min_area_ratio: float = 0.15
    flow_side: int = 320  # long side of the ROI the flow is computed on
    margin: float = 0.35  # ROI margin, fraction of the object's size
    min_margin: int = 24
    photometric_scale: float = 30.0  # mean abs grey error at which photometric conf is 1/e


@dataclass
class FrameResult:
    frame: int
    masks: dict[Key, MaskPatch]
    confidence: dict[Key, float]


@dataclass
class PropagationReport:
    start_frame: int
    step: int
    frames: list[int] = field(default_factory=list)
    confidence: dict[Key, list[float]] = field(default_factory=dict)
    stopped: dict[Key, str] = field(default_factory=dict)  # key -> why it stopped
    reason: str = "done"  # done | end_of_video | low_confidence | lost | keyframe | cancelled
    seconds: float = 0.0

    @property
    def fps(self) -> float:
        return len(self.frames) / self.seconds if self.seconds > 0 else 0.0


@dataclass
class _Obj:
    mask: MaskPatch
    start_area: int
    velocity: tuple[float, float] = (0.0, 0.0)  # (dx, dy) of the last step


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


class FlowWarper:
    """Warps masks from one frame to the next with DIS optical flow on a per-object ROI."""

    def __init__(self, settings: PropagationSettings) -> None:
        self.settings = settings
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        # Down to full resolution: the presets stop at half, which under-estimates the
        # motion of small objects (measured: 1.3 of 3 px/frame at half, 2.9 at full).
        self._dis.setFinestScale(0)

    def warp(
        self, prev: np.ndarray, cur: np.ndarray, mask: MaskPatch, velocity: tuple[float, float]
    ) -> tuple[MaskPatch, float, tuple[float, float]]:
        """(warped mask, photometric confidence, motion (dx, dy)) for grey frames prev -> cur."""
        st = self.settings
        H, W = mask.image_shape
        y0, x0, y1, x1 = roi_around(mask, st.margin, st.min_margin)
        vx, vy = velocity  # look further in the direction of the last motion
        x0, x1 = max(0, int(x0 + min(vx, 0))), min(W, int(np.ceil(x1 + max(vx, 0))))
        y0, y1 = max(0, int(y0 + min(vy, 0))), min(H, int(np.ceil(y1 + max(vy, 0))))
        h, w = y1 - y0, x1 - x0
        p, c = prev[y0:y1, x0:x1], cur[y0:y1, x0:x1]
        s = min(1.0, st.flow_side / max(h, w))
        if s < 1:
            size = (max(8, round(w * s)), max(8, round(h * s)))
            ps = cv2.resize(p, size, interpolation=cv2.INTER_AREA)
            cs = cv2.resize(c, size, interpolation=cv2.INTER_AREA)
        else:
            ps, cs = np.ascontiguousarray(p), np.ascontiguousarray(c)
        # Forward flow (prev -> cur); the object's motion is the similarity transform fitted
        # (RANSAC) to the flow of its interior pixels: flow at the object's edge is blended
        # with the background's, so warping pixel by pixel drags the mask behind the object.
        flow = self._dis.calc(ps, cs, None)
        m = mask.window(y0, x0, h, w)
        ms = cv2.resize(m.astype(np.uint8), (ps.shape[1], ps.shape[0]),
                        interpolation=cv2.INTER_NEAREST) if s < 1 else m.astype(np.uint8)
        r = max(1, min(ms.shape) // 60, int(0.1 * np.sqrt(ms.sum())))
        inner = cv2.erode(ms, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
        ys, xs = np.nonzero(inner if inner.sum() >= 12 else ms)
        if xs.size < 3:
            return MaskPatch.empty(mask.image_shape), 0.0, (0.0, 0.0)
        if xs.size > 4000:  # a subsample fits as well and keeps RANSAC fast
            pick = np.random.default_rng(0).choice(xs.size, 4000, replace=False)
            xs, ys = xs[pick], ys[pick]
        src = np.stack([xs, ys], 1).astype(np.float32)
        dst = src + flow[ys, xs]
        A, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.5)
        if A is None:
            A = np.float32([[1, 0, 0], [0, 1, 0]])
            A[:, 2] = np.median(dst - src, axis=0)
        # Back to ROI pixel units.
        S = np.float32([[1 / s, 0, 0], [0, 1 / s, 0], [0, 0, 1]]) if s < 1 else np.eye(3, dtype=np.float32)
        Si = np.linalg.inv(S)
        A3 = S @ np.vstack([A, [0, 0, 1]]).astype(np.float32) @ Si
        A = A3[:2]
        warped = cv2.warpAffine(m.astype(np.float32), A, (w, h), flags=cv2.INTER_LINEAR) > 0.5
        if not warped.any():
            return MaskPatch.empty(mask.image_shape), 0.0, (0.0, 0.0)
        pw = cv2.warpAffine(p, A, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        err = float(np.abs(pw.astype(np.int16) - c.astype(np.int16))[warped].mean())
        photometric = float(np.exp(-err / st.photometric_scale))
        cy, cx = (np.array(m.shape) - 1) / 2
        moved = A @ np.float32([cx, cy, 1])
        motion = (float(moved[0] - cx), float(moved[1] - cy))
        out = MaskPatch.from_window(warped, y0, x0, mask.image_shape)
        return out, photometric, motion



def propagate(
    source: FrameSource,
    start_frame: int,
    masks: dict[Key, MaskPatch],
    *,
    step: int = 1,
    count: int | None = None,
    stop_frame: int | None = None,
    refiner: MaskRefiner | None = None,
    settings: PropagationSettings | None = None,
    on_frame: Callable[[FrameResult], None] | None = None,
    stop_at: Callable[[int], Iterable[Key]] | None = None,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> PropagationReport:
    """Propagate `masks` (key -> mask on `start_frame`) by `step` (+1 forward, -1 backward).

    Runs `count` steps, or up to `stop_frame` (inclusive), or to the end of the video; objects
    whose confidence drops stop early and the run ends when none is left.  `stop_at(frame)`
    names objects that must not be written on that frame (a user keyframe): they stop there.
    Cancellation is checked every frame; a cancelled run reports what it produced so far.
    """
    if step not in (1, -1):
        raise ValueError("step must be +1 (forward) or -1 (backward)")
    st = settings or PropagationSettings()
    refiner = refiner if refiner is not None else GrabCutRefiner()
    last = source.frame_count - 1 if step > 0 else 0
    if stop_frame is not None:
        last = min(stop_frame, last) if step > 0 else max(stop_frame, last)
    n = abs(last - start_frame)
    if count is not None:
        n = min(n, max(0, int(count)))
    rep = PropagationReport(start_frame, step)
    objs = {k: _Obj(m, max(1, m.area)) for k, m in masks.items() if not m.is_empty}
    for k in masks:
        rep.confidence[k] = []
        if k not in objs:
            rep.stopped[k] = "empty"
    if n == 0 or not objs:
        rep.reason = "end_of_video" if objs else "lost"
        return rep
    warper = FlowWarper(st)
    t0 = time.perf_counter()
    prev = _gray(source.read(start_frame))
    frame = start_frame
    for i in range(n):
        if cancel is not None and cancel.cancelled:
            rep.reason = "cancelled"
            break
        frame += step
        rgb = source.read(frame)
        cur = _gray(rgb)
        blocked = set(stop_at(frame)) if stop_at is not None else set()
        result = FrameResult(frame, {}, {})
        for k in list(objs):
            if k in blocked:
                rep.stopped[k] = "keyframe"
                del objs[k]
                continue
            o = objs[k]
            warped, photo, motion = warper.warp(prev, cur, o.mask, o.velocity)
            if warped.is_empty:
                rep.stopped[k] = "lost"
                del objs[k]
                continue
            refined, agreement = refiner.refine(rgb, warped)
            conf = photo * agreement
            if refined.area < st.min_area_ratio * o.start_area:
                rep.stopped[k] = "lost"
                del objs[k]
                continue
            if conf < st.min_confidence:
                rep.stopped[k] = "low_confidence"
                del objs[k]
                continue
            o.mask, o.velocity = refined, motion
            result.masks[k] = refined
            result.confidence[k] = conf
            rep.confidence[k].append(conf)
        if result.masks:
            rep.frames.append(frame)
            if on_frame is not None:
                on_frame(result)
        prev = cur
        report(progress, i + 1, n, f"frame {frame}")
        if not objs:
            reasons = set(rep.stopped.values())
            rep.reason = "keyframe" if reasons == {"keyframe"} else (
                "low_confidence" if "low_confidence" in reasons else "lost")
            break
    else:
        at_end = frame in (0, source.frame_count - 1) and (count is None or n < count)
        rep.reason = "end_of_video" if at_end and stop_frame is None else "done"
    rep.seconds = time.perf_counter() - t0
    return rep
