"""Video instance segmentation JSON: YouTube-VIS, and per-frame COCO with video and frame ids.

YouTube-VIS (`youtube-vis`): `videos` (id, width, height, length, file_names: one frame image
per frame), `categories`, and `annotations` = one object track each, with `segmentations`,
`bboxes` and `areas` per frame (null where the object is absent).  Masks are written as
compressed COCO RLE; import also takes uncompressed RLE and polygons.

Per-frame COCO (`coco-video`): a COCO file whose `images` are frames (`video_id`, `frame_id`),
plus `videos`; annotations carry `instance_id` (the track) and `video_id`.

Frames of a video *file* have no file names: they are written as `<video stem>/00012.jpg`
(`write_frames=true` also extracts them as JPEGs beside the JSON) and the video entry records
the video's path in `segstudio_video`, so SegStudio re-imports onto the video itself.  Frame
folders are referenced in place.  Tracks become `tracks` rows with fresh ids; instances without
a track are exported as one-frame tracks (reported).  Helpers here are shared with `davis.py`.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core import rle as core_rle
from segstudio.core.image_header import HeaderError, read_header
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io import rle_batch as rb
from segstudio.io.atomic import atomic_file
from segstudio.io.confine import Confined, dataset_root_of, exists
from segstudio.io.coords import check_image_size
from segstudio.io.errors import FormatError, JsonReader, load_json
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance, apply_plan
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport
from segstudio.store.project import ImageRecord, Project
from segstudio.store.tracks import (
    Track,
    delete_image_tracks,
    next_track_id,
    track_categories,
    track_names,
    write_tracks,
)

VIDEO_KINDS = ("video", "frames")
MAX_FRAMES = 10_000_000  # ~4 days at 30 fps: beyond it a "length" is not a video's


# --------------------------------------------------------------------------- shared: export side
def video_records(project: Project, options: dict, rep: ExportReport) -> list[ImageRecord]:
    recs = project.images(split=options.get("split"))
    stills = sum(1 for r in recs if r.kind not in VIDEO_KINDS)
    if stills:
        rep.skip(f"{stills} still images", "not videos (use an image format for them)")
    return [r for r in recs if r.kind in VIDEO_KINDS]


def frame_names(project: Project, rec: ImageRecord, base: Path) -> tuple[list[str], str | None]:
    """Frame file names relative to `base` and, for video files, the video's relative path."""
    path = project.image_path(rec)
    if rec.kind == "frames":
        from segstudio.io.video_source import list_frame_files

        files = list_frame_files(path) if path.is_dir() else []
        if len(files) == rec.frame_count:
            return [_rel(f, base) for f in files], None
    stem = Path(rec.path).stem
    return [f"{stem}/{i:05d}.jpg" for i in range(rec.frame_count)], _rel(path, base)


