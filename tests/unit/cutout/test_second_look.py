"""Select Subject looks twice: the whole photo, then a crop around the subject it found."""

import numpy as np
import pytest

import segstudio.cutout.saliency as saliency_mod
from segstudio.cli.main import main
from segstudio.cutout.saliency import SECOND_LOOK_MARGIN, SaliencyModel

from .test_batch import _photo, _write

INPUT = 24  # the stand-in network's input side: small, as U²-Netp's 320 is for a photo


class LowResNetwork:
    """A stand-in salient-object network: red pixels are the subject.  It only ever sees its
    INPUT x INPUT input (SaliencyModel resizes to it and back), so a small subject's outline
    comes back blurred, as a real network's does."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, int]] = []

    def saliency(self, rgb8, cancel=None):
        self.seen.append(rgb8.shape[:2])
        r, g = rgb8[..., 0].astype(np.float32), rgb8[..., 1].astype(np.float32)
        return np.clip(0.5 + (r - g) / 100.0, 0, 1).astype(np.float32)


def _scene(h=480, w=640, disc=(300, 200, 37)):
    """Green background, a red disc: the truth is the disc."""
    yy, xx = np.mgrid[:h, :w]
    cx, cy, r = disc
    truth = (xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2 <= r * r
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[...] = (40, 170, 50)
    rgb[truth] = (210, 50, 40)
    return rgb, truth


def _iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_a_small_subject_gets_a_sharper_outline_from_the_second_look():
    rgb, truth = _scene()
    net = LowResNetwork()
    once = SaliencyModel("stand-in", net, input_size=INPUT, second_look=False)(rgb)
    net.seen.clear()
    twice = SaliencyModel("stand-in", net, input_size=INPUT)(rgb)
    assert net.seen == [(INPUT, INPUT), (INPUT, INPUT)]  # two passes of the network
    first, second = _iou(once >= 0.5, truth), _iou(twice >= 0.5, truth)
    assert second > first + 0.05, (first, second)
    assert second > 0.9
    # Zero outside the crop: the box around the first look, grown by the margin.
    ys, xs = np.nonzero(twice > 0)
    ys1, xs1 = np.nonzero(once >= 0.5)
    grow = SECOND_LOOK_MARGIN * (xs1.max() + 1 - xs1.min()) + 8
    assert xs.min() >= xs1.min() - grow - 1 and xs.max() <= xs1.max() + grow + 1
    assert ys.min() >= ys1.min() - SECOND_LOOK_MARGIN * (ys1.max() + 1 - ys1.min()) - 9


@pytest.mark.parametrize("what", ["no subject", "subject fills the frame"])
def test_the_first_look_stands_when_a_crop_cannot_help(what):
    rgb, _ = _scene()
    if what == "no subject":
        rgb[...] = (40, 170, 50)
    else:
        rgb[...] = (210, 50, 40)
        rgb[:4, :4] = (40, 170, 50)
    net = LowResNetwork()
    out = SaliencyModel("stand-in", net, input_size=INPUT)(rgb)
    assert len(net.seen) == 1
    assert np.array_equal(out, SaliencyModel("stand-in", LowResNetwork(), input_size=INPUT, second_look=False)(rgb))


def test_cli_single_look_loads_the_model_for_one_pass(tmp_path, monkeypatch):
    loaded = []

    def load(model=None, threads=None, *, second_look=True):
        loaded.append(second_look)
        return SaliencyModel("stand-in", LowResNetwork(), input_size=INPUT, second_look=second_look)

    monkeypatch.setattr(saliency_mod, "load_saliency", load)
    src = _write(tmp_path / "a.png", _photo())
    assert main(["cutout", str(src), str(tmp_path / "one.png"), "--single-look", "-q"]) == 0
    assert main(["cutout", str(src), str(tmp_path / "two.png"), "-q"]) == 0
    assert loaded == [False, True]


def test_load_saliency_passes_the_choice_on(monkeypatch):
    pytest.importorskip("torch")
    assert saliency_mod.load_saliency().second_look is True
    assert saliency_mod.load_saliency(second_look=False).second_look is False
