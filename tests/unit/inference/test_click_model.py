"""The learned click model: views and encodings, the prompt pipeline (with a transparent tiny
network whose answer is known), the real network's start from the saliency weights, its ONNX
export, weight files and cards."""

from __future__ import annotations

import numpy as np
import pytest

from segstudio.inference import click_geometry as geo
from segstudio.inference.base import Click, ModelError, Prompt

torch = pytest.importorskip("torch")


def _blob(h=300, w=500, cy=120, cx=330, ry=40, rx=70):
    yy, xx = np.mgrid[:h, :w]
    return ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1


def _iou(a, b):
    return (a & b).sum() / max(1, (a | b).sum())


def test_views_frame_the_object_inside_the_image():
    v = geo.whole_view(300, 500)
    assert v.side == 500 and v.x0 == 0 and v.y0 == -100  # centred, padded above and below
    m = _blob()
    box = geo.mask_box(m)
    v = geo.box_view(*box, 300, 500)
    assert abs(v.side - 140 * geo.EXPAND) <= 2  # the box's long side grown by 40 %
    assert v.x0 >= 0 and v.x0 + v.side <= 500 and v.y0 >= 0 and v.y0 + v.side <= 300
    assert v.x0 <= box[0] and box[2] <= v.x0 + v.side
    tiny = geo.box_view(10, 10, 14, 14, 300, 500)
    assert tiny.side == max(geo.MIN_ZOOM_PX, round(geo.MIN_ZOOM_FRAC * 500))  # never zooms in beyond the minimum
    assert geo.box_view(0, 0, 500, 300, 300, 500).side == 500  # never larger than the whole view
    assert geo.mask_box(np.zeros((5, 5), bool)) is None
    assert geo.mask_box(None, [(3.0, 4.0, True), (1.0, 1.0, False)]) == (3.0, 4.0, 4.0, 5.0)


@pytest.mark.parametrize("zoom", [False, True])
def test_crop_then_paste_gives_the_mask_back(zoom):
    m = _blob()
    v = geo.box_view(*geo.mask_box(m), 300, 500) if zoom else geo.whole_view(300, 500)
    view = geo.crop(m.astype(np.float32), v)
    assert view.shape == (geo.VIEW, geo.VIEW)
    back = geo.paste((view - 0.5) * 20, v, np.zeros_like(m))
    assert _iou(back, m) > 0.97
    keep = np.zeros_like(m)
    keep[290:, :5] = True  # outside the zoom view: the previous mask stays
    assert geo.paste(np.full((geo.VIEW, geo.VIEW), -9.0), v, keep)[295, 2] == zoom


def test_a_click_lands_where_the_view_shows_its_pixel():
    img = np.zeros((300, 500, 3), np.uint8)
    img[200:204, 101:105] = 255  # the clicked pixel's surroundings
    for v in (geo.whole_view(300, 500), geo.box_view(80, 150, 160, 260, 300, 500)):
        view = geo.crop(img, v, 0)
        ys, xs = np.nonzero(view[..., 0] > 100)
        vx, vy = v.to_view(102.5, 201.5)
        assert abs(xs.mean() - vx) < 1.0 and abs(ys.mean() - vy) < 1.0
        maps = geo.click_maps([(vx, vy, True), (5.0, 5.0, False)])
        assert maps[0, int(round(vy)), int(round(vx))] == 1 and maps[1, 5, 5] == 1
        assert maps[0].sum() == maps[1].sum() > 50  # equal disks of radius CLICK_RADIUS


class CopyNet(torch.nn.Module):
    """A transparent stand-in: logit = 20 * (previous mask + positive disks - negative disks) - 10."""

    def forward(self, x):
        return 20 * (x[:, 3:4] + x[:, 4:5] - x[:, 5:6]) - 10


@pytest.fixture
def copy_model():
    from segstudio.inference.click_model import LearnedClickSegmenter

    seg = LearnedClickSegmenter(net=CopyNet())
    seg.set_image(np.zeros((300, 500, 3), np.uint8))
    return seg


def test_first_click_whole_image_then_a_zoomed_second_look(copy_model):
    p = Prompt((Click(100, 200, True),))
    fast = copy_model.predict_fast(p).mask
    r = geo.CLICK_RADIUS * 500 / geo.VIEW  # the disk in image pixels on the whole-image view
    assert fast[200, 100] and abs(fast.sum() - np.pi * r * r) < 0.35 * np.pi * r * r
    assert not fast[200, 100 + int(2 * r)]
    assert copy_model.predict(p).mask.sum() == fast.sum()  # the copy net keeps its first answer
    assert copy_model.predict_refined(p, np.ones((300, 500), bool)) is None  # nothing to zoom into

    class ClicksOnly(torch.nn.Module):
        def forward(self, x):
            return 20 * (x[:, 4:5] - x[:, 5:6]) - 10

    from segstudio.inference.click_model import LearnedClickSegmenter

    seg = LearnedClickSegmenter(net=ClicksOnly())
    seg.set_image(np.zeros((300, 500, 3), np.uint8))
    final = seg.predict(p).mask
    # the second look zooms onto the first answer: the disk is drawn at the zoomed scale there
    assert final[200, 100] and 0 < final.sum() < 0.5 * fast.sum()


