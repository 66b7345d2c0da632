"""Object tracks of a video: one track = one object through time (id, category, name).

Instances on different frames belong to a track through `Instance.track_id`; the `tracks`
table holds the track's category and name (queries: `segstudio.store.tracks`).  Every change
is built as one undoable `VideoEdit` (new track, assign, unassign, split, merge, delete, rename,
set category).  One track has at most one instance per frame: a merge that would put two
instances of one track on a frame is refused with the frames named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from segstudio.core.instance import Instance
from segstudio.store import Project
from segstudio.store.tracks import Track, frames_of_track, get_track, next_track_id, track_presence
from segstudio.video.edits import DocumentLookup, FrameChanges, VideoEdit


class TrackError(ValueError):
    """A track operation that cannot be done as asked; the message says why."""


# --------------------------------------------------------------------------- reading
def track_instances(
    project: Project, image_id: int, track_id: int, label_set: str = "gt",
    frames: Iterable[int] | None = None,
) -> dict[int, Instance]:
    """frame -> the track's instance on that frame (the topmost one if a frame has several)."""
    wanted = set(frames) if frames is not None else None
    out: dict[int, Instance] = {}
    for frame in frames_of_track(project, image_id, track_id, label_set):
        if wanted is not None and frame not in wanted:
            continue
        for inst in project.load_instances(image_id, frame, label_set):
            if inst.track_id == track_id:
                out[frame] = inst
    return out


# --------------------------------------------------------------------------- edits
def _edit(project, image_id, label, before, after, tb=None, ta=None, label_set="gt", documents=None):
    return VideoEdit(
        project, image_id, label, before, after, tb, ta, label_set=label_set, documents=documents
    )


def _retrack(
    items: Iterable[tuple[int, Instance]], track_id: int | None, category_id: int | None = None
) -> tuple[FrameChanges, FrameChanges]:
    before: FrameChanges = defaultdict(dict)
    after: FrameChanges = defaultdict(dict)
    for frame, inst in items:
        new = inst.with_(track_id=track_id)
        if category_id is not None:
            new = new.with_category(category_id)
        before[frame][inst.id] = inst
        after[frame][inst.id] = new
    return dict(before), dict(after)


def _frame_instances(project: Project, image_id: int, frame: int, ids: Iterable[int], label_set: str):
    by_id = {i.id: i for i in project.load_instances(image_id, frame, label_set)}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise TrackError(f"frame {frame} has no instance {', '.join(map(str, missing))}")
    return [by_id[i] for i in ids]


def new_track(
    project: Project, image_id: int, frame: int, instance_ids: Iterable[int], *,
    name: str | None = None, category_id: int | None = None, label_set: str = "gt",
    documents: DocumentLookup | None = None,
) -> tuple[VideoEdit, int]:
    """Start a track from instances of one frame (at most one per frame, so usually one)."""
    insts = _frame_instances(project, image_id, frame, list(instance_ids), label_set)
    if len(insts) != 1:
        raise TrackError("a new track starts from exactly one instance on a frame")
    tid = next_track_id(project)
    cat = category_id if category_id is not None else insts[0].category_id
    track = Track(tid, image_id, cat, name)
    before, after = _retrack([(frame, insts[0])], tid)
    return _edit(project, image_id, "New track", before, after, {tid: None}, {tid: track},
                 label_set, documents), tid


def assign_track(
    project: Project, image_id: int, frame: int, instance_id: int, track_id: int, *,
    label_set: str = "gt", documents: DocumentLookup | None = None,
) -> VideoEdit:
    """Put an instance into a track; the track's instance already on that frame leaves it."""
    track = get_track(project, track_id)
    if track is None or track.image_id != image_id:
        raise TrackError(f"no track {track_id} in this video")
    items = []
    for inst in project.load_instances(image_id, frame, label_set):
        if inst.id == instance_id:
            items.append((frame, inst))
    if not items:
        raise TrackError(f"frame {frame} has no instance {instance_id}")
    before, after = _retrack(items, track_id, track.category_id)
    for inst in project.load_instances(image_id, frame, label_set):
        if inst.track_id == track_id and inst.id != instance_id:
            before[frame][inst.id] = inst
            after[frame][inst.id] = inst.with_(track_id=None)
    return _edit(project, image_id, "Assign to track", before, after, label_set=label_set,
                 documents=documents)


