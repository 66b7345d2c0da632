"""Background removal driven like a user: select subject, preview, refine brush, export, batch."""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from segstudio.io.images import load_image
from tests.qt.conftest import drag


def fake_saliency(rgb: np.ndarray) -> np.ndarray:
    """Stand-in for the built-in model: saturated colours are the subject (soft at the edge)."""
    spread = rgb.max(axis=2).astype(np.float32) - rgb.min(axis=2)
    soft = np.clip(0.5 + (spread - 80.0) / 80.0, 0, 1)
    return cv2.GaussianBlur(soft, (0, 0), 1.0)


@pytest.fixture
def cutout(window, qtbot):
    from segstudio.qt.features.cutout import install

    install(window)
    ctrl = window.findChild(type(window.worker).__mro__[1], "cutout_controller")
    ctrl.saliency = fake_saliency
    ctrl.dock.show()
    yield ctrl
    window.worker.cancel_all()
    window.worker.wait(5000)


def click_check(qtbot, box):
    """Click a check box on its indicator (a click right of its text does not toggle it)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def _select(ctrl, qtbot):
    with qtbot.waitSignal(ctrl.subject_ready, timeout=10000):
        qtbot.mouseClick(ctrl.panel.select_button, Qt.MouseButton.LeftButton)


def _preview(ctrl, qtbot, action):
    with qtbot.waitSignal(ctrl.preview_ready, timeout=10000) as blocker:
        action()
    return blocker.args[0]


def test_select_subject_gives_a_soft_proposal_and_enter_accepts_it(window, cutout, qtbot):
    _select(cutout, qtbot)
    doc = window.current_document()
    prop = doc.proposal
    assert prop is not None and prop.alpha is not None
    x, y, w, h = prop.mask.bbox()
    assert (x, y, w, h) == (10, 10, 20, 20)  # the coloured square of the fixture image
    assert prop.alpha.shape == (h, w) and prop.alpha.dtype == np.float32
    assert ((prop.alpha > 0.05) & (prop.alpha < 0.95)).any()  # soft, not only binary
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    assert doc.proposal is None and len(doc) == 1
    assert doc.instances[0].mask.equals(prop.mask)


def test_preview_backgrounds_and_before_after_toggle(window, cutout, qtbot):
    _select(cutout, qtbot)
    res = _preview(cutout, qtbot, lambda: click_check(qtbot, cutout.panel.preview_check))
    layer = window.canvas.extra_layers.get("cutout-preview")
    assert layer is not None and res.layer is not None
    assert res.layer[0, 0, :3].tolist() in ([204] * 3, [153] * 3)  # checkerboard behind the lawn
    assert res.rgba[20, 20, 3] == 255 and res.rgba[50, 70, 3] == 0
    panel = cutout.panel
    res = _preview(cutout, qtbot, lambda: panel.set_background_color((0, 0, 255)))
    assert res.layer[55, 75, :3].tolist() == [0, 0, 255]
    res = _preview(cutout, qtbot, lambda: panel.bg_combo.setCurrentIndex(panel.bg_combo.findData("white")))
    assert res.layer[55, 75, :3].tolist() == [255, 255, 255]
    # "\" shows the original (before), again shows the cutout (after).
    window.activateWindow()
    cutout.actions["cutout_before_after"].trigger()
    assert not panel.preview_check.isChecked() and "cutout-preview" not in window.canvas.extra_layers
    _preview(cutout, qtbot, lambda: cutout.actions["cutout_before_after"].trigger())
    assert "cutout-preview" in window.canvas.extra_layers


def test_edge_controls_change_the_alpha(window, cutout, qtbot):
    _select(cutout, qtbot)
    base = _preview(cutout, qtbot, lambda: cutout.panel.preview_check.setChecked(True))
    grown = _preview(cutout, qtbot, lambda: cutout.panel.shift_spin.setValue(3))
    assert (grown.alpha > 0.5).sum() > (base.alpha > 0.5).sum()
    feathered = _preview(cutout, qtbot, lambda: cutout.panel.feather_spin.setValue(4))
    soft = lambda a: int(((a > 0.02) & (a < 0.98)).sum())  # noqa: E731
    assert soft(feathered.alpha) > soft(grown.alpha)


def test_refine_brush_strokes_mark_the_region_and_recompute(window, cutout, qtbot):
    _select(cutout, qtbot)
    _preview(cutout, qtbot, lambda: cutout.panel.preview_check.setChecked(True))
    qtbot.mouseClick(cutout.panel.refine_button, Qt.MouseButton.LeftButton)
    assert window.canvas.tool is cutout.tool and cutout.actions["cutout_refine"].isChecked()
    window.controller.options.brush_size = 6
    with qtbot.waitSignal(cutout.preview_ready, timeout=10000):
        drag(window.canvas, [(8, 20), (12, 20), (16, 20)])
    region = cutout.tool.region
    assert region is not None and region[20, 12] and not region[50, 70]
    assert "cutout-refine-region" in window.canvas.extra_layers
    assert len(window.current_document()) == 0  # the brush never edits the annotation
    # Right button removes from the region; Backspace takes a stroke back.
    with qtbot.waitSignal(cutout.preview_ready, timeout=10000):
        drag(window.canvas, [(12, 20), (12, 21)], Qt.MouseButton.RightButton)
    assert not cutout.tool.region[20, 12]
    with qtbot.waitSignal(cutout.preview_ready, timeout=10000):
        window.canvas.setFocus()
        qtbot.keyClick(window.canvas, Qt.Key.Key_Backspace)
    assert cutout.tool.region[20, 12]
    # Picking another tool leaves refine mode.
    window.set_tool("brush")
    assert not cutout.panel.refine_button.isChecked()


def test_export_writes_png_and_matte_exactly(window, cutout, qtbot, tmp_path):
    _select(cutout, qtbot)
    res = _preview(cutout, qtbot, lambda: cutout.panel.preview_check.setChecked(True))
    cutout.panel.matte_check.setChecked(True)
    qtbot.wait(300)  # let the settings change's preview land
    with qtbot.waitSignal(cutout.exported, timeout=10000) as blocker:
        cutout.export_to(tmp_path / "out.png")
    written = blocker.args[0]
    assert [p.name for p in written] == ["out.png", "out_matte.png"]
    res = cutout.result
    img = load_image(tmp_path / "out.png").data
    assert np.array_equal(img, res.rgba)
    matte = cv2.imread(str(tmp_path / "out_matte.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(matte, res.rgba[..., 3])


def test_batch_export_over_the_project_leaves_inputs_untouched(window, cutout, qtbot, project_dir, tmp_path):
    from segstudio.qt.cutout.batch_dialog import BatchDialog

    def digest():
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (project_dir / "img").iterdir()}

    before = digest()
    dlg = BatchDialog(cutout, window)
    qtbot.addWidget(dlg)
    assert dlg.project_radio.isChecked()
    dlg.out_edit.setText(str(tmp_path / "cut"))
    with qtbot.waitSignal(cutout.batch_done, timeout=20000) as blocker:
        qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    report = blocker.args[0]
    assert len(report.written) == 3 and not report.failed
    assert digest() == before
    assert dlg.progress.value() == 3 and "3 written" in dlg.status.text()
    out = load_image(tmp_path / "cut" / "im1.png").data
    assert out.shape == (60, 80, 4) and out[20, 20, 3] == 255 and out[50, 70, 3] == 0
    # Again: everything exists, so everything is skipped.
    with qtbot.waitSignal(cutout.batch_done, timeout=20000) as blocker:
        qtbot.mouseClick(dlg.start_button, Qt.MouseButton.LeftButton)
    assert len(blocker.args[0].skipped) == 3


def test_feature_is_discovered_and_installs_cleanly(window):
    from segstudio.qt.features import discover, install_all

    assert "cutout" in discover()
    assert install_all(window, ["cutout"]) == {"cutout": None}
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert "Background Removal" in titles
    assert "dock_cutout" in window.docks


def test_moving_to_another_image_forgets_the_subject_and_region(window, cutout, qtbot):
    _select(cutout, qtbot)
    _preview(cutout, qtbot, lambda: cutout.panel.preview_check.setChecked(True))
    cutout.tool.region[0:5, 0:5] = True
    first = window.current_image().id
    other = [r.id for r in window.project.images() if r.id != first][0]
    window.go_to_image(other)
    assert cutout.soft is None and not cutout.tool.has_region
    assert window.current_document().proposal is None
    # No subject on the new image: no preview layer, a hint instead.
    qtbot.waitUntil(lambda: "no subject" in cutout.panel.source_label.text().lower(), timeout=5000)
    assert "cutout-preview" not in window.canvas.extra_layers
