import hashlib
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken
from segstudio.cutout.batch import folder_jobs, project_jobs, project_mask_lookup, run_batch
from segstudio.cutout.settings import CutoutSettings
from segstudio.io.images import load_image


def fake_saliency(rgb):
    """A stand-in model: the subject is whatever is redder than it is green."""
    r, g = rgb[..., 0].astype(np.float32), rgb[..., 1].astype(np.float32)
    return np.clip(0.5 + (r - g) / 100.0, 0, 1).astype(np.float32)


def _photo(h=40, w=50, seed=0):
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.uint8)
    img[...] = (30, 160, 40)
    img[10:30, 15:35] = (200, 60, 50)
    return np.clip(img.astype(int) + rng.integers(-8, 8, img.shape), 0, 255).astype(np.uint8)


def _write(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[p.relative_to(folder).as_posix()] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return out


@pytest.fixture
def photos(tmp_path):
    src = tmp_path / "in"
    _write(src / "a.jpg", _photo(seed=1))
    _write(src / "b.png", _photo(seed=2))
    _write(src / "sub" / "c.png", _photo(seed=3))
    (src / "notes.txt").write_text("not an image")
    return src


def test_folder_batch_writes_cutouts_and_leaves_inputs_untouched(tmp_path, photos):
    before = _fingerprint(photos)
    dst = tmp_path / "out"
    settings = CutoutSettings(matte=True)
    jobs = folder_jobs(photos, dst, settings)
    report = run_batch(jobs, settings, fake_saliency)
    assert _fingerprint(photos) == before
    assert sorted(p.relative_to(dst).as_posix() for p in report.written) == ["a.png", "b.png", "sub/c.png"]
    cut = load_image(dst / "b.png").data
    assert cut.shape == (40, 50, 4)
    assert cut[20, 25, 3] == 255 and cut[2, 2, 3] == 0  # subject opaque, lawn transparent
    matte = cv2.imread(str(dst / "b_matte.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(matte, cut[..., 3])


def test_existing_outputs_are_skipped_unless_replace(tmp_path, photos):
    dst = tmp_path / "out"
    settings = CutoutSettings()
    jobs = folder_jobs(photos, dst, settings)
    run_batch(jobs, settings, fake_saliency)
    stamp = (dst / "a.png").stat().st_mtime_ns
    (dst / "a.png").write_bytes(b"user edited")
    again = run_batch(jobs, settings, fake_saliency)
    assert len(again.skipped) == 3 and not again.written
    assert (dst / "a.png").read_bytes() == b"user edited"
    replaced = run_batch(jobs, settings, fake_saliency, replace=True)
    assert len(replaced.written) == 3
    assert (dst / "a.png").stat().st_mtime_ns != stamp and load_image(dst / "a.png").data.shape[2] == 4


def test_output_into_the_input_folder_never_overwrites_an_input(photos):
    before = _fingerprint(photos)
    settings = CutoutSettings()
    jobs = folder_jobs(photos, photos, settings)
    report = run_batch(jobs, settings, fake_saliency, replace=True)
    after = _fingerprint(photos)
    for name in before:
        assert after[name] == before[name]
    refused = [msg for _, msg in report.failed]
    assert len(refused) == 2 and all("refusing to overwrite" in m for m in refused)  # b.png, c.png
    assert (photos / "a.png").exists()  # a.jpg could be written next to its input


def test_name_clash_keeps_the_old_extension(tmp_path):
    src = tmp_path / "in"
    _write(src / "x.jpg", _photo())
    _write(src / "x.png", _photo())
    jobs = folder_jobs(src, tmp_path / "out", CutoutSettings(format="webp"))
    assert sorted(j.output.name for j in jobs) == ["x.jpg.webp", "x.png.webp"]


def test_output_folder_inside_input_is_not_scanned(tmp_path, photos):
    dst = photos / "cutouts"
    settings = CutoutSettings()
    run_batch(folder_jobs(photos, dst, settings), settings, fake_saliency)
    jobs = folder_jobs(photos, dst, settings)
    assert all("cutouts" not in j.source.parts for j in jobs)


def test_bad_image_is_reported_and_batch_goes_on(tmp_path, photos):
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    settings = CutoutSettings()
    report = run_batch(folder_jobs(photos, tmp_path / "out", settings), settings, fake_saliency)
    assert len(report.written) == 3
    assert len(report.failed) == 1 and "broken.png" in report.failed[0][1]


def test_cancel_stops_between_images(tmp_path, photos):
    token = CancelToken()
    seen = []

    def progress(done, total, msg):
        seen.append(done)
        if done == 1:
            token.cancel()

    settings = CutoutSettings()
    report = run_batch(folder_jobs(photos, tmp_path / "out", settings), settings, fake_saliency,
                       cancel=token, progress=progress)
    assert report.cancelled and len(report.written) == 1
    assert not list((tmp_path / "out").rglob("*.part"))


def test_project_batch_uses_annotations_where_present(tmp_path, photos):
    from segstudio.store import Project

    project = Project.create(tmp_path / "proj")
    project.add_folder(photos)
    cat = project.add_category("thing")
    recs = {r.name: r for r in project.images()}
    # The user annotated only the top-left corner of b.png: that, not the model's guess, is cut out.
    m = np.zeros((40, 50), bool)
    m[0:8, 0:8] = True
    project.save_instances(recs["b.png"].id, [Instance(1, cat.id, MaskPatch.from_full(m))])
    dst = tmp_path / "out"
    settings = CutoutSettings(refine="none")
    jobs = project_jobs(project, dst, settings)
    report = run_batch(jobs, settings, fake_saliency, masks=project_mask_lookup(project))
    project.close()
    assert len(report.written) == 3
    b = load_image(dst / "b.png").data
    assert np.array_equal(b[..., 3] > 0, m)
    a = load_image(dst / "a.png").data
    assert a[20, 25, 3] == 255 and a[2, 2, 3] == 0  # no annotations: the model decided


def test_project_annotations_only_fails_images_without_masks(tmp_path, photos):
    from segstudio.store import Project

    project = Project.create(tmp_path / "proj")
    project.add_folder(photos)
    settings = CutoutSettings()
    jobs = project_jobs(project, tmp_path / "out", settings)
    report = run_batch(jobs, settings, None, masks=project_mask_lookup(project), mask_source="annotations")
    project.close()
    assert not report.written and len(report.failed) == 3
    assert all("no annotations" in msg for _, msg in report.failed)


def test_crop_margin_applies_to_cutout_and_matte(tmp_path, photos):
    settings = CutoutSettings(crop_margin=2, matte=True, refine="none")
    dst = tmp_path / "out"
    run_batch(folder_jobs(photos, dst, settings), settings, fake_saliency)
    cut = load_image(dst / "b.png").data
    matte = cv2.imread(str(dst / "b_matte.png"), cv2.IMREAD_UNCHANGED)
    assert cut.shape[:2] == matte.shape == (24, 24)  # the 20x20 subject plus 2 px each side
    assert np.array_equal(cut[..., 3], matte)
    assert os.path.exists(dst / "sub" / "c.png")
