"""Catalogue downloads end to end against a loopback server: download -> verify -> install ->
load -> click for each layout, and every way a download goes wrong (wrong checksum, truncated
body, 404, no network, wrong size, disk full, cancel) leaving nothing half-installed."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from segstudio.core.tasks import Cancelled, CancelToken  # noqa: E402
from segstudio.inference import registry  # noqa: E402
from segstudio.inference.base import Click, ModelError, Prompt  # noqa: E402
from segstudio.inference.catalogue import load_catalogue  # noqa: E402
from segstudio.inference.download import DownloadError, fetch  # noqa: E402
from segstudio.inference.install import CARD_NAME, _exclusive, pull, remove, state  # noqa: E402
from tests.unit.inference.model_server import ModelServer  # noqa: E402

LAYOUT_CLASS = {"sam": "SamOnnx", "efficientsam": "EfficientSamOnnx", "sam2": "Sam2Onnx"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _image() -> np.ndarray:
    img = np.zeros((48, 96, 3), np.uint8)
    img[:, :48, 0] = 255  # red left half: the tiny models' object
    img[..., 1] = 90
    return img


def _expected(layout: str, click: tuple[float, float]) -> np.ndarray:
    """What the tiny models answer: red, and for the EfficientSAM / SAM 2 ones only inside
    the click's box of +-MARGIN model pixels (so the point's frame is checked too)."""
    from tests.unit.inference.tiny_layouts import MARGIN, SIDE

    yy, xx = np.mgrid[:48, :96]
    red = xx < 48
    if layout == "sam":
        return red
    sx, sy = SIDE / 96, SIDE / 48
    return red & (np.abs((xx + 0.5) * sx - click[0] * sx) <= MARGIN) & (
        np.abs((yy + 0.5) * sy - click[1] * sy) <= MARGIN)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return np.count_nonzero(a & b) / max(1, np.count_nonzero(a | b))


@pytest.fixture
def pairs(tiny_sam, tiny_efficientsam, tiny_sam2) -> dict[str, tuple[bytes, bytes]]:
    return {layout: (e.read_bytes(), d.read_bytes())
            for layout, (e, d) in (("sam", tiny_sam), ("efficientsam", tiny_efficientsam), ("sam2", tiny_sam2))}


def _entry_yaml(mid: str, layout: str, base: str, enc: bytes, dec: bytes, *, sizes=True,
                enc_sha: str | None = None, archive: bytes | None = None) -> str:
    size = (lambda b: f"size: {len(b)}") if sizes else (lambda b: f"approx_size: {len(b) + 100}")
    head = (f"  - id: {mid}\n    name: Tiny {layout}\n    layout: {layout}\n    licence: Apache-2.0\n"
            f"    source_page: https://example.invalid/{mid}\n"
            f"    expected_cpu: {{encoder_s: 0.01, click_ms: 1, basis: estimate}}\n")
    if archive is not None:
        return head + (
            f"    archive: {{url: {base}/{mid}.zip, {size(archive)}, sha256: '{_sha(archive)}'}}\n"
            f"    files:\n"
            f"      encoder: {{member: pair/{mid}_enc.onnx, {size(enc)}, sha256: '{_sha(enc)}'}}\n"
            f"      decoder: {{member: pair/{mid}_dec.onnx, {size(dec)}, sha256: '{_sha(dec)}'}}\n")
    return head + (
        f"    files:\n"
        f"      encoder: {{url: {base}/{mid}_enc.onnx, {size(enc)}, sha256: '{enc_sha or _sha(enc)}'}}\n"
        f"      decoder: {{url: {base}/{mid}_dec.onnx, {size(dec)}, sha256: '{_sha(dec)}'}}\n")


@pytest.fixture
def site(tmp_path, pairs, monkeypatch):
    """A server holding every tiny pair (SAM 2 as a zip), a catalogue pointing at it and an
    empty user models folder."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
                "SEGSTUDIO_MODEL_MIRROR"):
        monkeypatch.delenv(var, raising=False)
    models = tmp_path / "models"
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    with ModelServer() as server:
        entries = []
        for layout, (enc, dec) in pairs.items():
            mid = f"tiny-{layout}"
            if layout == "sam2":
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as zf:
                    zf.writestr(f"pair/{mid}_enc.onnx", enc)
                    zf.writestr(f"pair/{mid}_dec.onnx", dec)
                    zf.writestr("pair/config.yaml", "ignored: true\n")
                server.files[f"/{mid}.zip"] = buf.getvalue()
                entries.append(_entry_yaml(mid, layout, server.url, enc, dec, archive=buf.getvalue()))
            else:
                server.files[f"/{mid}_enc.onnx"] = enc
                server.files[f"/{mid}_dec.onnx"] = dec
                entries.append(_entry_yaml(mid, layout, server.url, enc, dec))
        cat = tmp_path / "catalogue.yaml"
        cat.write_text("schema: 1\nmodels:\n" + "".join(entries))
        monkeypatch.setenv("SEGSTUDIO_MODEL_CATALOGUE", str(cat))
        yield server, models, cat


