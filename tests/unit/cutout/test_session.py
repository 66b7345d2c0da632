import numpy as np

from segstudio.core.document import ImageDocument
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken
from segstudio.cutout.composite import PreviewBackground
from segstudio.cutout.session import (
    export_job,
    preview_job,
    proposal_from_saliency,
    select_subject_job,
    subject_mask,
)
from segstudio.cutout.settings import CutoutSettings
from segstudio.io.images import load_image


def _box(shape, y0, x0, y1, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_subject_is_the_proposal_then_the_selection_then_everything():
    shape = (30, 40)
    doc = ImageDocument(shape, [Instance(1, 1, MaskPatch.from_full(_box(shape, 0, 0, 5, 5))),
                                Instance(2, 1, MaskPatch.from_full(_box(shape, 10, 10, 20, 20)))])
    mask, source = subject_mask(doc, [])
    assert source == "all instances" and mask.sum() == 25 + 100
    mask, source = subject_mask(doc, [2])
    assert source == "selection" and mask.sum() == 100
    soft = np.zeros(shape, np.float32)
    soft[3:9, 4:12] = 0.8
    doc.set_proposal(proposal_from_saliency(soft))
    mask, source = subject_mask(doc, [2])
    assert source == "proposal" and mask.sum() == 48
    assert subject_mask(ImageDocument(shape), [])[0] is None


def test_proposal_carries_the_soft_alpha_over_its_box():
    soft = np.zeros((20, 20), np.float32)
    soft[5:10, 6:12] = np.linspace(0.6, 1.0, 6, dtype=np.float32)
    soft[4, 6:12] = 0.3  # below threshold: outside the mask, but not in the alpha box either
    prop = proposal_from_saliency(soft)
    assert prop.mask.bbox() == (6, 5, 6, 5)
    assert np.array_equal(prop.alpha, soft[5:10, 6:12])
    assert proposal_from_saliency(np.zeros((5, 5), np.float32)) is None


def test_jobs_compute_preview_and_export(tmp_path):
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[8:22, 10:30] = (200, 50, 40)
    calls = []

    def sal(img):
        calls.append(img.shape)
        return (img[..., 0] > 100).astype(np.float32)

    token = CancelToken()
    soft = select_subject_job(rgb, sal)(token, lambda *a: None)
    assert calls == [(30, 40, 3)] and soft.dtype == np.float32
    res = preview_job(rgb, soft >= 0.5, soft, None, CutoutSettings(), PreviewBackground("white"))(token, lambda *a: None)
    assert res.rgba[15, 20, 3] == 255 and res.rgba[2, 2, 3] == 0
    assert res.layer[2, 2].tolist() == [255, 255, 255, 255]
    settings = CutoutSettings(crop_margin=1, matte=True)
    written = export_job(tmp_path / "c.png", res.rgba, res.alpha, settings, tmp_path / "m.png")(token, lambda *a: None)
    assert [p.name for p in written] == ["c.png", "m.png"]
    out = load_image(tmp_path / "c.png").data
    assert out.shape == (16, 22, 4)
    assert np.array_equal(load_image(tmp_path / "m.png").data, out[..., 3])
