"""SAM-family ONNX pairs: geometry of the pipeline, prompts, cache, configs and bad files."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from segstudio.inference import registry  # noqa: E402
from segstudio.inference.base import Click, ModelError, Prompt  # noqa: E402
from segstudio.inference.cache import EmbeddingCache  # noqa: E402
from segstudio.inference.cards import parse_card  # noqa: E402
from segstudio.inference.sam_onnx import SamOnnx  # noqa: E402


def _two_tone(h=48, w=96, split=48):
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :split, 0] = 255  # red left: positive embedding
    img[..., 1] = 90
    return img


def _model(tiny_sam, cache=None):
    enc, dec = tiny_sam
    from segstudio.inference.runtime import onnx_session

    return SamOnnx("tiny-sam", onnx_session(enc), onnx_session(dec), 64, cache=cache or EmbeddingCache())


def test_mask_geometry_follows_resize_pad_and_crop(tiny_sam):
    m = _model(tiny_sam)
    img = _two_tone()
    m.set_image(img)
    res = m.predict(Prompt((Click(10, 10, True),)))
    assert res.mask.shape == img.shape[:2]
    expected = np.zeros(img.shape[:2], bool)
    expected[:, :48] = True
    inter = np.count_nonzero(res.mask & expected)
    assert inter / np.count_nonzero(res.mask | expected) > 0.97
    assert res.logits is not None and res.logits.shape == (1, 1, 64, 64)


def test_embeddings_are_cached_and_prefetched(tiny_sam):
    cache = EmbeddingCache()
    m = _model(tiny_sam, cache)
    a, b = _two_tone(), _two_tone(split=20)
    m.set_image(a)
    assert cache.misses == 1 and cache.hits == 0
    m.prefetch(b)
    m.set_image(b)
    m.set_image(a)
    assert cache.misses == 2 and cache.hits == 2


def test_cache_is_bounded_by_bytes():
    cache = EmbeddingCache(max_bytes=3 * 1000 * 4)
    for k in range(5):
        cache.put("m", str(k), np.zeros(1000, np.float32))
    assert cache.nbytes <= 3 * 4000
    assert cache.get("m", "0") is None and cache.get("m", "4") is not None


def test_box_and_previous_mask_feed_the_decoder(tiny_sam):
    m = _model(tiny_sam)
    m.set_image(_two_tone())
    first = m.predict(Prompt(box=(2, 2, 40, 40)))
    again = m.predict(Prompt((Click(5, 5, False),), None, first.mask))
    # box corners are labels 2 and 3 (tiny decoder's score = sigmoid(sum of labels))
    assert first.score == pytest.approx(1 / (1 + np.exp(-5.0)), rel=1e-5)
    # a negative point plus the (0,0) padding point labelled -1
    assert again.score == pytest.approx(1 / (1 + np.exp(1.0)), rel=1e-5)


def test_anylabeling_config_is_read_as_is(tiny_sam, tmp_path):
    enc, dec = tiny_sam
    (tmp_path / "sam_tiny.encoder.onnx").write_bytes(enc.read_bytes())
    (tmp_path / "sam_tiny.decoder.onnx").write_bytes(dec.read_bytes())
    cfg = tmp_path / "sam_tiny.yaml"
    cfg.write_text(
        "type: segment_anything\n"
        "name: sam_tiny-r20230810\n"
        "display_name: Segment Anything (tiny test)\n"
        "encoder_model_path: https://example.invalid/models/sam_tiny.encoder.onnx\n"
        "decoder_model_path: sam_tiny.decoder.onnx\n"
        "input_size: 64\nmax_width: 64\nmax_height: 32\n"
    )
    card = parse_card(cfg)
    assert card.kind == "sam" and card.id == "sam_tiny-r20230810"
    assert card.files["encoder"] == tmp_path / "sam_tiny.encoder.onnx"  # URL -> local file
    model = registry.load(card)
    model.set_image(_two_tone())
    assert model.predict(Prompt((Click(3, 3),))).mask[:, :40].all()


def test_missing_and_corrupt_files_are_named(tiny_sam, tmp_path):
    cfg = tmp_path / "gone.yaml"
    cfg.write_text("type: segment_anything\nname: gone\nencoder_model_path: nothere.onnx\n"
                   "decoder_model_path: nothere2.onnx\n")
    with pytest.raises(ModelError, match="nothere.onnx"):
        registry.load(parse_card(cfg))
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage" * 10)
    card = tmp_path / "bad.yaml"
    card.write_text(f"id: bad\nkind: sam\nfiles: {{encoder: {bad}, decoder: {bad}}}\n")
    with pytest.raises(ModelError, match="bad.onnx"):
        registry.load(parse_card(card))


def test_a_non_sam_decoder_is_refused(tiny_sam):
    enc, _ = tiny_sam
    from segstudio.inference.runtime import onnx_session

    with pytest.raises(ModelError, match="missing inputs"):
        SamOnnx("x", onnx_session(enc), onnx_session(enc), 64, names=("e", str(enc)))


def test_click_frame_mask_feedback_and_candidate_cycling(tmp_path):
    """SAM-1 export layout with the benchmark's tiny pair: the click lands in the resized (long
    side) frame, the single-object output is used once there are two clicks, the previous
    low-res logits are fed back, and mask_choice walks the candidates best-first."""
    pytest.importorskip("torch")
    from segstudio.inference.runtime import onnx_session
    from tests.unit.inference.tiny_layouts import export_tiny_sam1

    enc, dec = export_tiny_sam1(tmp_path)
    m = SamOnnx("t1", onnx_session(enc), onnx_session(dec), 64, cache=EmbeddingCache())
    m.set_image(_two_tone(48, 96, 48))
    first = m.predict(Prompt((Click(10, 10, True),)))
    cols, rows = np.where(first.mask.any(0))[0], np.where(first.mask.any(1))[0]
    # +-16 model pixels at scale 64/96 around (10, 10): x and y up to ~34 image pixels
    assert cols.min() == 0 and 31 <= cols.max() <= 35 and 31 <= rows.max() <= 35
    assert (first.choice, first.n_choices, first.score) == (1, 4, pytest.approx(0.8))
    second = m.predict(Prompt((Click(10, 10), Click(12, 30)), None, first.mask))
    assert second.choice == 0 and second.score == pytest.approx(0.9)  # 0.7 + 0.2 * has_mask_input
    scores = [m.predict(Prompt((Click(10, 10),), mask_choice=c)).score for c in range(4)]
    assert scores == pytest.approx([0.8, 0.7, 0.5, 0.3])


def test_another_candidate_of_the_same_prompt_is_fed_what_that_prompt_was_fed():
    """Cycling re-runs the shown prompt with mask_choice: it must get the low-res logits the
    prompt got the first time, not those of the candidate shown since; the rank says which
    mask_choice picks the shown candidate."""
    from segstudio.inference.prompt_onnx import Decoded, PromptOnnxModel

    class Recorder(PromptOnnxModel):
        feeds_back_masks = True

        def __init__(self):
            super().__init__("rec", None, None, cache=EmbeddingCache())
            self.fed: list[float | None] = []
            self.calls = 0

        def _encode(self, rgb):
            return np.zeros(1, np.float32)

        def _decode(self, emb, prompt, h, w, last):
            self.fed.append(None if last is None else float(last.mean()))
            self.calls += 1
            masks = np.stack([np.full((h, w), float(v)) for v in (1, 2, 3)])  # logits differ
            low = self.calls * 10 + np.arange(3, dtype=np.float32)[:, None, None, None] * np.ones((3, 1, 4, 4))
            return Decoded(masks, np.array([0.2, 0.9, 0.5]), low, 1)

    m = Recorder()
    m.set_image(np.zeros((8, 8, 3), np.uint8))
    first = m.predict(Prompt((Click(1, 1),)))
    assert (first.choice, first.rank, first.n_choices) == (1, 0, 3)  # best score 0.9
    m.predict(Prompt((Click(1, 1), Click(2, 2)), None, first.mask))
    assert m.fed[-1] == pytest.approx(11.0)  # the first answer's logits (call 1, candidate 1)
    for choice, expect in ((1, 2), (2, 0), (0, 1)):
        res = m.predict(Prompt((Click(1, 1), Click(2, 2)), None,
                               first.mask, mask_choice=choice))
        assert res.choice == expect and res.rank == choice
        assert m.fed[-1] == pytest.approx(11.0)  # not the candidate shown by the last re-pick
    m.predict(Prompt((Click(1, 1), Click(2, 2), Click(3, 3)), None, first.mask))
    assert m.fed[-1] == pytest.approx(51.0)  # a new click refines the candidate last shown (call 5)


def test_every_layout_reads_a_prompt_and_feeds_back_a_mask_the_same_way():
    from segstudio.inference.prompt_onnx import mask_feeds, prompt_points

    coords, labels = prompt_points(Prompt((Click(5, 6, True), Click(7, 8, False)), box=(30, 20, 10, 40)))
    assert coords == [(5, 6), (7, 8), (10, 20), (30, 40)]  # the box's corners in order
    assert labels == [1.0, 0.0, 2.0, 3.0]
    first = mask_feeds(None, 4)
    assert first["mask_input"].shape == (1, 1, 4, 4) and not first["mask_input"].any()
    assert first["has_mask_input"].tolist() == [0.0]
    last = np.full((1, 1, 4, 4), 2.5)
    again = mask_feeds(last, 4)
    assert again["mask_input"].dtype == np.float32 and (again["mask_input"] == 2.5).all()
    assert again["has_mask_input"].tolist() == [1.0]
