"""U²-Netp: the torch reimplementation, its converted weights and the salient segmenter."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from segstudio.inference import u2net  # noqa: E402

_CANDIDATES = [
    os.environ.get("SEGSTUDIO_U2NETP_ONNX", ""),
    "/tmp/x/rembg/u2netp.onnx",
    str(Path.home() / ".u2net" / "u2netp.onnx"),
]


def _original_onnx() -> Path | None:
    for c in _CANDIDATES:
        if c and Path(c).is_file():
            return Path(c)
    return None


@pytest.fixture(scope="module")
def builtin():
    return u2net.load_builtin_u2netp()


def _blob_image(h: int = 96, w: int = 128) -> np.ndarray:
    rng = np.random.default_rng(3)
    img = (rng.normal(90, 10, (h, w, 3))).clip(0, 255).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    disk = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 4) ** 2
    img[disk] = (230, 40, 40)
    return img


def test_builtin_weights_are_small_and_load_safely():
    assert u2net.BUILTIN_WEIGHTS.stat().st_size <= 5_000_000
    state = torch.load(u2net.BUILTIN_WEIGHTS, weights_only=True)
    model = u2net.build_u2netp()
    assert set(state) == set(model.state_dict())
    assert sum(p.numel() for p in model.parameters()) > 1_000_000


def test_train_mode_gives_seven_side_outputs():
    model = u2net.build_u2netp().train()
    outs = model(torch.rand(2, 3, 64, 48))
    assert len(outs) == 7
    assert all(o.shape == (2, 1, 64, 48) for o in outs)


def test_odd_sizes_follow_ceil_mode_pooling(builtin):
    with torch.no_grad():
        out = builtin(torch.rand(1, 3, 57, 75))
    assert out.shape == (1, 1, 57, 75)


def test_salient_map_finds_the_object(builtin):
    seg = u2net.SalientSegmenter(model=builtin, backend="torch")
    img = _blob_image()
    sal = seg.saliency(img)
    assert sal.shape == img.shape[:2] and sal.dtype == np.float32
    assert sal.min() >= 0.0 and sal.max() <= 1.0
    h, w = img.shape[:2]
    centre = sal[h // 2 - 5 : h // 2 + 5, w // 2 - 5 : w // 2 + 5].mean()
    corners = np.concatenate([sal[:8, :8].ravel(), sal[-8:, -8:].ravel()]).mean()
    assert centre > 0.5 > corners


def test_wrong_weights_file_names_it(tmp_path):
    bad = tmp_path / "garbage.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="garbage.pt"):
        u2net.load_u2netp(bad)
    wrong = tmp_path / "wrong.pt"
    torch.save({"conv.weight": torch.zeros(3)}, wrong)
    with pytest.raises(ValueError, match="wrong.pt"):
        u2net.load_u2netp(wrong)
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        u2net.load_u2netp(tmp_path / "missing.pt")


def test_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    with pytest.raises(ValueError, match="evil.pt"):
        u2net.load_u2netp(path)


@pytest.mark.slow
@pytest.mark.skipif(_original_onnx() is None, reason="original rembg u2netp.onnx not available")
def test_matches_onnxruntime_on_original_file(builtin):
    ort = pytest.importorskip("onnxruntime")
    path = _original_onnx()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = u2net.preprocess(_blob_image(200, 150))[None]
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        out = builtin(torch.from_numpy(x)).numpy()
    assert np.abs(out - ref).max() <= 1e-4


@pytest.mark.slow
def test_onnxruntime_backend_matches_torch(builtin, tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    img = _blob_image()
    fast = u2net.SalientSegmenter(backend="onnx")
    ref = u2net.SalientSegmenter(model=builtin, backend="torch")
    a, b = fast.saliency_small([img, img[::-1]]), ref.saliency_small([img, img[::-1]])
    assert a.shape == (2, 320, 320) and np.abs(a - b).max() < 1e-4
    assert len(list((tmp_path / "segstudio" / "onnx").glob("u2netp-*.onnx"))) == 1


@pytest.mark.slow
def test_a_cancel_stops_the_onnxruntime_pass_midway():
    """A superseded click must not hold its thread for the rest of a forward pass: the cancel
    terminates the onnxruntime run, which then ends as Cancelled, not as an error.  (The run's
    own ONNX cache, tests/conftest.py: the built-in weights are exported once per test run.)"""
    import threading

    from segstudio.core.tasks import Cancelled, CancelToken

    pytest.importorskip("onnxruntime")
    seg = u2net.SalientSegmenter(backend="onnx")
    images = [_blob_image()] * 8  # a batch long enough to be cancelled while it runs
    seg.saliency_small(images[:1], CancelToken())  # session built, not part of the timing
    token = CancelToken()
    threading.Timer(0.05, token.cancel).start()
    with pytest.raises(Cancelled):
        seg.saliency_small(images, token)
    assert seg.saliency_small(images[:1], CancelToken()).shape == (1, 320, 320)  # still usable
