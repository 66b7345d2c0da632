"""CVAT for video 1.1 (XML): tracks of shapes over the frames of one video.

Import: the video is `<meta><source>` (a video file or a folder of frames) found beside the XML,
in its `images/` folder (CVAT's frames), or given with `video=`; its size is
`<original_size>`, its length `stop_frame - start_frame + 1`.  Every `<track>` becomes a
SegStudio track; each of its shapes with `outside="0"` is an instance on that frame (frame
numbers are the task's: video frame = start_frame + frame x the `step=` of `frame_filter`),
read by the same rules as CVAT for images (`cvat.ShapeReader`), with `keyframe` kept as an
instance attribute (interpolated frames are `keyframe: false`).  `outside="1"` ends a run.

Export: one file per video (`<video stem>.xml` in a DST folder; a `.xml` DST takes a project
with one video).  Every tracked instance is a shape of its track on its frame; after the last
frame of each run an `outside="1"` copy ends it, as CVAT writes.  Instances without a track
become one-frame tracks (reported).  Shapes are written as drawn, else the simplest exact
polygon, else a `<mask>` (see `cvat.py`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.io.atomic import StagedOutput
from segstudio.io.coords import check_image_size
from segstudio.io.errors import FormatError
from segstudio.io.exporting import unique_name
from segstudio.io.formats import _cvat_xml as cx
from segstudio.io.formats.cvat import (
    ShapeReader,
    ShapeWriter,
    annotation_file,
    label_colors,
    label_specs,
)
from segstudio.io.formats.youtube_vis import VIDEO_KINDS, apply_with_tracks
from segstudio.io.plan import ImportPlan, PlanImage
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport
from segstudio.store.bulk import stored_video_rows

MAX_FRAMES = 10_000_000


def _task(doc: cx.Document, xml: Path) -> cx.Node:
    if doc.meta is None:
        raise FormatError(xml, "no <meta> section (CVAT for video needs the task's size and frames)")
    task = doc.meta.find("task") or doc.meta.find("job") or next(iter(doc.meta.iter("task")), None)
    if task is None:
        raise FormatError(xml, "no <task> in <meta>", f"line {doc.meta.line}")
    return task


def _int_of(node: cx.Node, tag: str, xml: Path, default: int | None = None) -> int:
    c = node.find(tag)
    if c is None or not c.text.strip():
        if default is not None:
            return default
        raise FormatError(xml, f"<{node.tag}> has no <{tag}>", f"line {node.line}")
    try:
        return int(c.text.strip())
    except ValueError:
        raise FormatError(xml, f"<{tag}> {c.text.strip()!r} is not an integer", f"line {c.line}") from None


def _video_item(xml: Path, doc: cx.Document, task: cx.Node, options: dict, rep: ImportReport) -> tuple[PlanImage, int, int]:
    size = task.find("original_size") or next(iter(doc.meta.iter("original_size") if doc.meta is not None else ()), None)
    if size is None:
        raise FormatError(xml, "no <original_size> (the frames' width and height)", f"line {task.line}")
    w, h = _int_of(size, "width", xml), _int_of(size, "height", xml)
    check_image_size(w, h, xml, f"line {size.line}")
    start = _int_of(task, "start_frame", xml, 0)
    stop = _int_of(task, "stop_frame", xml, -1)
    count = _int_of(task, "size", xml, max(0, stop - start + 1))
    step = 1
    m = re.search(r"step\s*=\s*(\d+)", task.text_of("frame_filter"))
    if m:
        step = max(1, int(m.group(1)))
    if not 0 < count <= MAX_FRAMES or start < 0:
        raise FormatError(xml, f"a task of {count} frames from frame {start} is not a video", f"line {task.line}")
    source = (doc.meta.text_of("source") if doc.meta is not None else "") or task.text_of("source")
    root = xml.parent
    candidates = []
    if options.get("video"):
        candidates.append(Path(options["video"]))
    if source:
        candidates += [root / source.replace("\\", "/"), root / Path(source.replace("\\", "/")).name]
    candidates.append(root / "images")
    path = next((c for c in candidates if c.exists()), candidates[0] if candidates else root / "video")
    kind = "frames" if path.is_dir() else "video"
    span = start + (count - 1) * step + 1
    im = PlanImage(path, w, h, kind=kind, frame_count=span, ref=source or path.name, source=xml,
                   where=f"line {size.line}")
    return im, start, step


def read_video(src: Path, options: dict, progress=None, cancel=None) -> tuple[ImportPlan, dict]:
    xml = annotation_file(src)
    doc = cx.parse(xml)
    plan = ImportPlan(ImportReport("cvat-video"))
    if doc.images and not doc.tracks:
        raise FormatError(xml, "this is a CVAT for images file (<image> elements); import it as cvat")
    task = _task(doc, xml)
    specs = label_specs(doc)
    colors = label_colors(doc)
    for name in specs:
        if name:
            plan.category(name, colors.get(name))
    im, start, step = _video_item(xml, doc, task, options, plan.report)
    plan.images.append(im)
    reader = ShapeReader(xml, plan, specs)
    tracks: dict[int, tuple[str, str | None]] = {}
    shape_hw = (im.height, im.width)
    ordered = []
    for k, t in enumerate(doc.tracks):
        if cancel is not None and k % 200 == 0:
            cancel.check()
        tid = cx.integer(t.attrs, "id", xml, t.line)
        if tid in tracks:
            raise FormatError(xml, f"duplicate track id {tid}", f"line {t.line}")
        label = t.attrs.get("label", "")
        cat = None
        seen: set[int] = set()
        for s in t.shapes:
            frame = cx.integer(s.attrs, "frame", xml, s.line)
            if frame < 0 or start + frame * step >= im.frame_count:
                raise FormatError(xml, f"frame {frame} is outside the task's frames", f"line {s.line}")
            if frame in seen:
                raise FormatError(xml, f"track {tid} has two shapes on frame {frame}", f"line {s.line}")
            seen.add(frame)
            if s.attrs.get("outside") == "1":
                continue
            for key in ("group_id", "source"):
                if key in t.attrs and key not in s.attrs:
                    s.attrs[key] = t.attrs[key]
            inst = reader.instance(s, label, shape_hw, f"{im.ref} frame {frame}")
            if inst is None:
                continue
            inst.attributes["keyframe"] = s.attrs.get("keyframe", "1") != "0"
            inst.track_id = tid
            inst.frame = start + frame * step
            cat = inst.category
            ordered.append((inst.frame, cx.integer(s.attrs, "z_order", xml, s.line, default=0), k, inst))
        tracks[tid] = (cat or plan.category(label or "object"), None)
        report(progress, k + 1, len(doc.tracks), "reading tracks")
    reader.finish()
    for frame, _z, _k, inst in sorted(ordered, key=lambda x: (x[0], x[1], x[2])):
        if inst.rle is not None and inst.rle.area == 0 or inst.rle is None and (inst.mask is None or inst.mask.is_empty):
            plan.report.skip(f"{im.ref} frame {frame} ({inst.category})", "shape covers no pixel")
            continue
        im.instances.append(inst)
    if step != 1 or start:
        plan.report.warn(f"{im.ref}: task frames map to video frames {start} + {step} x frame")
    return plan, tracks


def import_video(src: Path, project, options: dict, progress, cancel) -> ImportReport:
    plan, tracks = read_video(src, options, progress, cancel)
    plan.report.source = str(src)
    return apply_with_tracks(project, plan, tracks, options, progress, cancel)


# --------------------------------------------------------------------------- export
def export_video(project, dst: Path, options: dict, progress: ProgressFn | None,
                 cancel: CancelToken | None) -> ExportReport:
    rep = ExportReport("cvat-video")
    recs = [r for r in project.images(split=options.get("split")) if r.kind in VIDEO_KINDS]
    stills = sum(1 for r in project.images(split=options.get("split")) if r.kind not in VIDEO_KINDS)
    if stills:
        rep.skip(f"{stills} still images", "not videos (export them as cvat)")
    single = dst.suffix.lower() == ".xml"
    if single and len(recs) != 1:
        raise ValueError(f"{dst}: the project has {len(recs)} videos; give a folder (one XML per video)")
    out_dir = dst.parent if single else dst
    cats = list(project.categories())
    names = {c.id: c.name for c in cats}
    writer = ShapeWriter(names, rep, float(options.get("tolerance") or 0.0))
    label_set = options.get("label_set", "gt")
    used: set[str] = set()
    kind = f"cvat-video.{dst.name}" if single else "cvat-video"  # a named .xml: its own manifest
    with StagedOutput(out_dir, kind) as stage:
        for n, rec in enumerate(recs):
            if cancel is not None:
                cancel.check()
            name = dst.name if single else unique_name(Path(rec.path).stem, used) + ".xml"
            body = _tracks_xml(project, rec, label_set, writer, rep)
            src = Path(os.path.relpath(project.image_path(rec), out_dir)).as_posix()
            head = _head(project, rec, cats, writer.attribute_values, src)
            with open(stage.path(name), "w", encoding="utf-8") as f:
                f.write(head)
                f.writelines(body)
                f.write("</annotations>\n")
            rep.files.append(str(out_dir / name))
            rep.images += 1
            report(progress, n + 1, len(recs), rec.name)
    return rep


def _tracks_xml(project, rec, label_set: str, writer: ShapeWriter, rep: ExportReport) -> list[str]:
    hw = (rec.height, rec.width)
    tracks: dict[int, list] = {}
    z_of: dict[tuple[int, int], int] = {}  # (frame, instance id) -> z index within the frame
    loose = 0
    per_frame: dict[int, int] = {}
    for row in stored_video_rows(project, rec.id, label_set):
        frame, track = row[12], row[13]
        z_of[(frame, row[1])] = per_frame.get(frame, 0)
        per_frame[frame] = per_frame.get(frame, 0) + 1
        if track is None:
            loose += 1
            track = -loose
        runs = tracks.setdefault(track, [])
        if runs and runs[-1][12] == frame:
            rep.lose("second instance of a track on one frame dropped", f"{rec.name} frame {frame}")
            continue
        runs.append(row)
    if loose:
        rep.lose("instances without a track exported as one-frame tracks", rec.name, loose)
    body = []
    for next_id, key in enumerate(sorted(tracks, key=lambda t: (t < 0, abs(t)))):
        rows = tracks[key]
        label = names_of(writer, rows[0][2])
        body.append(f'  <track id="{next_id}" label={cx.attr(label)} source="manual">\n')
        for j, row in enumerate(rows):
            frame = row[12]
            attrs = json.loads(row[10]) if row[10] and row[10] != "{}" else {}
            keyframe = "0" if attrs.pop("keyframe", True) is False else "1"
            row2 = row[:10] + (json.dumps(attrs) if attrs else "{}",) + row[11:12]
            item = f"{rec.name} frame {frame} #{row[1]}"
            z = z_of[(frame, row[1])]
            body.append(writer.element(row2, hw, z, item, "    ", label=False,
                                       extra=f' frame="{frame}" outside="0" keyframe="{keyframe}"'))
            nxt = rows[j + 1][12] if j + 1 < len(rows) else None
            if nxt != frame + 1 and frame + 1 < rec.frame_count:  # the run ends: an outside copy
                body.append(writer.element(row2, hw, z, item, "    ", label=False, count=False,
                                           extra=f' frame="{frame + 1}" outside="1" keyframe="1"'))
        body.append("  </track>\n")
    return body


def names_of(writer: ShapeWriter, cid: int) -> str:
    return writer.names.get(cid, str(cid))


def _head(project, rec, cats, attribute_values, source: str) -> str:
    labels = cx.labels_xml(cats, attribute_values, tracks=True)
    return cx.header(
        rec.id, Path(rec.path).stem, rec.frame_count, "interpolation", labels,
        before_labels=(f"      <start_frame>0</start_frame>\n      <stop_frame>{rec.frame_count - 1}</stop_frame>\n"
                       "      <frame_filter></frame_filter>\n"),
        after_labels=(f"      <original_size>\n        <width>{rec.width}</width>\n"
                      f"        <height>{rec.height}</height>\n      </original_size>\n"),
        after_task=f"    <source>{cx.text(source)}</source>\n",
    )


FORMAT = FormatSpec(
    name="cvat-video",
    description="CVAT for video 1.1 XML (tracks of boxes, polygons, ellipses, masks; keyframes)",
    import_fn=import_video,
    export_fn=export_video,
    import_options=(
        Option("video", None, "the video file or frames folder (default: <source> beside the XML)"),
    ),
    export_options=(
        Option("tolerance", 0.0, "polygons may move outline pixels up to this many pixels "
               "(0: exact; changes are reported)", type=float),
    ),
    source="file",
)
