import pytest

from segstudio.io.video_source import FrameError, open_source
from segstudio.store import Project
from segstudio.video.library import add_video, extract_frames, format_timestamp, open_project_video

from .synth import coded_video, decode_index


def test_format_timestamp():
    assert format_timestamp(None) == ""
    assert format_timestamp(0) == "0:00.000"
    assert format_timestamp(61.04) == "1:01.040"
    assert format_timestamp(3725.5) == "1:02:05.500"


def test_add_video_once_and_open_it_back(tmp_path):
    path = coded_video(tmp_path / "v.avi", 20)
    with Project.create(tmp_path / "p") as p:
        a = add_video(p, path)
        b = add_video(p, path)
        assert (a.existed, b.existed, a.image_id) == (False, True, b.image_id)
        rec = p.image(a.image_id)
        assert (rec.kind, rec.frame_count, rec.width, rec.height) == ("video", 20, 64, 48)
        with open_project_video(p, a.image_id) as src:
            assert decode_index(src.read(13)) == 13 and src.fps == pytest.approx(25)
        p.add_folder(tmp_path / "p")  # no images: nothing happens
        with pytest.raises(FrameError, match="v.txt"):
            (tmp_path / "v.txt").write_text("x")
            add_video(p, tmp_path / "v.txt")


def test_extract_with_stride_and_range(tmp_path):
    with open_source(coded_video(tmp_path / "v.avi", 30)) as src:
        files = extract_frames(src, tmp_path / "out", stride=7, start=2, ext="jpg")
    assert [f.name for f in files] == [f"frame_{i:06d}.jpg" for i in (2, 9, 16, 23)]
    with open_source(tmp_path / "out") as frames:
        assert [decode_index(frames.read(k)) for k in range(4)] == [2, 9, 16, 23]
    with pytest.raises(ValueError, match="stride"):
        extract_frames(src, tmp_path / "x", stride=0)
