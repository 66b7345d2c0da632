import numpy as np
import pytest

from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken
from segstudio.io.video_source import open_source
from segstudio.video.propagate import PropagationSettings, propagate
from segstudio.video.refine import GrabCutRefiner, NoRefiner, PromptModelRefiner

from .synth import moving_object, write_video


@pytest.fixture
def clip(tmp_path):
    frames, masks = moving_object(16)
    return write_video(tmp_path / "m.avi", frames), masks


def run(path, masks, start=0, **kw):
    out = {}
    with open_source(path) as src:
        rep = propagate(src, start, {"a": MaskPatch.from_full(masks[start])},
                        on_frame=lambda r: out.__setitem__(r.frame, r.masks["a"]), **kw)
    return rep, out


@pytest.mark.parametrize("refiner", [GrabCutRefiner(), NoRefiner()], ids=["grabcut", "none"])
def test_forward_propagation_follows_the_object(clip, refiner):
    path, masks = clip
    rep, out = run(path, masks, refiner=refiner)
    assert rep.frames == list(range(1, 16)) and rep.reason == "end_of_video"
    ious = [out[f].iou(MaskPatch.from_full(masks[f])) for f in rep.frames]
    assert min(ious) > 0.8, ious
    assert np.mean(ious) > 0.88
    # A mask that stayed where it started would have lost the object by the end.
    assert MaskPatch.from_full(masks[0]).iou(MaskPatch.from_full(masks[15])) < 0.2


def test_backward_with_count(clip):
    path, masks = clip
    rep, out = run(path, masks, start=12, step=-1, count=5)
    assert rep.frames == [11, 10, 9, 8, 7] and rep.reason == "done"
    assert all(out[f].iou(MaskPatch.from_full(masks[f])) > 0.8 for f in rep.frames)


def test_stop_frame_and_keyframe_stop(clip):
    path, masks = clip
    rep, _ = run(path, masks, stop_frame=4)
    assert rep.frames == [1, 2, 3, 4]
    rep, _ = run(path, masks, stop_at=lambda f: ["a"] if f == 6 else [])
    assert rep.frames == [1, 2, 3, 4, 5] and rep.reason == "keyframe"


def test_stops_when_the_object_disappears(tmp_path):
    frames, masks = moving_object(16, vanish_at=7)
    path = write_video(tmp_path / "v.avi", frames)
    rep, out = run(path, masks, settings=PropagationSettings(min_confidence=0.5))
    assert rep.reason in ("low_confidence", "lost")
    assert rep.frames and max(rep.frames) <= 7
    assert all(out[f].iou(MaskPatch.from_full(masks[f])) > 0.7 for f in rep.frames if f < 7)


def test_cancel_stops_between_frames(clip):
    path, masks = clip
    token = CancelToken()
    seen = []

    def progress(done, total, msg):
        seen.append(done)
        if done == 3:
            token.cancel()

    rep, out = run(path, masks, cancel=token, progress=progress)
    assert rep.reason == "cancelled" and rep.frames == [1, 2, 3] and sorted(out) == [1, 2, 3]
    assert seen[-1] == 3


def test_prompt_model_refiner_is_driven_through_the_protocol(clip):
    """Any prompt segmenter can refine: it gets a crop, a box, a click and the warped mask."""
    from segstudio.inference.base import PromptResult

    calls = []

    class Echo:
        model_id = "echo"

        def set_image(self, rgb, cancel=None, progress=None):
            self.shape = rgb.shape[:2]

        def predict(self, prompt, cancel=None):
            import cv2

            calls.append(prompt)
            x0, y0, x1, y1 = prompt.box
            x, y = prompt.clicks[0].x, prompt.clicks[0].y
            assert x0 < x < x1 and y0 < y < y1  # the click lies inside the box
            m = np.zeros(self.shape, np.uint8)  # the ellipse inscribed in the box
            box = (((x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5), (float(x1 - x0), float(y1 - y0)), 0.0)
            cv2.ellipse(m, box, 1, -1)
            return PromptResult(m > 0, 0.9)

    path, masks = clip
    rep, out = run(path, masks, refiner=PromptModelRefiner(Echo()), count=4)
    assert rep.frames == [1, 2, 3, 4] and len(calls) == 4
    assert out[4].iou(MaskPatch.from_full(masks[4])) > 0.8