def _nothing_installed(models: Path, mid: str) -> None:
    assert not (models / mid).exists()
    assert not list(models.glob(".staging-*"))
    assert mid not in {c.id for c in registry.discover(user_dir=models)[0]}


@pytest.mark.parametrize("layout", ["sam", "efficientsam", "sam2"])
def test_pull_installs_loads_and_answers_a_click(site, layout):
    server, models, _ = site
    entry = load_catalogue().get(f"tiny-{layout}")
    seen = []
    card_path = pull(entry, progress=lambda d, t, m: seen.append((d, t, m)))
    assert card_path == models / entry.id / CARD_NAME and state(entry).installed
    assert seen[-1][0] == entry.download_bytes and "verifying" in seen[-1][2]
    assert not list((models / ".downloads").glob("*.part"))  # moved into place, not copied
    card = registry.find(entry.id, user_dir=models)
    assert card.options["layout"] == layout
    model = registry.load(card)
    assert type(model).__name__ == LAYOUT_CLASS[layout]
    if hasattr(model, "size"):
        model.size = 64  # the tiny models' "1024" (their encoders resize inside anyway)
    model.set_image(_image())
    res = model.predict(Prompt((Click(10, 10),)))
    assert res.mask.shape == (48, 96)
    assert _iou(res.mask, _expected(layout, (10, 10))) > 0.9
    n_requests = len(server.requests)
    assert pull(entry) == card_path and len(server.requests) == n_requests  # installed: no fetch


def test_truncated_body_is_resumed_with_a_range_request(site):
    server, models, _ = site
    entry = load_catalogue().get("tiny-efficientsam")
    enc_path = f"/{entry.id}_enc.onnx"
    half = len(server.files[enc_path]) // 2
    server.truncate[enc_path] = half
    with pytest.raises(DownloadError, match=r"tiny-efficientsam/.*resume") as err:
        pull(entry)
    assert "\n" not in str(err.value)
    _nothing_installed(models, entry.id)
    assert state(entry).partial_bytes == half
    del server.truncate[enc_path]
    pull(entry)
    assert (enc_path, f"bytes={half}-") in server.requests
    assert state(entry).installed


def test_a_server_without_range_support_restarts_the_file(site):
    server, models, _ = site
    entry = load_catalogue().get("tiny-sam")
    enc_path = f"/{entry.id}_enc.onnx"
    part = models / ".downloads" / f"{entry.id}--{entry.id}_enc.onnx.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(server.files[enc_path][:100])
    server.no_range.add(enc_path)
    pull(entry)
    assert (enc_path, "bytes=100-") in server.requests  # asked, got 200, started over
    assert (models / entry.id / f"{entry.id}_enc.onnx").read_bytes() == server.files[enc_path]