def unassign(
    project: Project, image_id: int, frame: int, instance_ids: Iterable[int], *,
    label_set: str = "gt", documents: DocumentLookup | None = None,
) -> VideoEdit:
    insts = _frame_instances(project, image_id, frame, list(instance_ids), label_set)
    before, after = _retrack([(frame, i) for i in insts], None)
    return _edit(project, image_id, "Remove from track", before, after, label_set=label_set,
                 documents=documents)


def split_track(
    project: Project, image_id: int, track_id: int, at_frame: int, *,
    label_set: str = "gt", documents: DocumentLookup | None = None,
) -> tuple[VideoEdit, int]:
    """Frames >= at_frame move to a new track (same category); returns (edit, new track id)."""
    track = get_track(project, track_id)
    if track is None:
        raise TrackError(f"no track {track_id}")
    frames = track_presence(project, image_id, label_set).get(track_id, [])
    tail = [f for f in frames if f >= at_frame]
    if not tail or len(tail) == len(frames):
        raise TrackError(
            f"splitting track {track_id} at frame {at_frame} leaves one side empty "
            f"(it spans frames {frames[0] if frames else '-'}..{frames[-1] if frames else '-'})"
        )
    tid = next_track_id(project)
    new = Track(tid, image_id, track.category_id, f"{track.label} (split)")
    insts = track_instances(project, image_id, track_id, label_set, tail)
    before, after = _retrack(sorted(insts.items()), tid)
    return _edit(project, image_id, "Split track", before, after, {tid: None}, {tid: new},
                 label_set, documents), tid


def merge_tracks(
    project: Project, image_id: int, keep_id: int, other_ids: Iterable[int], *,
    label_set: str = "gt", documents: DocumentLookup | None = None,
) -> VideoEdit:
    """Move every instance of `other_ids` into `keep_id` (taking its category) and drop them."""
    others = [t for t in dict.fromkeys(other_ids) if t != keep_id]
    keep = get_track(project, keep_id)
    if keep is None:
        raise TrackError(f"no track {keep_id}")
    presence = track_presence(project, image_id, label_set)
    seen = {f: keep_id for f in presence.get(keep_id, [])}
    clashes = []
    for t in others:
        for f in presence.get(t, []):
            if f in seen:
                clashes.append(f)
            seen[f] = t
    if clashes:
        shown = ", ".join(map(str, sorted(set(clashes))[:10]))
        raise TrackError(f"tracks overlap on frames {shown}: a track has one instance per frame "
                         "(delete or split the overlap first)")
    items, tb, ta = [], {}, {}
    for t in others:
        track = get_track(project, t)
        if track is None:
            raise TrackError(f"no track {t}")
        tb[t], ta[t] = track, None
        items += sorted(track_instances(project, image_id, t, label_set).items())
    before, after = _retrack(items, keep_id, keep.category_id)
    return _edit(project, image_id, "Merge tracks", before, after, tb, ta, label_set, documents)


def delete_track(
    project: Project, image_id: int, track_id: int, *, delete_instances: bool = False,
    label_set: str = "gt", documents: DocumentLookup | None = None,
) -> VideoEdit:
    track = get_track(project, track_id)
    if track is None:
        raise TrackError(f"no track {track_id}")
    insts = sorted(track_instances(project, image_id, track_id, label_set).items())
    if delete_instances:
        before = {f: {i.id: i} for f, i in insts}
        after: FrameChanges = {f: {i.id: None} for f, i in insts}
    else:
        before, after = _retrack(insts, None)
    return _edit(project, image_id, "Delete track", before, after, {track_id: track},
                 {track_id: None}, label_set, documents)


def update_track(
    project: Project, image_id: int, track_id: int, *, name: str | None = None,
    category_id: int | None = None, label_set: str = "gt", documents: DocumentLookup | None = None,
) -> VideoEdit:
    """Rename a track and/or change its category (every instance of the track follows)."""
    track = get_track(project, track_id)
    if track is None:
        raise TrackError(f"no track {track_id}")
    new = Track(track.id, track.image_id,
                track.category_id if category_id is None else category_id,
                track.name if name is None else (name.strip() or None))
    before: FrameChanges = {}
    after: FrameChanges = {}
    if category_id is not None and category_id != track.category_id:
        insts = sorted(track_instances(project, image_id, track_id, label_set).items())
        before, after = _retrack(insts, track_id, category_id)
    return _edit(project, image_id, "Edit track", before, after, {track_id: track},
                 {track_id: new}, label_set, documents)
