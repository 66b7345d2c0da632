"""Small things a person notices: the title's frame number agrees with the timeline, and the
pixel read-out under a resting pointer follows the image shown."""

from __future__ import annotations

from PySide6.QtGui import QCursor

from tests.qt.conftest import move
from tests.qt.test_video import video_window  # noqa: F401  (fixture)


def test_title_frame_matches_the_timeline(video_window):  # noqa: F811
    w, vid, _ = video_window
    w.features.video.go(3)
    assert w.current_frame() == 3 and w.features.video.panel.frame_box.value() == 3
    assert "(frame 3)" in w.windowTitle()
    assert "frame 3 /" in w.features.video.status_label.text()


def _channels(text: str) -> list[int]:
    parts = text.split()
    return [int(parts[k + 1]) for k in range(0, len(parts), 2)]


def test_pixel_readout_follows_the_image_under_a_resting_pointer(window, qtbot):
    """Images of one size: after the first step the view no longer changes, so Qt replays no
    mouse move and only the window can bring the read-out up to date."""
    cv = window.canvas
    window.canvas.fit()
    QCursor.setPos(cv.viewport().mapToGlobal(cv.image_to_view(50, 50).toPoint()))
    move(cv, 50, 50)
    for k, grey in enumerate((40, 100, 160)):
        if k:
            window.step_image(1)  # the mouse does not move
            qtbot.wait(20)
        values = _channels(window.status_bar.pixel.text())
        assert values and all(grey <= v <= grey + 2 for v in values), (k, values)


def test_add_frame_folder_opens_the_folder_picker_first(qtbot, full_window, monkeypatch, tmp_path):
    """Video > Add Frame Folder... asks for a folder at once (it opened a video-file dialog, and
    the folder picker came only after Cancel); Add Video File... asks for a file only."""
    import cv2
    import numpy as np
    from PySide6.QtWidgets import QFileDialog

    w = full_window
    frames = tmp_path / "clip_frames"
    frames.mkdir()
    for k in range(3):
        cv2.imwrite(str(frames / f"{k:05d}.png"), np.full((20, 30, 3), 50 * k, np.uint8))
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: asked.append("folder") or str(frames)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: asked.append("file") or ("", "")))
    actions = {a.text().replace("&", ""): a for a in w.menu("Video").actions()}
    actions["Add Frame Folder…"].trigger()
    assert asked == ["folder"]
    assert w.current_image().kind == "frames" and w.current_image().frame_count == 3
    assert w.modes.current == "video"
    asked.clear()
    actions["Add Video File…"].trigger()
    assert asked == ["file"]