def test_wrong_checksum_deletes_the_file_and_installs_nothing(site, pairs, tmp_path, monkeypatch):
    server, models, _ = site
    enc, dec = pairs["sam"]
    cat = tmp_path / "bad.yaml"
    cat.write_text("models:\n" + _entry_yaml("tiny-sam", "sam", server.url, enc, dec, enc_sha="0" * 64))
    server.files["/tiny-sam_enc.onnx"], server.files["/tiny-sam_dec.onnx"] = enc, dec
    entry = load_catalogue(cat).get("tiny-sam")
    with pytest.raises(DownloadError, match="checksum mismatch") as err:
        pull(entry)
    assert "tiny-sam/tiny-sam_enc.onnx" in str(err.value) and "\n" not in str(err.value)
    _nothing_installed(models, "tiny-sam")
    assert not list((models / ".downloads").glob("*.part"))


def test_404_and_no_network_are_one_line_errors(site, pairs, tmp_path):
    server, models, _ = site
    entry = load_catalogue().get("tiny-sam")
    del server.files[f"/{entry.id}_dec.onnx"]
    with pytest.raises(DownloadError, match="HTTP 404"):
        pull(entry)
    _nothing_installed(models, entry.id)
    enc, dec = pairs["sam"]
    cat = tmp_path / "dead.yaml"
    cat.write_text("models:\n" + _entry_yaml("dead", "sam", "http://127.0.0.1:9", enc, dec))
    with pytest.raises(DownloadError, match=r"cannot reach 127\.0\.0\.1 .*no network\?") as err:
        pull(load_catalogue(cat).get("dead"))
    assert "\n" not in str(err.value)
    _nothing_installed(models, "dead")


def test_a_file_of_another_size_is_refused_before_download(site, pairs, tmp_path):
    server, models, _ = site
    enc, dec = pairs["sam"]
    server.files["/odd_enc.onnx"], server.files["/odd_dec.onnx"] = enc + b"x", dec
    cat = tmp_path / "odd.yaml"
    cat.write_text("models:\n" + _entry_yaml("odd", "sam", server.url, enc, dec))
    with pytest.raises(DownloadError, match="offers .* the catalogue expects"):
        pull(load_catalogue(cat).get("odd"))
    _nothing_installed(models, "odd")


def test_approximate_sizes_trust_the_server_and_the_checksum(site, pairs, tmp_path):
    server, models, _ = site
    enc, dec = pairs["sam"]
    server.files["/approx_enc.onnx"], server.files["/approx_dec.onnx"] = enc, dec
    cat = tmp_path / "approx.yaml"
    cat.write_text("models:\n" + _entry_yaml("approx", "sam", server.url, enc, dec, sizes=False))
    entry = load_catalogue(cat).get("approx")
    assert not entry.sizes_exact
    pull(entry)
    assert state(entry).installed


def test_disk_full_and_cancel(tmp_path):
    blob = np.random.default_rng(0).bytes(1_500_000)
    with ModelServer() as server:
        server.files["/big.bin"] = blob
        part = tmp_path / "big.part"
        with pytest.raises(DownloadError, match="disk full"):
            fetch(server.url + "/big.bin", part, "big", len(blob), free_space=lambda p: 1000)
        class CancelAfterTwoChunks(CancelToken):  # the user presses Cancel mid-transfer
            checks = 0

            def check(self) -> None:
                self.checks += 1
                if self.checks == 4:
                    self.cancel()
                super().check()

        messages = []
        with pytest.raises(Cancelled):
            fetch(server.url + "/big.bin", part, "big", len(blob),
                  progress=lambda d, t, m: messages.append(m), cancel=CancelAfterTwoChunks())
        assert messages[0] == "big: 0 B of 1.5 MB"
        kept = part.stat().st_size
        assert 0 < kept < len(blob)  # the partial file stays for a resume
        fetch(server.url + "/big.bin", part, "big", len(blob))
        assert part.read_bytes() == blob
        assert ("/big.bin", f"bytes={kept}-") in server.requests


