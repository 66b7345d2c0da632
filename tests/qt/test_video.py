"""The video feature in the main window: keys, timeline, tracks, propagation, interpolation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from segstudio.core.commands import add_instance
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.store import Project


def _moving_disc(n=12, h=90, w=120):
    rng = np.random.default_rng(3)
    bg = cv2.GaussianBlur((rng.random((h, w, 3)) * 255).astype(np.uint8), (0, 0), 2)
    tex = cv2.GaussianBlur((rng.random((h, w * 2, 3)) * 255).astype(np.uint8), (0, 0), 1.5)
    frames, masks = [], []
    for i in range(n):
        m = np.zeros((h, w), np.uint8)
        cv2.circle(m, (30 + 3 * i, 45), 14, 1, -1)
        f = bg.copy()
        t = np.roll(tex, 3 * i, axis=1)[:, :w]
        f[m > 0] = (t[m > 0] * 0.5 + np.array([230, 40, 40]) * 0.5).astype(np.uint8)
        frames.append(f)
        masks.append(m > 0)
    return frames, masks


@pytest.fixture
def video_window(qtbot, tmp_path):
    from segstudio.qt.features import install_all
    from segstudio.qt.main_window import MainWindow
    from segstudio.video.library import add_video

    frames, masks = _moving_disc()
    root = tmp_path / "proj"
    root.mkdir()
    wr = cv2.VideoWriter(str(root / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (120, 90))
    for f in frames:
        wr.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    wr.release()
    with Project.create(root) as p:
        p.add_category("ball")
        vid = add_video(p, root / "clip.avi").image_id
    w = MainWindow(install_features=False)
    assert install_all(w, ["video"]) == {"video": None}
    qtbot.addWidget(w)
    w.resize(1100, 750)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_project(root)
    w.go_to_image(vid, 0)
    yield w, vid, masks
    w.worker.cancel_all()
    w.worker.wait(10000)
    w.close()
    assert not w.worker.busy()


def key(qtbot, w, k, mods=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(w.canvas.viewport(), k, mods)


def test_keys_timeline_and_status(video_window, qtbot):
    w, vid, _ = video_window
    ctl = w.features.video
    assert ctl.dock.isVisible() and ctl.actions["fwd1"].isEnabled()
    assert "frame 0 / 11" in ctl.status_label.text() and "0:00.000" in ctl.status_label.text()
    key(qtbot, w, Qt.Key.Key_Right)
    assert w.current_frame() == 1 and w.current_document().frame == 1
    key(qtbot, w, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert w.current_frame() == 11  # clamped: 1 + 10
    key(qtbot, w, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert w.current_frame() == 1
    key(qtbot, w, Qt.Key.Key_Period)
    assert w.current_frame() == 2
    assert "0:00.200" in ctl.status_label.text()  # 10 fps
    key(qtbot, w, Qt.Key.Key_End)
    assert w.current_frame() == 11
    key(qtbot, w, Qt.Key.Key_Home)
    assert w.current_frame() == 0
    tl = ctl.panel.timeline
    qtbot.mouseClick(tl, Qt.MouseButton.LeftButton, pos=QPoint(int(tl.x_of(7)), 5))
    assert w.current_frame() == 7 and ctl.panel.frame_box.value() == 7
    ctl.panel.frame_box.setValue(4)
    assert w.current_frame() == 4
    # Play runs frames forward until paused.
    key(qtbot, w, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: w.current_frame() >= 6, timeout=5000)
    key(qtbot, w, Qt.Key.Key_K)
    assert not ctl.play_timer.isActive()


def test_propagate_forward_then_undo(video_window, qtbot):
    w, vid, masks = video_window
    ctl = w.features.video
    doc = w.current_document()
    w.push_command(add_instance(doc, Instance(1, 1, MaskPatch.from_full(masks[0]))))
    w.select_instances([1])
    ctl.panel.count_box.setValue(6)
    key(qtbot, w, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert ctl.panel.progress.isVisibleTo(ctl.panel)
    qtbot.waitUntil(lambda: ctl._job is None, timeout=30000)
    p = w.project
    assert p.annotated_frames(vid) == list(range(0, 7))
    for f in range(1, 7):
        (inst,) = p.load_instances(vid, f)
        assert inst.mask.iou(MaskPatch.from_full(masks[f])) > 0.75
        assert inst.track_id == w.current_document().get(1).track_id
    assert len(ctl.panel.timeline.rows) == 1
    assert sorted(ctl.panel.timeline.rows[0].frames) == list(range(0, 7))
    assert ctl.tracks_panel.tree.topLevelItemCount() == 1
    # The propagated frame shows the result when visited.
    key(qtbot, w, Qt.Key.Key_Right)
    assert len(w.current_document()) == 1
    key(qtbot, w, Qt.Key.Key_Left)
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert p.annotated_frames(vid) == [0]
    assert w.current_document().get(1).track_id is None
    key(qtbot, w, Qt.Key.Key_Right)
    assert len(w.current_document()) == 0  # the open page of frame 1 was updated too


def test_cancel_keeps_frames_done_so_far(video_window, qtbot):
    w, vid, masks = video_window
    ctl = w.features.video
    w.push_command(add_instance(w.current_document(), Instance(1, 1, MaskPatch.from_full(masks[0]))))
    w.select_instances([1])
    ctl.propagate(1)
    ctl.panel.cancel.click()
    qtbot.waitUntil(lambda: ctl._job is None, timeout=30000)
    assert not ctl.panel.progress.isVisibleTo(ctl.panel)
    frames = w.project.annotated_frames(vid)
    assert frames[0] == 0 and frames == list(range(len(frames))) and len(frames) <= 12


def test_tracks_split_merge_and_interpolate(video_window, qtbot):
    w, vid, masks = video_window
    ctl = w.features.video
    w.push_command(add_instance(w.current_document(), Instance(1, 1, MaskPatch.from_full(masks[0]))))
    w.select_instances([1])
    ctl.actions["new_track"].trigger()
    tid = w.current_document().get(1).track_id
    assert tid is not None and ctl.tracks_panel.tree.topLevelItemCount() == 1
    ctl.go(9)
    w.push_command(add_instance(w.current_document(),
                                Instance(1, 1, MaskPatch.from_full(masks[9]), track_id=tid)))
    w.select_instances([1])
    ctl.actions["interpolate"].trigger()
    assert w.project.annotated_frames(vid) == list(range(0, 10))
    row = ctl.panel.timeline.rows[0]
    assert row.frames[0] and row.frames[9] and not row.frames[5]  # keyframes vs interpolated
    inst5 = w.project.load_instances(vid, 5)[0]
    assert inst5.mask.iou(MaskPatch.from_full(masks[5])) > 0.8
    # Split at frame 5 (from frame 5), then merge back; each is one undo step.
    ctl.go(5)
    ctl.select_track(tid)
    ctl.actions["split_track"].trigger()
    assert len(ctl.panel.timeline.rows) == 2
    ctl.tracks_panel.tree.selectAll()
    ctl.actions["merge_tracks"].trigger()
    assert len(ctl.panel.timeline.rows) == 1
    assert sorted(ctl.panel.timeline.rows[0].frames) == list(range(0, 10))
    qtbot.keyClick(w.canvas.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(ctl.panel.timeline.rows) == 2, timeout=3000)


def test_actions_are_disabled_on_still_images(qtbot, project_dir):
    from segstudio.qt.features import install_all
    from segstudio.qt.main_window import MainWindow

    w = MainWindow(install_features=False)
    install_all(w, ["video"])
    qtbot.addWidget(w)
    w.open_project(project_dir)
    assert not w.features.video.actions["fwd1"].isEnabled()
    assert not w.features.video.dock.isVisible()
    w.close()


def test_extract_frames_from_the_menu(video_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QInputDialog

    w, vid, _ = video_window
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (5, True))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "ex"))
    (act,) = [a for a in w.menu("Video").actions() if a.text().startswith("Extract")]
    act.trigger()
    out = tmp_path / "ex" / "clip"
    qtbot.waitUntil(lambda: out.is_dir() and len(list(out.iterdir())) == 3, timeout=10000)
    w.io_worker.wait(5000)
    assert sorted(p.name for p in out.iterdir()) == [f"frame_{i:06d}.png" for i in (0, 5, 10)]


def test_the_prompt_model_refiner_uses_the_click_model_chosen_in_ai_assist(video_window, qtbot, tmp_path,
                                                                          monkeypatch):
    """Was: the refiner asked the window for `prompt_model`, which nothing provided, so it
    always fell back to the built-in model."""
    from segstudio.inference import registry
    from segstudio.inference.interactive import GrabCutInteractive
    from segstudio.qt.features import install_all

    models = tmp_path / "models"
    models.mkdir()
    (models / "counting.yaml").write_text("id: counting-clicks\nkind: sam\nfiles: {encoder: e.onnx, decoder: d.onnx}\n")
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(models))
    prompts = []

    class Counting(GrabCutInteractive):  # the chosen click model: answers like GrabCut, counts
        model_id = "counting-clicks"

        def predict(self, prompt, *args, **kwargs):
            prompts.append(prompt)
            return super().predict(prompt, *args, **kwargs)

    real_load = registry.load
    monkeypatch.setattr(registry, "load", lambda card: Counting() if card.id == "counting-clicks" else real_load(card))
    w, vid, masks = video_window
    assert install_all(w, ["assist"]) == {"assist": None}
    w.features.assist.controller.set_model("counting-clicks")
    qtbot.waitUntil(lambda: not w.worker.busy(), timeout=30000)  # its embedding of frame 0
    prompts.clear()
    ctl = w.features.video
    w.push_command(add_instance(w.current_document(), Instance(1, 1, MaskPatch.from_full(masks[0]))))
    w.select_instances([1])
    ctl.panel.refiner.setCurrentIndex(ctl.panel.refiner.findData("interactive"))
    ctl.panel.count_box.setValue(3)
    ctl.propagate(1)
    qtbot.waitUntil(lambda: ctl._job is None, timeout=30000)
    assert w.project.annotated_frames(vid) == [0, 1, 2, 3]
    assert len(prompts) == 3  # one refinement per propagated frame, by the chosen model