def test_refinement_zooms_on_the_mask_and_keeps_the_rest(copy_model):
    prev = np.zeros((300, 500), bool)
    prev[100:200, 300:450] = True
    far = np.zeros_like(prev)
    far[5:10, 5:10] = True  # a second part far from the object: outside the zoom view
    p = Prompt((Click(375, 150, True), Click(330, 120, False)), None, prev | far)
    out = copy_model.predict(p).mask
    assert out[150, 375] and not out[120, 330]  # the negative click cut a hole
    assert out[101, 301] and out[7, 7]  # the mask kept elsewhere; the far part untouched
    assert copy_model.predict_refined(p, out) is None  # refinements are one pass


def test_box_prompt_uses_the_box_as_the_previous_mask(copy_model):
    out = copy_model.predict(Prompt((), (300, 100, 450, 200))).mask
    expected = np.zeros((300, 500), bool)
    expected[100:200, 300:450] = True
    assert _iou(out, expected) > 0.95
    assert not copy_model.predict(Prompt()).mask.any()
    with pytest.raises(ValueError, match="does not fit"):
        copy_model.predict(Prompt((Click(1, 1),), None, np.zeros((5, 5), bool)))


def test_clicks_hold_their_label_even_when_the_network_overlooks_them():
    from segstudio.inference.click_model import LearnedClickSegmenter

    class Nothing(torch.nn.Module):
        def forward(self, x):
            return torch.full_like(x[:, :1], -10.0)

    seg = LearnedClickSegmenter(net=Nothing())
    seg.set_image(np.zeros((300, 500, 3), np.uint8))
    out = seg.predict(Prompt((Click(100, 200, True),))).mask
    assert out[200, 100] and 1 <= out.sum() < 60  # a small disk, not the network's whole disk
    prev = np.ones((300, 500), bool)
    out = LearnedClickSegmenter(net=CopyNet(), enforce_clicks=True)
    out.set_image(np.zeros((300, 500, 3), np.uint8))
    kept = out.predict(Prompt((Click(50, 60, False),), None, prev)).mask
    assert not kept[60, 50] and kept[0, 0]
    seg.enforce_clicks = False
    assert not seg.predict(Prompt((Click(100, 200, True),))).mask.any()


@pytest.mark.slow
def test_the_real_network_starts_as_the_saliency_model_and_exports(tmp_path, monkeypatch):
    import onnxruntime as ort

    from segstudio.inference import click_net
    from segstudio.inference.click_model import LearnedClickSegmenter
    from segstudio.inference.u2net import load_builtin_u2netp

    net = click_net.build_click_net(from_saliency=True)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(0, 1, (1, 6, 64, 64)).astype(np.float32))  # any size runs
    with torch.no_grad():
        ours = net(x)
        sal = load_builtin_u2netp().forward_logits(x[:, :3])[0]
        assert torch.allclose(ours, sal, atol=1e-5)  # prompt planes start with zero weight
        net.maps_conv.weight.normal_(0, 0.1)  # as after training: the prompt planes matter
        assert not torch.allclose(net(x), sal, atol=1e-2)
    path = click_net.save_click_net(net, tmp_path / "w.pt", {"epoch": 3})
    # the segmenter exports the weights once into the cache and runs them on onnxruntime
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    seg = LearnedClickSegmenter(path)
    seg.set_image(np.zeros((64, 80, 3), np.uint8))
    assert seg.predict(Prompt((Click(40, 30),))).mask.shape == (64, 80)
    (onnx,) = (tmp_path / "cache" / "segstudio" / "onnx").glob("clicknet-*.onnx")
    big = torch.from_numpy(rng.normal(0, 1, (1, 6, geo.VIEW, geo.VIEW)).astype(np.float32))
    with torch.no_grad():
        want = click_net.load_click_net(path)(big).numpy()
    got = ort.InferenceSession(str(onnx), providers=["CPUExecutionProvider"]).run(None, {"input": big.numpy()})[0]
    assert np.abs(got - want).max() < 1e-3


def test_wrong_weight_files_are_named(tmp_path):
    from segstudio.inference import click_net
    from segstudio.inference.click_model import LearnedClickSegmenter

    with pytest.raises(ModelError, match="missing.pt: click-model weights not found"):
        LearnedClickSegmenter(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="bad.pt: not a readable"):
        click_net.load_click_net(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="other.pt: not SegStudio click-model weights"):
        click_net.load_click_net(other)
    seg = LearnedClickSegmenter(other, backend="torch")
    with pytest.raises(ModelError, match="other.pt"):
        seg.set_image(np.zeros((8, 8, 3), np.uint8))


def test_a_clicknet_card_loads_through_the_registry(tmp_path):
    from segstudio.inference import registry
    from segstudio.inference.click_model import LearnedClickSegmenter
    from segstudio.inference.click_net import build_click_net, save_click_net

    save_click_net(build_click_net(from_saliency=False), tmp_path / "mine.pt")
    (tmp_path / "card.yaml").write_text(
        "id: my-clicks\nkind: interactive\nframework: clicknet\nfiles: {model: mine.pt}\n")
    cards, problems = registry.discover([tmp_path], user_dir=tmp_path / "none")
    card = next(c for c in cards if c.id == "my-clicks")
    assert card.is_prompt and not problems
    model = registry.load(card)
    assert isinstance(model, LearnedClickSegmenter) and model.model_id == "my-clicks"
    (tmp_path / "mine.pt").unlink()
    with pytest.raises(ModelError, match="mine.pt"):
        registry.load(card)
