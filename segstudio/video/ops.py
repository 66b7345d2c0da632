"""Propagation and interpolation in a project, as one undoable `VideoEdit` each.

Three steps so the GUI can run the middle one on its worker thread:
1. `plan_propagation` (caller's thread, reads the store): the start masks keyed by track id
   (instances without a track get a new one), and where each track has user keyframes;
2. `run_plan` (any thread, no store access): streams frames from a private `FrameSource`
   and propagates; returns the per-frame masks and the report;
3. `propagation_edit` (caller's thread): the VideoEdit that writes them.

Keyframes: an instance of a track is a keyframe unless it was made by propagation or
interpolation (`attributes['propagated_from']` / `attributes['interpolated']`).  Propagation
stops at a track's next keyframe and overwrites the propagated/interpolated instances before
it, so correcting a frame and propagating again from there replaces the old results.  The
frame propagated from becomes a keyframe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.io.video_source import open_source
from segstudio.store import Project
from segstudio.store.tracks import Track, get_track, next_track_id
from segstudio.video.edits import DocumentLookup, FrameChanges, VideoEdit
from segstudio.video.interpolate import interpolate_sequence
from segstudio.video.propagate import PropagationReport, PropagationSettings, propagate
from segstudio.video.refine import MaskRefiner
from segstudio.video.tracks import TrackError, track_instances

DERIVED_KEYS = ("propagated_from", "interpolated")
PROPAGATION_CACHE_BYTES = 64 * 1024 * 1024


def is_keyframe(inst: Instance) -> bool:
    return not any(k in inst.attributes for k in DERIVED_KEYS)


@dataclass
class PropagationPlan:
    image_id: int
    video_path: Path
    frame: int
    label_set: str
    masks: dict[int, MaskPatch]  # track id -> start mask
    start: dict[int, Instance]  # track id -> the start instance (before any change)
    new_tracks: dict[int, Track] = field(default_factory=dict)
    keyframes: dict[int, set[int]] = field(default_factory=dict)  # track id -> keyframe frames
    step: int = 1
    count: int | None = None
    stop_frame: int | None = None


@dataclass
class PropagationOutcome:
    masks: dict[int, dict[int, MaskPatch]]  # frame -> track id -> mask
    confidence: dict[int, dict[int, float]]  # frame -> track id -> confidence
    report: PropagationReport


def plan_propagation(
    project: Project, image_id: int, frame: int, instance_ids: Iterable[int], *,
    step: int = 1, count: int | None = None, stop_frame: int | None = None,
    label_set: str = "gt",
) -> PropagationPlan:
    rec = project.image(image_id)
    if rec.kind not in ("video", "frames"):
        raise TrackError(f"{rec.path} is an image, not a video")
    if not 0 <= frame < rec.frame_count:
        raise TrackError(f"frame {frame} out of range (0..{rec.frame_count - 1})")
    by_id = {i.id: i for i in project.load_instances(image_id, frame, label_set)}
    ids = list(dict.fromkeys(instance_ids))
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise TrackError(f"frame {frame} has no instance {', '.join(map(str, missing))}")
    if not ids:
        raise TrackError("no instance to propagate")
    plan = PropagationPlan(image_id, project.image_path(rec), frame, label_set, {}, {},
                           step=step, count=count, stop_frame=stop_frame)
    tid = next_track_id(project)
    for iid in ids:
        inst = by_id[iid]
        if inst.mask.is_empty:
            raise TrackError(f"instance {iid} on frame {frame} has an empty mask")
        track_id = inst.track_id
        if track_id is None or get_track(project, track_id) is None:
            track_id = track_id if track_id is not None else tid
            tid = max(tid, track_id) + 1
            plan.new_tracks[track_id] = Track(track_id, image_id, inst.category_id, None)
        if track_id in plan.masks:
            raise TrackError(f"two selected instances belong to track {track_id}")
        plan.masks[track_id] = inst.mask
        plan.start[track_id] = inst
        keys = set()
        if track_id not in plan.new_tracks:
            for f, other in track_instances(project, image_id, track_id, label_set).items():
                if f != frame and is_keyframe(other):
                    keys.add(f)
        plan.keyframes[track_id] = keys
    return plan


def run_plan(
    plan: PropagationPlan, *, refiner: MaskRefiner | None = None,
    settings: PropagationSettings | None = None,
    cancel: CancelToken | None = None, progress: ProgressFn | None = None,
) -> PropagationOutcome:
    """Propagate; safe on a worker thread (opens its own frame source, touches no store)."""
    masks: dict[int, dict[int, MaskPatch]] = {}
    conf: dict[int, dict[int, float]] = {}

    def collect(result) -> None:
        masks[result.frame] = dict(result.masks)
        conf[result.frame] = dict(result.confidence)

    def stop_at(frame: int) -> list[int]:
        return [t for t, frames in plan.keyframes.items() if frame in frames]

    with open_source(plan.video_path, cache_bytes=PROPAGATION_CACHE_BYTES, verify_end=False) as src:
        report = propagate(
            src, plan.frame, plan.masks, step=plan.step, count=plan.count,
            stop_frame=plan.stop_frame, refiner=refiner, settings=settings, on_frame=collect,
            stop_at=stop_at, cancel=cancel, progress=progress,
        )
    return PropagationOutcome(masks, conf, report)


def propagation_edit(
    project: Project, plan: PropagationPlan, outcome: PropagationOutcome, *,
    documents: DocumentLookup | None = None,
) -> VideoEdit:
    """One undoable edit: new tracks, the start instances as keyframes, every propagated mask."""
    before: FrameChanges = {}
    after: FrameChanges = {}
    f0 = plan.frame
    now = {i.id: i for i in project.load_instances(plan.image_id, f0, plan.label_set)}
    for tid, inst in plan.start.items():
        inst = now.get(inst.id, inst)  # edited while the propagation ran: keep the edit
        attrs = {k: v for k, v in inst.attributes.items() if k not in DERIVED_KEYS + ("confidence",)}
        before.setdefault(f0, {})[inst.id] = inst
        after.setdefault(f0, {})[inst.id] = inst.with_(track_id=tid, attributes=attrs)
    for frame, by_track in sorted(outcome.masks.items()):
        existing = project.load_instances(plan.image_id, frame, plan.label_set)
        ids = {i.id for i in existing}
        of_track = {i.track_id: i for i in existing if i.track_id is not None}
        for tid, mask in by_track.items():
            c = round(float(outcome.confidence[frame][tid]), 4)
            attrs = {"propagated_from": f0, "confidence": c}
            old = of_track.get(tid)
            if old is not None:
                if is_keyframe(old):
                    continue  # never overwrite a user keyframe
                new = old.with_(mask=mask, score=c, attributes=attrs, source="model")
            else:
                start = plan.start[tid]
                iid = start.id if start.id not in ids else max(ids, default=0) + 1
                ids.add(iid)
                new = Instance(iid, start.category_id, mask, "model", c, attrs, tid)
            before.setdefault(frame, {})[new.id] = old
            after.setdefault(frame, {})[new.id] = new
    n = len(outcome.masks)
    label = f"Propagate {'forward' if plan.step > 0 else 'backward'} ({n} frames)"
    tb = {t: None for t in plan.new_tracks}
    return VideoEdit(project, plan.image_id, label, before, after, tb, dict(plan.new_tracks),
                     label_set=plan.label_set, documents=documents)


def propagate_in_project(
    project: Project, image_id: int, frame: int, instance_ids: Iterable[int], *,
    step: int = 1, count: int | None = None, stop_frame: int | None = None,
    refiner: MaskRefiner | None = None, settings: PropagationSettings | None = None,
    label_set: str = "gt", cancel: CancelToken | None = None, progress: ProgressFn | None = None,
) -> tuple[VideoEdit, PropagationReport]:
    """Plan, run and write (for the CLI and tests); returns the applied edit and the report."""
    plan = plan_propagation(project, image_id, frame, instance_ids, step=step, count=count,
                            stop_frame=stop_frame, label_set=label_set)
    outcome = run_plan(plan, refiner=refiner, settings=settings, cancel=cancel, progress=progress)
    edit = propagation_edit(project, plan, outcome)
    edit.do()
    return edit, outcome.report


# --------------------------------------------------------------------------- interpolation
def interpolation_edit(
    project: Project, image_id: int, track_id: int, *, frame_a: int | None = None,
    frame_b: int | None = None, label_set: str = "gt", documents: DocumentLookup | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> VideoEdit:
    """Fill the gaps of a track between keyframes with interpolated shapes (one undo step).

    With `frame_a` and `frame_b`, only between those two frames (both must hold the track);
    otherwise between every pair of consecutive keyframes.  Propagated or interpolated
    instances in a gap are replaced; user keyframes are never touched.
    """
    insts = track_instances(project, image_id, track_id, label_set)
    if frame_a is not None and frame_b is not None:
        lo, hi = sorted((frame_a, frame_b))
        for f in (lo, hi):
            if f not in insts:
                raise TrackError(f"track {track_id} has no instance on frame {f}")
        pairs = [(lo, hi)]
    else:
        keys = sorted(f for f, i in insts.items() if is_keyframe(i))
        pairs = [(a, b) for a, b in zip(keys, keys[1:]) if b - a > 1]
    if not pairs:
        raise TrackError(f"track {track_id} has no two keyframes with frames between them")
    before: FrameChanges = {}
    after: FrameChanges = {}
    for n, (a, b) in enumerate(pairs):
        ia, ib = insts[a], insts[b]
        for f, mask in interpolate_sequence(ia.mask, a, ib.mask, b).items():
            old = insts.get(f)
            if old is not None and is_keyframe(old):
                continue
            attrs = {"interpolated": [a, b]}
            if old is not None:
                new = old.with_(mask=mask, attributes=attrs, source="model", score=None)
            else:
                ids = {i.id for i in project.load_instances(image_id, f, label_set)}
                iid = ia.id if ia.id not in ids else max(ids, default=0) + 1
                new = Instance(iid, ia.category_id, mask, "model", None, attrs, track_id)
            if new.mask.is_empty and old is None:
                continue
            before.setdefault(f, {})[new.id] = old
            after.setdefault(f, {})[new.id] = new
        if progress is not None:
            progress(n + 1, len(pairs), f"frames {a}-{b}")
    return VideoEdit(project, image_id, "Interpolate track", before, after,
                     label_set=label_set, documents=documents)