def test_mirror_and_proxy(site, monkeypatch, tmp_path, pairs):
    server, models, _ = site
    entry = load_catalogue().get("tiny-efficientsam")
    for f in entry.files:  # the mirror's layout: <base>/<id>/<file name>
        server.files[f"/mirror/{entry.id}/{f.name}"] = server.files.pop(f"/{entry.id}_{f.role[:3]}.onnx")
    monkeypatch.setenv("SEGSTUDIO_MODEL_MIRROR", server.url + "/mirror/")
    pull(entry)
    assert state(entry).installed
    # a proxy from the environment carries requests to hosts we cannot resolve
    enc, dec = pairs["sam"]
    server.files["/p_enc.onnx"], server.files["/p_dec.onnx"] = enc, dec
    cat = tmp_path / "proxy.yaml"
    cat.write_text("models:\n" + _entry_yaml("p", "sam", "http://models.example.invalid", enc, dec))
    monkeypatch.setenv("HTTP_PROXY", server.url)
    pull(load_catalogue(cat).get("p"), mirror="")
    assert server.proxied == ["http://models.example.invalid/p_enc.onnx",
                              "http://models.example.invalid/p_dec.onnx"]


def test_one_pull_per_model_at_a_time(site):
    _, models, _ = site
    entry = load_catalogue().get("tiny-sam")
    with _exclusive(models, entry.id), pytest.raises(DownloadError, match="already being downloaded"):
        pull(entry)


def test_remove_only_deletes_what_segstudio_installed(site):
    _, models, _ = site
    entry = load_catalogue().get("tiny-sam")
    pull(entry)
    assert remove(entry.id) is True
    _nothing_installed(models, entry.id)
    assert remove(entry.id) is False
    (models / "mine").mkdir()
    (models / "mine" / "card.yaml").write_text("id: mine\nkind: sam\n")
    with pytest.raises(ModelError, match="not a model SegStudio installed"):
        remove("mine")
    assert (models / "mine" / "card.yaml").is_file()


def test_embeddings_are_kept_on_disk_per_model_weights_and_image(tmp_path, tiny_sam2):
    from segstudio.inference.cache import EmbeddingCache
    from segstudio.inference.prompt_onnx import weights_key
    from segstudio.inference.runtime import onnx_session
    from segstudio.inference.sam_layouts import Sam2Onnx

    enc, dec = tiny_sam2
    disk = tmp_path / "emb"

    def model():  # a fresh process: an empty memory cache, the same disk folder
        m = Sam2Onnx("s2", onnx_session(enc), onnx_session(dec), cache=EmbeddingCache(disk_dir=disk),
                     weights_id=weights_key("s2", enc, dec))
        m.runs = 0
        encode = m._encode

        def counting(rgb):
            m.runs += 1
            return encode(rgb)

        m._encode = counting
        return m

    first = model()
    first.set_image(_image())
    a = first.predict(Prompt((Click(10, 10),)))
    assert first.runs == 1 and len(list(disk.glob("*/*.npz"))) == 1
    second = model()
    assert second.has_embedding(_image())
    second.set_image(_image())
    b = second.predict(Prompt((Click(10, 10),)))
    assert second.runs == 0 and second.cache.disk_hits == 1
    assert np.array_equal(a.mask, b.mask)
    other = _image()
    other[:, :, 0] = 0  # another image content: its own entry
    assert not second.has_embedding(other)
    next(disk.glob("*/*.npz")).write_bytes(b"garbage")  # a damaged entry is recomputed
    third = model()
    third.set_image(_image())
    assert third.runs == 1
    tiny = EmbeddingCache(disk_dir=disk, disk_max_bytes=1)  # the disk bound evicts old entries
    tiny.put("m", "k", np.zeros(1000, np.float32))
    assert len(list(disk.glob("*/*.npz"))) <= 1
