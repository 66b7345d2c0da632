import random

import numpy as np
import pytest

from segstudio.io.frame_cache import FrameCache
from segstudio.io.video_source import FrameError, open_source
from tests.unit.video.synth import code_frame, coded_video, decode_index, write_video


@pytest.mark.parametrize("name,fourcc", [("v.avi", "MJPG"), ("v.mp4", "mp4v"), ("v.mkv", "XVID")])
def test_random_access_returns_the_right_frame(tmp_path, name, fourcc):
    path = coded_video(tmp_path / name, 40, fourcc)
    with open_source(path, cache_bytes=0) as src:
        assert src.kind == "video"
        assert src.frame_count == 40
        assert src.shape == (48, 64)
        assert src.fps == pytest.approx(25.0)
        order = list(range(40))
        random.Random(1).shuffle(order)
        for i in order + [3, 4, 5, 39, 0, 38, 1]:
            frame = src.read(i)
            assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
            assert decode_index(frame) == i
            assert abs(int(frame[..., 2].mean()) - 80) < 12  # RGB, not BGR
        assert src.stats.seeks > 0


def test_sequential_reads_do_not_seek(tmp_path):
    path = coded_video(tmp_path / "v.mp4", 30, "mp4v")
    with open_source(path, cache_bytes=0) as src:
        seeks = src.stats.seeks
        for i in range(30):
            assert decode_index(src.read(i)) == i
        # At most the jump back from the end check to frame 0.
        assert src.stats.seeks - seeks <= 1


def test_short_gaps_are_decoded_forward_not_seeked(tmp_path):
    path = coded_video(tmp_path / "v.mkv", 60, "FFV1")  # intra-only but costly to seek
    with open_source(path, cache_bytes=0) as src:
        src.read(0)
        src.read(10)  # a seek, which measures the seek cost
        before = src.stats.seeks
        for i in (12, 14, 16, 18):  # small gaps: decoded forward
            assert decode_index(src.read(i)) == i
        assert src.stats.skipped >= 4
        assert src.stats.seeks == before
        assert not src.prefers_forward(-1)
        assert decode_index(src.read(5)) == 5  # backwards: a seek
        assert src.stats.seeks == before + 1


def test_cache_is_bounded_by_bytes(tmp_path):
    path = coded_video(tmp_path / "v.avi", 40)
    frame_bytes = 48 * 64 * 3
    with open_source(path, cache_bytes=5 * frame_bytes) as src:
        for i in range(40):
            src.read(i)
        assert len(src.cache) == 5
        assert src.cache.nbytes <= 5 * frame_bytes
        decoded = src.stats.decoded
        src.read(39)  # most recent: a hit
        assert src.stats.decoded == decoded
        src.read(0)  # evicted: decoded again
        assert src.stats.decoded == decoded + 1


def test_frames_are_read_only(tmp_path):
    with open_source(coded_video(tmp_path / "v.avi", 5)) as src, pytest.raises(ValueError):
        src.read(1)[0, 0, 0] = 1


def test_cache_lru_order():
    c = FrameCache(max_bytes=300, min_frames=1)
    a = np.zeros(100, np.uint8)
    for i in range(3):
        c.put(i, a.copy())
    c.get(0)  # 0 becomes most recent
    c.put(3, a.copy())
    assert sorted(c.indices()) == [0, 2, 3]


def test_frame_folder_natural_order(tmp_path):
    import cv2

    for i in (1, 2, 10, 3):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), cv2.cvtColor(code_frame(i), cv2.COLOR_RGB2BGR))
    (tmp_path / "notes.txt").write_text("x")
    with open_source(tmp_path, fps=10) as src:
        assert src.kind == "frames"
        assert src.frame_count == 4
        assert [decode_index(src.read(i)) for i in range(4)] == [1, 2, 3, 10]
        assert src.timestamp(3) == pytest.approx(0.3)


def test_frame_folder_size_mismatch_is_a_clear_error(tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "0.png"), np.zeros((10, 10, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((12, 10, 3), np.uint8))
    with open_source(tmp_path) as src, pytest.raises(FrameError, match="1.png"):
        src.read(1)


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(FrameError, match="no such file"):
        open_source(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(FrameError, match="junk.mp4"):
        open_source(junk)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FrameError, match="no image frames"):
        open_source(empty)
    src = open_source(coded_video(tmp_path / "v.avi", 3))
    with pytest.raises(FrameError, match="out of range"):
        src.read(3)
    src.close()
    with pytest.raises(FrameError, match="closed"):
        src.read(0)


def test_truncated_video_gives_frames_or_clear_errors(tmp_path):
    path = write_video(tmp_path / "v.avi", [code_frame(i) for i in range(30)])
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.6)])  # the index at the end is lost
    try:
        src = open_source(cut, cache_bytes=0)
    except FrameError as e:
        assert "cut.avi" in str(e)
        return
    with src:
        assert 1 <= src.frame_count <= 30
        for i in range(src.frame_count):
            try:
                assert decode_index(src.read(i)) == i
            except FrameError as e:
                assert "cut.avi" in str(e) and f"frame {i}" in str(e)


def test_stepping_backwards_decodes_chunks_not_one_seek_per_frame(tmp_path):
    path = coded_video(tmp_path / "v.mp4", 60, "mp4v")
    with open_source(path) as src:
        src.read(50)
        seeks = src.stats.seeks
        for i in range(49, 25, -1):
            assert decode_index(src.read(i)) == i
        assert src.stats.seeks - seeks <= 3  # 24 steps back, a chunk of 12 per seek
