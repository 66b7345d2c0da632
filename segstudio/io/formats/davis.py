"""DAVIS-style PNG mask sequences: `Annotations/<sequence>/<frame>.png`, one object id per pixel.

Export writes, per video, an indexed (palette) PNG per frame whose pixel values are object ids
(0 = background, 1..255 = tracks, in track order) with the DAVIS/VOC palette, so every DAVIS tool
reads it; `segstudio_objects.json` beside records each object's category and track name (DAVIS
has no classes).  Overlaps are resolved by z-order (the topmost instance owns the pixel) and
reported.  `frames=all` (default) writes every frame, `annotated` only frames with objects;
`write_frames=true` (default) also writes `JPEGImages/<sequence>/<frame>.jpg` (JPEG frame files
are linked, other frames encoded), where DAVIS readers and `segstudio validate` find them.

Import takes a DAVIS root (`Annotations/[<resolution>/]<sequence>/*.png` with `JPEGImages/...`
alongside) or a single folder of PNG masks (`images=` names its frames folder).  Palette PNGs
decode through their colours (the DAVIS palette gives the ids back; other colours get ids in
colour order); grey PNGs are ids directly.  Each object id of a sequence becomes a track.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from segstudio.core.instance import Instance
from segstudio.core.tasks import report
from segstudio.io.atomic import StagedOutput
from segstudio.io.confine import Confined
from segstudio.io.errors import FormatError, load_json, read_file
from segstudio.io.exporting import place_image, unique_name
from segstudio.io.formats._maps import split_ids
from segstudio.io.formats.youtube_vis import (
    apply_with_tracks,
    frame_folder_plan,
    track_names,
    video_records,
    video_tracks,
)
from segstudio.io.plan import ImportPlan, PlanImage, PlanInstance
from segstudio.io.png_palette import encode_indexed, voc_palette
from segstudio.io.registry import FormatSpec, Option
from segstudio.io.reports import ExportReport, ImportReport

SIDECAR = "segstudio_objects.json"


PALETTE = voc_palette()


def encode_indexed_png(ids: np.ndarray, palette: np.ndarray = PALETTE) -> bytes:
    """An 8-bit palette PNG of `ids` (uint8 HxW); OpenCV cannot write indexed PNGs."""
    return encode_indexed(ids, palette)


def decode_ids(path: Path) -> np.ndarray:
    """Object ids of a DAVIS mask PNG (palette colours mapped back to ids); the header is
    checked first (a PNG claiming 30000x30000 is refused before anything is decoded)."""
    from segstudio.core.image_header import HeaderError, read_header
    from segstudio.io.images import DEFAULT_MAX_PIXELS

    raw = read_file(path, "a PNG mask")
    try:
        head = read_header(None, raw)
    except HeaderError as e:
        raise FormatError(path, f"not a readable PNG ({e})") from None
    if head.pixels > DEFAULT_MAX_PIXELS:
        raise FormatError(path, f"{head.width}x{head.height} exceeds the limit of {DEFAULT_MAX_PIXELS:,} pixels")
    try:
        data = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error:
        data = None
    if data is None:
        raise FormatError(path, "not a readable PNG")
    if data.ndim == 2:
        return data.astype(np.int32)
    rgb = cv2.cvtColor(data[..., :3], cv2.COLOR_BGR2RGB)
    flat = rgb.reshape(-1, 3).astype(np.int32)
    code = (flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]
    colours, inverse = np.unique(code, return_inverse=True)
    pal_code = (PALETTE[:, 0].astype(np.int32) << 16) | (PALETTE[:, 1].astype(np.int32) << 8) | PALETTE[:, 2]
    lookup = {int(c): i for i, c in enumerate(pal_code)}
    ids = np.zeros(len(colours), np.int32)
    extra = 256
    for k, c in enumerate(colours):
        if int(c) in lookup:
            ids[k] = lookup[int(c)]
        else:  # not the DAVIS palette: a stable id per colour
            ids[k] = extra
            extra += 1
    return ids[inverse].reshape(rgb.shape[:2])


# --------------------------------------------------------------------------- export
def _jpeg_frames(project, rec) -> list[Path] | None:
    """The frame files of a frames folder when they are all JPEGs (linked as they are)."""
    if rec.kind != "frames":
        return None
    from segstudio.io.video_source import list_frame_files

    path = project.image_path(rec)
    files = list_frame_files(path) if path.is_dir() else []
    if len(files) != rec.frame_count or not all(f.suffix.lower() in (".jpg", ".jpeg") for f in files):
        return None
    return files


def export(project, dst: Path, options: dict, progress, cancel) -> ExportReport:
    rep = ExportReport("davis")
    cat_names = {c.id: c.name for c in project.categories()}
    recs = video_records(project, options, rep)
    sidecar: dict[str, dict[str, dict]] = {}
    with StagedOutput(dst, "davis") as out:
        seqs = _sequence_names(recs)
        for n, rec in enumerate(recs):
            seq = seqs[rec.id]
            tracks, tcats = video_tracks(project, rec, options["label_set"], rep)
            keys = sorted(tracks, key=lambda t: (t < 0, abs(t)))
            if len(keys) > 255:
                rep.lose("objects beyond 255 per video dropped", rec.name, len(keys) - 255)
                keys = keys[:255]
            names = track_names(project, rec.id)
            sidecar[seq] = {str(i + 1): {"category": cat_names.get(tcats[k], "object"),
                                         "track": names.get(k)} for i, k in enumerate(keys)}
            stems = _frame_stems(project, rec)
            by_frame: dict[int, list[tuple[int, Instance]]] = {}
            for obj, k in enumerate(keys, start=1):
                for f, inst in tracks[k].items():
                    by_frame.setdefault(f, []).append((obj, inst))
            frames = range(rec.frame_count) if options["frames"] == "all" else sorted(by_frame)
            linked = _jpeg_frames(project, rec) if options["write_frames"] else None
            source = _open(project, rec) if options["write_frames"] and linked is None else None
            try:
                for f in frames:
                    if cancel is not None and f % 32 == 0:
                        cancel.check()
                    ids = np.zeros(rec.shape, np.uint8)
                    owner = np.zeros(rec.shape, np.int32)  # z of the pixel's owner + 1
                    placed = by_frame.get(f, [])
                    z = {inst.id: i for i, inst in enumerate(project.load_instances(rec.id, f, options["label_set"]))} if placed else {}
                    for obj, inst in sorted(placed, key=lambda p: z.get(p[1].id, 0)):
                        m = inst.mask
                        win = ids[m.y0:m.y1, m.x0:m.x1]
                        own = owner[m.y0:m.y1, m.x0:m.x1]
                        if (own[m.data] > 0).any():
                            rep.lose("overlapping pixels given to the topmost object", f"{seq}/{stems[f]}")
                        win[m.data] = obj
                        own[m.data] = z.get(inst.id, 0) + 1
                        rep.count(cat_names.get(inst.category_id, "object"))
                    out.write_bytes(f"Annotations/{seq}/{stems[f]}.png", encode_indexed_png(ids))
                    if linked is not None:  # JPEG frames on disk: linked, not re-encoded
                        place_image(linked[f], out.path(f"JPEGImages/{seq}/{stems[f]}.jpg"), "link")
                    elif source is not None:
                        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(source.read(f), cv2.COLOR_RGB2BGR),
                                               [cv2.IMWRITE_JPEG_QUALITY, 95])
                        out.write_bytes(f"JPEGImages/{seq}/{stems[f]}.jpg", buf.tobytes())
            finally:
                if source is not None:
                    source.close()
            rep.images += 1
            report(progress, n + 1, len(recs), rec.name)
        out.write_text("ImageSets/segstudio.txt", "".join(f"{s}\n" for s in sidecar))
        out.write_text(SIDECAR, json.dumps(sidecar, indent=1))
    rep.files = [str(dst / p) for p in out.written]
    return rep


def _open(project, rec):
    from segstudio.io.video_source import open_source

    return open_source(project.image_path(rec), cache_bytes=0)


def _sequence_names(recs) -> dict[int, str]:
    out: dict[int, str] = {}
    taken: set[str] = set()
    for r in recs:
        base = Path(r.path).stem if r.kind == "video" else Path(r.path).name
        out[r.id] = unique_name(base or f"video{r.id}", taken)
    return out


def _frame_stems(project, rec) -> list[str]:
    if rec.kind == "frames":
        from segstudio.io.video_source import list_frame_files

        path = project.image_path(rec)
        files = list_frame_files(path) if path.is_dir() else []
        stems = [f.stem for f in files]
        if len(stems) == rec.frame_count and len(set(stems)) == len(stems):
            return stems
    return [f"{i:05d}" for i in range(rec.frame_count)]


# --------------------------------------------------------------------------- import
def _sequences(src: Path, images: str | None) -> list[tuple[str, Path, Path]]:
    """(name, masks folder, frames folder) for every sequence under `src`."""
    if any(p.suffix.lower() == ".png" for p in src.iterdir()):
        frames = Path(images) if images else None
        if frames is None:
            for cand in (src.parent / "JPEGImages" / src.name, src.parent.parent / "JPEGImages" / src.name):
                if cand.is_dir():
                    frames = cand
                    break
        if frames is None:
            raise FormatError(src, "a folder of masks needs its frames folder (option images=...)")
        return [(src.name, src, frames)]
    ann = src / "Annotations"
    if not ann.is_dir():
        raise FormatError(src, "not a DAVIS folder (no Annotations/ and no mask PNGs)")
    out = []
    for d in sorted(p for p in ann.rglob("*") if p.is_dir()):
        if any(f.suffix.lower() == ".png" for f in d.iterdir()):
            rel = d.relative_to(ann)
            frames = (Path(images) / d.name) if images else src / "JPEGImages" / rel
            out.append((rel.as_posix(), d, frames))
    if not out:
        raise FormatError(ann, "no sequence folders with PNG masks")
    return out


def import_davis(src: Path, project, options: dict, progress, cancel) -> ImportReport:
    from segstudio.io.video_source import list_frame_files

    if not src.is_dir():
        raise FormatError(src, "a DAVIS source is a folder")
    plan = ImportPlan(ImportReport("davis"))
    sidecar_path = next((p / SIDECAR for p in (src, src.parent) if (p / SIDECAR).is_file()), None)
    sidecar = load_json(sidecar_path) if sidecar_path else {}
    if not isinstance(sidecar, dict):
        raise FormatError(sidecar_path, "expected an object of sequences")
    tracks: dict[int, tuple[str, str | None]] = {}
    seqs = _sequences(src, options.get("images"))
    # frames folders stay in the dataset (a link could lead anywhere): the DAVIS root, or for a
    # lone masks folder the two levels its frames are looked for in
    root = src if (src / "Annotations").is_dir() else src.parent.parent
    confine = Confined(root, src, bool(options.get("trust_paths")), also=(options.get("images"),))
    for n, (name, masks_dir, frames_dir) in enumerate(seqs):
        frames_dir = confine(frames_dir, name)
        if not frames_dir.is_dir():
            plan.report.skip(name, f"frames folder {frames_dir} not found")
            continue
        im: PlanImage = frame_folder_plan(frames_dir, name)
        stems = {f.stem: i for i, f in enumerate(list_frame_files(frames_dir))}
        objects = sidecar.get(name.rsplit("/", 1)[-1], {}) if isinstance(sidecar, dict) else {}
        keys: dict[int, int] = {}
        for png in sorted(masks_dir.glob("*.png")):
            if cancel is not None:
                cancel.check()
            frame = stems.get(png.stem)
            if frame is None:
                plan.report.skip(f"{name}/{png.name}", "no frame with this name")
                continue
            ids = decode_ids(png)
            if ids.shape != (im.height, im.width):
                raise FormatError(png, f"mask is {ids.shape[1]}x{ids.shape[0]}, frames are "
                                  f"{im.width}x{im.height}")
            for obj, patch in split_ids(ids):  # each object over its box, not the frame
                meta = objects.get(str(int(obj)), {}) if isinstance(objects, dict) else {}
                cat = plan.category(str(meta.get("category") or options["category"]))
                key = keys.setdefault(int(obj), len(tracks) + 1)
                tracks.setdefault(key, (cat, meta.get("track")))
                im.instances.append(PlanInstance(cat, mask=patch, track_id=key, frame=frame))
        plan.images.append(im)
        report(progress, n + 1, len(seqs), name)
    return apply_with_tracks(project, plan, tracks, options, progress, cancel)


FORMAT = FormatSpec(
    name="davis",
    description="DAVIS-style PNG mask sequences (object ids per pixel, one folder per video)",
    import_fn=import_davis,
    export_fn=export,
    source="folder",
    import_options=(
        Option("category", "object", "category for objects (DAVIS has no classes)"),
        Option("images", None, "frames folder (for a single mask folder) or root of sequences"),
    ),
    export_options=(
        Option("frames", "all", "which frames get a mask PNG", choices=("all", "annotated")),
        Option("write_frames", True, "also write JPEGImages/<sequence>/<frame>.jpg, where DAVIS readers "
               "and `segstudio validate` look for the frames (JPEG frame files are linked)", type=bool),
    ),
)
