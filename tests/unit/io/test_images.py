import struct

import cv2
import numpy as np
import pytest

from segstudio.core.image_header import read_header
from segstudio.io.images import ImageLoadError, display_window, load_image, to_rgb8


def gradient(h=24, w=32):
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w)[None, :] * 7
    img[..., 1] = np.arange(h)[:, None] * 9
    img[..., 2] = 200
    return img  # BGR for cv2.imwrite


@pytest.mark.parametrize("ext", [".png", ".bmp", ".tif", ".webp", ".jpg"])
def test_formats_load_as_rgb(tmp_path, ext):
    path = tmp_path / f"a{ext}"
    params = [cv2.IMWRITE_WEBP_QUALITY, 101] if ext == ".webp" else []
    assert cv2.imwrite(str(path), gradient(), params)
    img = load_image(path)
    assert img.shape == (24, 32) and img.data.shape == (24, 32, 3)
    assert read_header(path).width == 32 and read_header(path).height == 24
    if ext != ".jpg":
        assert np.array_equal(img.data, cv2.cvtColor(gradient(), cv2.COLOR_BGR2RGB))
    else:
        assert abs(int(img.data[5, 5, 2]) - int(gradient()[5, 5, 0])) < 12  # R <- B channel of BGR


def test_16bit_grayscale_kept_with_display_window(tmp_path):
    data = (np.arange(40 * 50, dtype=np.uint16).reshape(40, 50) * 13) + 1000
    cv2.imwrite(str(tmp_path / "g.tif"), data)
    cv2.imwrite(str(tmp_path / "g.png"), data)
    for name in ("g.tif", "g.png"):
        img = load_image(tmp_path / name)
        assert img.data.dtype == np.uint16 and img.is_gray
        assert np.array_equal(img.data, data)
        lo, hi = display_window(img.data, "minmax")
        assert (lo, hi) == (float(data.min()), float(data.max()))
        rgb = img.rgb8((lo, hi))
        assert rgb.shape == (40, 50, 3) and rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255


def test_multipage_tiff_shows_first_page_with_note(tmp_path):
    pages = [np.full((10, 12), v, np.uint8) for v in (10, 200)]
    cv2.imwritemulti(str(tmp_path / "m.tif"), pages)
    img = load_image(tmp_path / "m.tif")
    assert img.data[0, 0] == 10
    assert any("page 1 of 2" in n for n in img.notes)


def test_big_tiff_with_its_directory_after_the_pixels_opens(tmp_path):
    # libtiff (OpenCV, GDAL, most scanners) writes the image directory after the pixel data:
    # in a file of more than a megabyte it lies far beyond the first bytes read for the header.
    noise = np.random.default_rng(0).integers(0, 256, (700, 800, 3), dtype=np.uint8)
    path = tmp_path / "big.tif"
    cv2.imwrite(str(path), noise)
    raw = path.read_bytes()
    assert struct.unpack("<I", raw[4:8])[0] > (1 << 20) + 65536  # the layout under test
    assert (read_header(path).width, read_header(path).height) == (800, 700)
    img = load_image(path)
    assert np.array_equal(img.data, cv2.cvtColor(noise, cv2.COLOR_BGR2RGB))


def _bigtiff(pix: np.ndarray) -> bytes:
    """A minimal uncompressed 8-bit grayscale BigTIFF (64-bit offsets), directory at the end."""
    h, w = pix.shape
    data = pix.tobytes()
    entries = [(256, 16, w), (257, 4, h), (258, 3, 8), (259, 3, 1), (262, 3, 1),
               (273, 16, 16), (277, 3, 1), (278, 4, h), (279, 16, len(data))]
    out = b"II" + struct.pack("<HHHQ", 43, 8, 0, 16 + len(data)) + data
    out += struct.pack("<Q", len(entries))
    out += b"".join(struct.pack("<HHQQ", tag, typ, 1, val) for tag, typ, val in entries)
    return out + struct.pack("<Q", 0)


def test_bigtiff_is_read(tmp_path):
    pix = (np.arange(30 * 40) % 251).astype(np.uint8).reshape(30, 40)
    path = tmp_path / "b.tif"
    path.write_bytes(_bigtiff(pix))
    assert (read_header(path).width, read_header(path).height) == (40, 30)
    assert np.array_equal(load_image(path).data, pix)


def test_tiff_directory_beyond_the_end_of_the_file_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.tif"
    path.write_bytes(b"II*\x00" + struct.pack("<I", 5_000_000) + bytes(100))
    with pytest.raises(ImageLoadError, match=r"cut\.tif.*truncated or damaged TIFF header"):
        load_image(path)


def _jpeg_with_orientation(img_bgr, orientation):
    ok, buf = cv2.imencode(".jpg", img_bgr, [cv2.IMWRITE_JPEG_QUALITY, 100])
    raw = buf.tobytes()
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 1)
    tiff += struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    app1 = b"Exif\x00\x00" + tiff
    return raw[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + raw[2:]


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = 255  # left half white
    (tmp_path / "rot.jpg").write_bytes(_jpeg_with_orientation(img, 6))  # rotate 90 CW
    loaded = load_image(tmp_path / "rot.jpg")
    assert loaded.shape == (40, 20)
    assert loaded.data[5, 10].mean() > 200 and loaded.data[35, 10].mean() < 50


def test_unicode_path(tmp_path):
    path = tmp_path / "ünïcødé 画像" / "Ω.png"
    path.parent.mkdir()
    path.write_bytes(cv2.imencode(".png", gradient())[1].tobytes())
    assert load_image(path).shape == (24, 32)


def test_bad_files_give_errors_naming_file_and_problem(tmp_path):
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(ImageLoadError, match=r"zero\.png: the file is empty"):
        load_image(tmp_path / "zero.png")
    (tmp_path / "text.jpg").write_text("not an image at all")
    with pytest.raises(ImageLoadError, match=r"text\.jpg: not a supported image"):
        load_image(tmp_path / "text.jpg")
    raw = cv2.imencode(".png", gradient(200, 200))[1].tobytes()
    (tmp_path / "cut.png").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ImageLoadError, match=r"cut\.png: truncated or corrupt PNG"):
        load_image(tmp_path / "cut.png")
    with pytest.raises(ImageLoadError, match="file not found"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageLoadError, match="is a folder"):
        load_image(tmp_path)
    (tmp_path / "hdr.png").write_bytes(raw[:20])
    with pytest.raises(ImageLoadError, match="hdr.png"):
        load_image(tmp_path / "hdr.png")


def test_mislabelled_file_loads_with_a_note(tmp_path):
    (tmp_path / "really_png.jpg").write_bytes(cv2.imencode(".png", gradient())[1].tobytes())
    img = load_image(tmp_path / "really_png.jpg")
    assert img.format == "png" and any("named .jpg" in n for n in img.notes)


def test_decompression_bomb_guard(tmp_path):
    cv2.imwrite(str(tmp_path / "big.png"), np.zeros((300, 400), np.uint8))
    with pytest.raises(ImageLoadError, match="exceeds the limit"):
        load_image(tmp_path / "big.png", max_pixels=100_000)
    assert load_image(tmp_path / "big.png", max_pixels=120_000).shape == (300, 400)


def test_to_rgb8_gray_and_rgba():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert to_rgb8(gray).shape == (3, 4, 3)
    rgba = np.zeros((3, 4, 4), np.uint8)
    assert to_rgb8(rgba).shape == (3, 4, 3)
