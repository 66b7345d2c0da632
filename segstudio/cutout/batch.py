"""Batch cutouts over a folder or a project, with the same settings for every image.

Rules: inputs are never overwritten (an output path that is also an input is
refused even with `replace`); existing outputs are skipped unless `replace`;
outputs are written atomically; a bad image is reported and the batch goes on.
For a project, the subject of an image that already has annotations can be the
union of its masks (the user's corrections) instead of the model's guess.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segstudio.core.tasks import Cancelled, CancelToken, ProgressFn, report
from segstudio.cutout.export import ExportError, alpha_to_u8, save_cutout, save_matte
from segstudio.cutout.pipeline import SaliencyFn, make_cutout
from segstudio.cutout.settings import CutoutSettings
from segstudio.io.images import ImageLoadError, load_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".jp2", ".pgm", ".ppm"}
MASK_SOURCES = ("auto", "model", "annotations")

# (image id) -> bool HxW mask of the annotated subject, or None when there is none
MaskLookup = Callable[[int], np.ndarray | None]


@dataclass(frozen=True)
class CutoutJob:
    source: Path
    output: Path
    matte: Path | None = None
    image_id: int | None = None  # set for project images


@dataclass
class BatchReport:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # output existed (no replace)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    cancelled: bool = False

    @property
    def total(self) -> int:
        return len(self.written) + len(self.skipped) + len(self.failed)

    def summary(self) -> str:
        text = f"{len(self.written)} written, {len(self.skipped)} skipped (exist), {len(self.failed)} failed"
        return text + (" (cancelled)" if self.cancelled else "")


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def find_images(folder: Path, recursive: bool = True, exclude: Path | None = None) -> list[Path]:
    """Image files under `folder` in a stable order, skipping hidden files and `exclude`."""
    folder = Path(folder)
    found = []
    walker = os.walk(folder) if recursive else [(str(folder), [], os.listdir(folder))]
    for root, dirs, files in walker:
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (exclude is not None and _is_within(Path(root) / d, exclude)))
        for name in sorted(files):
            p = Path(root) / name
            if not name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES and p.is_file():
                found.append(p)
    return found


def plan_jobs(
    sources: Iterable[tuple[Path, str, int | None]], dst: Path, settings: CutoutSettings
) -> list[CutoutJob]:
    """Jobs for (source path, relative name, image id) triples: outputs mirror the relative
    names under `dst` with the cutout extension; two sources that would share an output
    (a.jpg and a.png) keep their old extension in the name (a.jpg.png)."""
    dst = Path(dst)
    items = list(sources)
    stems: dict[str, int] = {}
    for _, rel, _ in items:
        key = str(Path(rel).with_suffix("")).lower()
        stems[key] = stems.get(key, 0) + 1
    jobs = []
    for src, rel, image_id in items:
        relp = Path(rel)
        base = relp.with_suffix("") if stems[str(relp.with_suffix("")).lower()] == 1 else relp
        out = dst / f"{base}.{settings.format}"
        matte = dst / f"{base}_matte.png" if settings.matte else None
        jobs.append(CutoutJob(Path(src), out, matte, image_id))
    return jobs


def folder_jobs(src: Path, dst: Path, settings: CutoutSettings, recursive: bool = True) -> list[CutoutJob]:
    src = Path(src)
    if not src.is_dir():
        raise FileNotFoundError(f"{src}: no such folder")
    exclude = Path(dst) if _is_within(Path(dst), src) and Path(dst).resolve() != src.resolve() else None
    images = find_images(src, recursive, exclude)
    return plan_jobs(((p, p.relative_to(src).as_posix(), None) for p in images), dst, settings)


def project_jobs(project, dst: Path, settings: CutoutSettings) -> list[CutoutJob]:
    """Jobs for the still images of an open `segstudio.store.Project` (videos are skipped)."""
    recs = [r for r in project.images() if r.kind == "image"]
    paths = [project.image_path(r) for r in recs]
    if not paths:
        return []
    # Name outputs relative to the images' common folder: project paths may climb out of
    # the project ("../photos/a.jpg") and outputs must stay inside `dst`.
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    items = [(p, p.relative_to(root).as_posix(), r.id) for p, r in zip(paths, recs)]
    return plan_jobs(items, dst, settings)


def project_mask_lookup(project, label_set: str = "gt") -> MaskLookup:
    """Union of an image's annotated masks (None when it has none)."""

    def lookup(image_id: int) -> np.ndarray | None:
        instances = project.load_instances(image_id, label_set=label_set)
        if not instances:
            return None
        full = None
        for inst in instances:
            m = inst.mask.to_full()
            full = m if full is None else full | m
        return full

    return lookup


def run_batch(
    jobs: list[CutoutJob],
    settings: CutoutSettings,
    saliency: SaliencyFn | None,
    *,
    replace: bool = False,
    masks: MaskLookup | None = None,
    mask_source: str = "auto",
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> BatchReport:
    """Cut out every job's image.  `saliency` selects the subject (may be None only if every
    image's mask comes from `masks`).  Returns what was written, skipped and why any failed."""
    if mask_source not in MASK_SOURCES:
        raise ValueError(f"mask_source must be one of {MASK_SOURCES}")
    inputs = {j.source.resolve() for j in jobs}
    out_report = BatchReport()
    total = len(jobs)
    report(progress, 0, total, "")
    for n, job in enumerate(jobs):
        if cancel is not None and cancel.cancelled:
            out_report.cancelled = True
            break
        targets = [job.output] + ([job.matte] if job.matte is not None else [])
        clash = next((t for t in targets if t.resolve() in inputs), None)
        if clash is not None:
            out_report.failed.append((job.source, f"{clash}: is an input image; refusing to overwrite it"))
            report(progress, n + 1, total, job.source.name)
            continue
        if not replace and all(t.exists() for t in targets):
            out_report.skipped.append(job.output)
            report(progress, n + 1, total, job.source.name)
            continue
        try:
            rgb = load_image(job.source).rgb8()
            mask = None
            if masks is not None and job.image_id is not None and mask_source != "model":
                mask = masks(job.image_id)
                if mask is not None and mask.shape != rgb.shape[:2]:
                    raise ValueError(f"annotations are {mask.shape[1]}x{mask.shape[0]} but the image is {rgb.shape[1]}x{rgb.shape[0]}")
            if mask is None and mask_source == "annotations":
                raise ValueError("no annotations to cut out (mask source: annotations)")
            soft = None
            if mask is None:
                if saliency is None:
                    raise ValueError("no subject-selection model given")
                soft = np.clip(np.asarray(saliency(rgb), np.float32), 0.0, 1.0)
                mask = soft >= settings.threshold
            if cancel is not None:
                cancel.check()
            result = make_cutout(rgb, mask, settings, soft=soft, cancel=cancel)
            save_cutout(job.output, result.rgba, settings.format, settings.quality)
            if job.matte is not None:
                matte = alpha_to_u8(result.alpha)
                if settings.crop_margin is not None:
                    x, y, w, h = result.box
                    matte = matte[y : y + h, x : x + w]
                save_matte(job.matte, matte)
            out_report.written.append(job.output)
        except Cancelled:
            out_report.cancelled = True
            break
        except (ImageLoadError, ExportError, ValueError, OSError) as e:
            msg = str(e)
            out_report.failed.append((job.source, msg if str(job.source) in msg else f"{job.source}: {msg}"))
        except Exception as e:  # one bad image must not stop the batch
            out_report.failed.append((job.source, f"{job.source}: {type(e).__name__}: {e}"))
        report(progress, n + 1, total, job.source.name)
    return out_report