def _rel(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path.as_posix()


def video_tracks(project: Project, rec: ImageRecord, label_set: str, rep: ExportReport):
    """{track key: {frame: instance}} for one video, plus {track key: category id};
    untracked instances become one-frame tracks with negative keys."""
    tracks: dict[int, dict[int, Instance]] = defaultdict(dict)
    cats: dict[int, int] = {}
    loose = 0
    for frame in project.annotated_frames(rec.id, label_set):
        for inst in project.load_instances(rec.id, frame, label_set):  # bottom -> top
            if inst.mask.is_empty:
                continue
            key = inst.track_id
            if key is None:
                loose += 1
                key = -loose
            if frame in tracks[key]:
                rep.lose("second instance of a track on one frame dropped", f"{rec.name} frame {frame}")
            tracks[key][frame] = inst  # the topmost wins
            cats.setdefault(key, inst.category_id)
    if loose:
        rep.lose("instances without a track exported as one-frame tracks", rec.name, loose)
    cats.update({t: c for t, c in track_categories(project, rec.id).items() if t in tracks})
    return dict(tracks), cats


# --------------------------------------------------------------------------- shared: import side
def frame_folder_plan(folder: Path, ref: str) -> PlanImage:
    """A PlanImage for a folder of frames (size from the first frame's header)."""
    from segstudio.io.video_source import list_frame_files

    files = list_frame_files(folder)
    if not files:
        raise FormatError(folder, "no frame images in this folder")
    try:
        head = read_header(files[0])
    except (HeaderError, OSError) as e:
        raise FormatError(files[0], f"unreadable frame ({e})") from None
    return PlanImage(folder, head.width, head.height, kind="frames", frame_count=len(files), ref=ref)


def apply_with_tracks(
    project: Project, plan: ImportPlan, tracks: dict[int, tuple[str, str | None]],
    options: dict, progress: ProgressFn | None, cancel: CancelToken | None,
) -> ImportReport:
    """`apply_plan`, plus the `tracks` rows: file track keys (PlanInstance.track_id) are
    remapped to fresh project track ids; `tracks` = key -> (category name, track name)."""
    kw = dict(mode=options["mode"], label_set=options["label_set"],
              require_images=options["require_images"], progress=progress, cancel=cancel)
    if options.get("dry_run"):
        return apply_plan(project, plan, dry_run=True, **kw)
    with project.transaction():
        if options["mode"] == "replace":
            for im in plan.images:
                found = project.find_image(im.path)
                if found is not None and im.instances:
                    delete_image_tracks(project, found.id)
        base = next_track_id(project)
        remap = {key: base + k for k, key in enumerate(sorted(tracks))}
        owner: dict[int, PlanImage] = {}
        for im in plan.images:
            for inst in im.instances:
                if inst.track_id is not None:
                    owner.setdefault(inst.track_id, im)
                    inst.track_id = remap[inst.track_id]
        rep = apply_plan(project, plan, **kw)
        cat_ids = {cat.name: cat.id for cat in project.categories()}
        new: dict[int, Track | None] = {}
        for key, im in owner.items():
            rec = project.find_image(im.path)
            if rec is None:
                continue  # skipped (missing images)
            cat, name = tracks[key]
            new[remap[key]] = Track(remap[key], rec.id, cat_ids.get(cat), name)
        write_tracks(project, new)
    return rep


def segmentation_patch(src: Path, seg, shape: tuple[int, int], where: str,
                       rep: ImportReport | None = None) -> MaskPatch:
    """A COCO segmentation (compressed/uncompressed RLE or polygons) as a patch; strings are
    checked as strictly as the COCO reader checks them (a truncated string is an error)."""
    if isinstance(seg, dict):
        size = seg.get("size")
        if size != [shape[0], shape[1]]:
            raise FormatError(src, f"RLE size {size} differs from the video size {list(shape)}", where)
        counts = seg.get("counts")
        if isinstance(counts, list) and all(type(v) is int and 0 <= v <= shape[0] * shape[1] for v in counts):
            counts = rb.encode_strings(rb.from_lists([counts]))[0]  # one path for both forms
        elif not isinstance(counts, str):
            raise FormatError(src, "RLE counts must be a string or an array of non-negative integers",
                              f"{where}.counts")
        try:
            boxes, strings = rb.image_strings_to_patches([counts], np.array([shape[0]]), np.array([shape[1]]))
        except rb.RleStringError as e:
            raise FormatError(src, str(e), f"{where}.counts") from None
        if not int(boxes.area[0]):  # decoded over its box only, never the whole frame
            return MaskPatch.empty(shape)
        return core_rle.decode_patch({"size": [int(boxes.h[0]), int(boxes.w[0])], "counts": strings[0]},
                                     int(boxes.y0[0]), int(boxes.x0[0]), shape)
    if isinstance(seg, list):
        from segstudio.io.formats._polygons import checked_polygons, polygons_to_patch

        return polygons_to_patch(checked_polygons(seg, src, where, shape, rep), shape)
    raise FormatError(src, "a segmentation must be RLE, polygons or null", where)


def _confined(src: Path, options: dict) -> Confined:
    """Frame folders and video files stay inside the dataset (the JSON's folder, the one above an
    annotations/ folder) or `images_root` when given; `trust_paths` lifts it."""
    return Confined(dataset_root_of(src), src, bool(options.get("trust_paths")),
                    also=(options.get("images_root"),))


def _images_root(src: Path, names: list[str], given: str | None) -> Path:
    if given:
        return Path(given)
    d = src.parent
    cands = [d, d / "JPEGImages", d.parent / "JPEGImages", d / "images", d.parent]
    best, hits = d, -1
    for c in cands:
        n = sum(1 for f in names[:20] if exists(c / f))
        if n > hits:
            best, hits = c, n
    return best


def _video_plan(src: Path, v: JsonReader, root: Path, rep: ImportReport,
                confine: Confined) -> tuple[PlanImage, dict[str, int]]:
    """The project item for a video entry and, for frames on disk, file name -> frame index
    (otherwise the caller's own frame numbers hold).  Paths stay inside the dataset (`confine`)."""
    w, h = v.get("width", int), v.get("height", int)
    check_image_size(w, h, src, v.path)
    names = [n.expect(str) for n in v.items("file_names")] if v.has("file_names") else []
    length = v.get("length", int, default=len(names))
    if not 0 <= length <= MAX_FRAMES:
        raise FormatError(src, f"length {length} is not a frame count (0..{MAX_FRAMES:,})", v.child_path("length"))
    ref = str(v.get("name", str, default="") or (names[0].rsplit("/", 1)[0] if names else v.path))
    if v.has("segstudio_video"):
        vp = confine(v.get("segstudio_video", str), v.child_path("segstudio_video"), base=root)
        if vp.is_file() or not names:
            im = PlanImage(vp, w, h, kind="video", frame_count=length, ref=ref, fps=_fps(src, v))
            return im, {}
    if not names:
        raise FormatError(src, "a video needs file_names or segstudio_video", v.path)
    folders = {str(Path(n).parent) for n in names}
    if len(folders) != 1:
        raise FormatError(src, "the frames of one video must share one folder", v.child_path("file_names"))
    folder = confine(folders.pop(), v.child_path("file_names"), base=root)
    index: dict[str, int] = {}  # only when the frames are on disk: name -> frame index
    if folder.is_dir():
        im = frame_folder_plan(folder, ref)
        if (im.height, im.width) != (h, w):
            raise FormatError(src, f"frames in {folder} are {im.width}x{im.height}, the file says "
                              f"{w}x{h}", v.path)
        from segstudio.io.video_source import list_frame_files

        pos = {f.name: i for i, f in enumerate(list_frame_files(folder))}
        missing = [n for n in names if Path(n).name not in pos]
        if missing:
            rep.warn(f"{ref}: {len(missing)} listed frames are not in {folder}")
        index = {n: pos[Path(n).name] for n in names if Path(n).name in pos}
    else:
        im = PlanImage(folder, w, h, kind="frames", frame_count=max(length, len(names)), ref=ref)
    im.fps = _fps(src, v)
    return im, index


def _fps(src: Path, v: JsonReader) -> float | None:
    fps = v.get("fps", float, default=None)
    if fps is not None and not 0 < fps < 1e6:
        raise FormatError(src, f"fps {fps} is not a frame rate", v.child_path("fps"))
    return fps


# --------------------------------------------------------------------------- YouTube-VIS
def import_ytvis(src: Path, project, options: dict, progress, cancel) -> ImportReport:
    plan, tracks = read_ytvis(src, options, progress, cancel)
    return apply_with_tracks(project, plan, tracks, options, progress, cancel)


def read_ytvis(src: Path, options: dict, progress=None, cancel=None):
    top, plan, cat_name = _read_json(src, "youtube-vis")
    videos_r = top.items("videos")
    names = [n.expect(str) for v in videos_r if v.has("file_names") for n in v.items("file_names")[:1]]
    root = _images_root(src, names, options.get("images_root"))
    confine = _confined(src, options)
    videos: dict[int, tuple[PlanImage, list[str], dict[str, int]]] = {}
    for v in videos_r:
        vid = v.get("id", int)
        if vid in videos:
            raise FormatError(src, f"duplicate video id {vid}", v.child_path("id"))
        im, index = _video_plan(src, v, root, plan.report, confine)
        file_names = [n.expect(str) for n in v.items("file_names")] if v.has("file_names") else []
        videos[vid] = (im, file_names, index)
        plan.images.append(im)
    tracks: dict[int, tuple[str, str | None]] = {}
    anns = top.items("annotations", default_empty=True)
    for k, a in enumerate(anns):
        if cancel is not None:
            cancel.check()
        vid = a.get("video_id", int)
        if vid not in videos:
            raise FormatError(src, f"video_id {vid} is not in 'videos'", a.child_path("video_id"))
        cid = a.get("category_id", int, default=None)
        if cid is not None and cid not in cat_name:
            raise FormatError(src, f"category_id {cid} is not in 'categories'", a.child_path("category_id"))
        cat = cat_name[cid] if cid is not None else plan.category("object")
        im, file_names, index = videos[vid]
        segs = a.child("segmentations", list)
        for i, s in enumerate(segs.value):
            if s is None:
                continue
            frame = index.get(file_names[i], i) if i < len(file_names) else i
            if frame >= im.frame_count:
                raise FormatError(src, f"frame {i} is beyond the video's {im.frame_count} frames",
                                  f"{segs.path}[{i}]")
            mask = segmentation_patch(src, s, (im.height, im.width), f"{segs.path}[{i}]", plan.report)
            if mask.is_empty:
                continue
            inst = PlanInstance(cat, mask=mask, crowd=bool(a.get("iscrowd", int, default=0)),
                                score=a.get("score", float, default=None), track_id=k + 1, frame=frame)
            im.instances.append(inst)
        tracks[k + 1] = (cat, a.get("segstudio_track", str, default=None))
        report(progress, k + 1, len(anns), "reading annotations")
    return plan, tracks


def _read_json(src: Path, fmt: str) -> tuple[JsonReader, ImportPlan, dict[int, str]]:
    """The file's top object, a new plan reporting as `fmt`, and its categories (id -> name,
    each added to the plan)."""
    top = JsonReader(src, load_json(src))
    top.expect(dict)
    plan = ImportPlan(ImportReport(fmt))
    return top, plan, _categories(src, top, plan)


def _categories(src: Path, top: JsonReader, plan: ImportPlan) -> dict[int, str]:
    out = {}
    for c in top.items("categories", default_empty=True):
        name = str(c.get("name", str)).strip()
        if not name:
            raise FormatError(src, "empty category name", c.child_path("name"))
        out[c.get("id", int)] = plan.category(name, None, c.get("supercategory", str, default=None))
    return out


def _rle(patch: MaskPatch) -> dict:
    r = core_rle.patch_to_image_rle(patch)
    counts = r["counts"]
    return {"size": list(r["size"]), "counts": counts.decode() if isinstance(counts, bytes) else counts}


def export_ytvis(project: Project, dst: Path, options: dict, progress, cancel) -> ExportReport:
    rep = ExportReport("youtube-vis")
    base = dst.parent
    out, cat_names = _export_json(project, "videos", "annotations")
    recs = video_records(project, options, rep)
    for n, rec in enumerate(recs):
        if cancel is not None:
            cancel.check()
        names, video_rel = frame_names(project, rec, base)
        out["videos"].append(_video_entry(rec, video_rel, file_names=names))
        rep.images += 1
        tracks, tcats = video_tracks(project, rec, options["label_set"], rep)
        tnames = track_names(project, rec.id)
        for key in sorted(tracks, key=lambda t: (t < 0, abs(t))):
            segs, boxes, areas = [None] * rec.frame_count, [None] * rec.frame_count, [None] * rec.frame_count
            for frame, inst in tracks[key].items():
                segs[frame] = _rle(inst.mask)
                boxes[frame] = list(inst.mask.bbox())
                areas[frame] = inst.mask.area
            ann = {"id": len(out["annotations"]) + 1, "video_id": rec.id,
                   "category_id": tcats[key], "iscrowd": 0, "segmentations": segs,
                   "bboxes": boxes, "areas": areas, "height": rec.height, "width": rec.width}
            if key in tnames:
                ann["segstudio_track"] = tnames[key]
            out["annotations"].append(ann)
            rep.count(cat_names.get(tcats[key], "?"))
        if options.get("write_frames") and video_rel is not None:
            _write_frames(project, rec, base, names, rep, cancel)
        report(progress, n + 1, len(recs), rec.name)
    _write_json(dst, out, rep)
    return rep


def _export_json(project: Project, *lists: str) -> tuple[dict[str, Any], dict[int, str]]:
    """The start of a video JSON export: info, the empty `lists` and the project's categories;
    plus category id -> name for the report."""
    cats = project.categories()
    out: dict[str, Any] = {"info": {"description": "exported by SegStudio"}, **{k: [] for k in lists},
                           "categories": [{"id": c.id, "name": c.name, "supercategory": c.supercategory or ""}
                                          for c in cats]}
    return out, {c.id: c.name for c in cats}


def _video_entry(rec: ImageRecord, video_rel: str | None, **extra: Any) -> dict[str, Any]:
    """A `videos` entry; a video file's relative path goes in `segstudio_video` (re-import
    onto the file itself)."""
    entry = {"id": rec.id, "name": Path(rec.path).stem, "width": rec.width, "height": rec.height,
             "length": rec.frame_count, **extra}
    if video_rel is not None:
        entry["segstudio_video"] = video_rel
    return entry


def _write_json(dst: Path, out: dict[str, Any], rep: ExportReport) -> None:
    with atomic_file(dst, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    rep.files.append(str(dst))


def _write_frames(project: Project, rec: ImageRecord, base: Path, names: list[str],
                  rep: ExportReport, cancel) -> None:
    """Extract a video's frames as JPEGs at the names the JSON gives them."""
    import cv2

    from segstudio.io.atomic import StagedOutput
    from segstudio.io.video_source import open_source

    folder = base / Path(names[0]).parent
    with open_source(project.image_path(rec), cache_bytes=0) as source, StagedOutput(folder, "frames") as out:
        for i, name in enumerate(names):
            if cancel is not None and i % 16 == 0:
                cancel.check()
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(source.read(i), cv2.COLOR_RGB2BGR),
                                   [cv2.IMWRITE_JPEG_QUALITY, 95])
            out.write_bytes(Path(name).name, buf.tobytes())
    rep.files.append(str(folder))


# --------------------------------------------------------------------------- per-frame COCO
def export_coco_video(project: Project, dst: Path, options: dict, progress, cancel) -> ExportReport:
    rep = ExportReport("coco-video")
    base = dst.parent
    out, cat_names = _export_json(project, "videos", "images", "annotations")
    recs = video_records(project, options, rep)
    next_instance = 1
    for n, rec in enumerate(recs):
        names, video_rel = frame_names(project, rec, base)
        out["videos"].append(_video_entry(rec, video_rel))
        rep.images += 1
        tracks, _ = video_tracks(project, rec, options["label_set"], rep)
        frames = range(rec.frame_count) if options.get("all_frames") else sorted(
            {f for t in tracks.values() for f in t})
        image_id = {}
        for f in frames:
            image_id[f] = len(out["images"]) + 1
            out["images"].append({"id": image_id[f], "file_name": names[f], "video_id": rec.id,
                                  "frame_id": f, "width": rec.width, "height": rec.height})
        for key in sorted(tracks, key=lambda t: (t < 0, abs(t))):
            for f, inst in sorted(tracks[key].items()):
                x, y, w, h = inst.mask.bbox()
                out["annotations"].append({
                    "id": len(out["annotations"]) + 1, "image_id": image_id[f], "video_id": rec.id,
                    "category_id": inst.category_id, "instance_id": next_instance,
                    "segmentation": _rle(inst.mask), "bbox": [x, y, w, h],
                    "area": inst.mask.area, "iscrowd": int(inst.crowd)})
                rep.count(cat_names.get(inst.category_id, "?"))
            next_instance += 1
        report(progress, n + 1, len(recs), rec.name)
        if cancel is not None:
            cancel.check()
    _write_json(dst, out, rep)
    return rep


def import_coco_video(src: Path, project, options: dict, progress, cancel) -> ImportReport:
    top, plan, cat_name = _read_json(src, "coco-video")
    videos_r = top.items("videos")
    images_r = top.items("images")
    root = _images_root(src, [i.get("file_name", str) for i in images_r[:20]], options.get("images_root"))
    confine = _confined(src, options)
    by_video: dict[int, list[JsonReader]] = defaultdict(list)
    for image_r in images_r:
        by_video[image_r.get("video_id", int)].append(image_r)
    videos: dict[int, tuple[PlanImage, dict[str, int]]] = {}
    frame_of: dict[int, tuple[int, int]] = {}  # image id -> (video id, frame)
    for v in videos_r:
        vid = v.get("id", int)
        frames = sorted(by_video.get(vid, []), key=lambda r: r.get("frame_id", int))
        entry = dict(v.value)
        entry.setdefault("file_names", [r.get("file_name", str) for r in frames])
        im, index = _video_plan(src, JsonReader(src, entry, v.path), root, plan.report, confine)
        videos[vid] = (im, index)
        plan.images.append(im)
        for r in frames:
            frame_of[r.get("id", int)] = (vid, index.get(r.get("file_name", str), r.get("frame_id", int)))
    tracks: dict[int, tuple[str, str | None]] = {}
    track_keys: dict[tuple[int, int], int] = {}
    for a in top.items("annotations", default_empty=True):
        iid = a.get("image_id", int)
        if iid not in frame_of:
            raise FormatError(src, f"image_id {iid} is not a frame of a listed video", a.child_path("image_id"))
        vid, frame = frame_of[iid]
        im = videos[vid][0]
        cid = a.get("category_id", int)
        if cid not in cat_name:
            raise FormatError(src, f"category_id {cid} is not in 'categories'", a.child_path("category_id"))
        mask = segmentation_patch(src, a.value.get("segmentation"), (im.height, im.width),
                                  a.child_path("segmentation"), plan.report)
        if mask.is_empty:
            plan.report.skip(a.path, "empty mask")
            continue
        key = a.get("instance_id", int, default=None)
        track = None
        if key is not None:
            track = track_keys.setdefault((vid, key), len(track_keys) + 1)
            tracks.setdefault(track, (cat_name[cid], None))
        im.instances.append(PlanInstance(cat_name[cid], mask=mask, crowd=bool(a.get("iscrowd", int, default=0)),
                                         score=a.get("score", float, default=None), track_id=track, frame=frame))
    return apply_with_tracks(project, plan, tracks, options, progress, cancel)


FORMATS = [
    FormatSpec(
        name="youtube-vis",
        description="YouTube-VIS video instance segmentation JSON (per-frame RLE, one track per annotation)",
        import_fn=import_ytvis,
        export_fn=export_ytvis,
        import_options=(Option("images_root", None, "folder the frame file_names are relative to"),),
        export_options=(Option("write_frames", False, "extract frames of video files as JPEGs beside the JSON",
                               type=bool),),
    ),
    FormatSpec(
        name="coco-video",
        description="per-frame COCO JSON with video_id, frame_id and instance_id (tracks)",
        import_fn=import_coco_video,
        export_fn=export_coco_video,
        import_options=(Option("images_root", None, "folder the frame file_names are relative to"),),
        export_options=(Option("all_frames", False, "list every frame as an image, not only annotated ones",
                               type=bool),),
    ),
]
