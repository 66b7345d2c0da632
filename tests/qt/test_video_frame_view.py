"""Stepping through the frames of one video keeps the zoom; a new item is fitted."""

from __future__ import annotations

import cv2
import numpy as np

from segstudio.store import Project
from segstudio.video.library import add_video


def test_frame_steps_keep_the_view(qtbot, tmp_path):
    from segstudio.qt.main_window import MainWindow

    frames = tmp_path / "proj" / "clip"
    frames.mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:05d}.png"), np.full((40, 60, 3), 50 * i, np.uint8))
    cv2.imwrite(str(tmp_path / "proj" / "still.png"), np.zeros((30, 30, 3), np.uint8))
    with Project.create(tmp_path / "proj") as p:
        video_id = add_video(p, frames).image_id
        (still_id,) = p.add_images([(tmp_path / "proj" / "still.png", 30, 30)])
    w = MainWindow(install_features=False)
    qtbot.addWidget(w)
    w.resize(800, 600)
    w.show()
    assert w.open_project(tmp_path / "proj")
    assert w.go_to_image(video_id, 0)
    w.canvas.set_zoom(5.0)
    assert w.go_to_image(video_id, 2)
    assert abs(w.canvas.zoom() - 5.0) < 1e-6
    assert w.current_image_data().data[0, 0, 0] == 100
    assert w.go_to_image(still_id)
    assert abs(w.canvas.zoom() - 5.0) > 1e-3  # a new item is fitted to the view
    w.close()
