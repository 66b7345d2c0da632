"""Review views: difference colours, split view with its draggable divider, per-set visibility and
opacity, the dashboard and its export, importing predictions from the GUI."""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from segstudio.eval import review_layers as layers
from tests.qt.test_review_flow import box, key, review, review_project  # noqa: F401  (fixtures)


def test_difference_view_colours_every_disagreement(review_project, window, qtbot, review):  # noqa: F811
    c = review.controller
    assert "review_pred" in window.canvas.extra_layers and c.mode == "overlay"
    key(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)
    assert c.mode == "difference" and review.panel.mode_buttons.checkedId() == 1
    assert "review_diff" in window.canvas.extra_layers and "review_pred" not in window.canvas.extra_layers
    counts = layers.difference_counts(c.shown_layers["review_diff"])
    # gt 20x20 at x 10..30, pred shifted 2 px right; a 15x20 false positive elsewhere
    assert counts == {"agree": 360, "fp": 40 + 300, "fn": 40, "confused": 0}
    assert not window.canvas.overlay_visible  # the difference replaces the plain overlay


def test_split_view_and_divider_drag(review_project, window, qtbot, review):  # noqa: F811
    c = review.controller
    c.set_mode("split")
    assert "review_split" in window.canvas.extra_layers
    div = review.divider
    assert div.isVisible() and c.split_x == 40.0
    vp = window.canvas.viewport()
    start = div.geometry().center()
    target = window.canvas.image_to_view(20, 30).toPoint()
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, target, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, target, Qt.MouseButton.NoButton)):
        local = div.mapFrom(vp, pos)
        ev = QMouseEvent(kind, QPointF(local), QPointF(div.mapToGlobal(local)), Qt.MouseButton.LeftButton, buttons,
                         Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(div, ev)
    assert abs(c.split_x - 20) < 1.0
    assert abs(div.geometry().center().x() - target.x()) <= 2
    # left of the divider shows the ground truth, right of it the prediction
    split = c.shown_layers["review_split"]
    # the ground truth (x 10..29) shows left of x=20, the prediction (x 12..31) right of it
    assert split[20, 10, 3] > 0 and split[20, 31, 3] > 0 and split[20, 20].tolist() == [255, 255, 255, 255]
    c.set_split(35)
    split = c.shown_layers["review_split"]
    assert split[20, 31, 3] == 0 and split[20, 10, 3] > 0  # now x=31 is on the ground-truth side
    key(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ShiftModifier)  # back to overlay: divider hidden
    assert c.mode == "overlay" and not div.isVisible()


def test_visibility_and_opacity_per_set(review_project, window, qtbot, review):  # noqa: F811
    c, panel = review.controller, review.panel
    key(qtbot, window, Qt.Key.Key_O)
    assert not c.pred_visible and "review_pred" not in window.canvas.extra_layers
    assert not panel.pred_visible.isChecked()
    panel.pred_visible.setChecked(True)
    assert "review_pred" in window.canvas.extra_layers
    panel.pred_opacity.setValue(30)
    assert c.pred_opacity == 0.3 and window.canvas.extra_layers["review_pred"].opacity() == 0.3
    panel.gt_opacity.setValue(70)
    assert window.canvas.opacity == 0.7
    panel.gt_visible.setChecked(False)
    assert not window.canvas.overlay_visible
    panel.gt_visible.setChecked(True)
    assert window.canvas.overlay_visible


def test_dashboard_and_export(review_project, window, qtbot, review, tmp_path):  # noqa: F811
    review.show_dashboard()
    d = review.dashboard
    assert review.dashboard_dock.isVisible() and d.classes.rowCount() == 2
    assert d.iou_bars.labels == ["cat", "dog"] and d.heatmap.labels == ["background", "cat", "dog"]
    assert d.histogram.counts.sum() == 4  # four predictions with scores
    d.grab()  # paints every chart without error
    hm = d.heatmap
    left, top, cell = hm._geometry(hm.rect().adjusted(6, 24, -6, -6).toRectF())
    i, j = hm.cell_at(left + 2.5 * cell, top + 1.5 * cell)
    assert (i, j) == (1, 2) and hm.cell_text(i, j).startswith("cat → dog: 0 px")
    assert hm.cell_text(1, 1) == f"cat → cat: {int(hm.matrix[1, 1])} px ({hm.matrix[1, 1] / hm.matrix[1].sum():.1%} of cat)"
    out = d.export("html", str(tmp_path / "r.html"))
    assert out and (tmp_path / "r.html").read_text().count("<svg") >= 4
    d.export("csv", str(tmp_path / "r.csv"))
    assert (tmp_path / "r.csv").read_text().startswith("scope,")


def test_import_predictions_from_the_gui(review_project, window, qtbot, tmp_path):  # noqa: F811
    from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

    from segstudio.core import rle
    from segstudio.qt.features import review as feature_module
    from segstudio.qt.review.import_dialog import ImportPredictionsDialog

    feature = feature_module.install(window)
    root, (im0, _, _), (cat, _) = review_project
    res = [{"image_id": im0, "category_id": cat, "score": 0.7, "segmentation": rle.patch_to_image_rle(box(0, 0, 5, 5))}]
    (tmp_path / "r.json").write_text(json.dumps(res))
    dialog = ImportPredictionsDialog(window, window.project.label_sets())
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.path, str(tmp_path / "r.json"))
    assert dialog.name.text() == "r" and ok.isEnabled()
    dialog.name.setText("gt")
    assert not ok.isEnabled()  # never into the ground truth
    dialog.name.setText("second")
    options = dialog.options()
    assert options["fmt"] is None and options["overwrite"] is False and options["mask_mode"] == "instance"
    assert feature.import_predictions(options)
    assert feature.panel.pred_combo.currentText() == "second" and feature.dock.isVisible()
    assert len(window.project.load_instances(im0, 0, "second")) == 1
    (tmp_path / "bad.json").write_text("{")
    shown = []
    orig = QMessageBox.warning
    QMessageBox.warning = staticmethod(lambda *a, **k: shown.append(a[2]))
    try:
        assert not feature.import_predictions({"source": str(tmp_path / "bad.json"), "name": "third"})
    finally:
        QMessageBox.warning = orig
    assert shown and "bad.json" in shown[0]


def test_closing_in_split_view_restores_the_ground_truth_overlay(review_project, window, qtbot, review):  # noqa: F811
    review.controller.set_mode("split")
    assert not window.canvas.overlay_visible
    window.close()
    assert window.canvas.overlay_visible and not review.controller.active


def test_pixel_metrics_follow_edits_in_the_background(review_project, window, qtbot, review):  # noqa: F811
    c = review.controller
    qtbot.waitUntil(lambda: c.pixel_eval is not None)
    cat = next(iter(c.pixel_eval.class_iou))
    assert c.pixel_eval.class_iou[cat] == 360 / 440  # 20x20 squares 2 px apart
    assert c.pixel_eval.iou == (360 / 440 + 0.0) / 2  # mean over cat and the false-positive dog
    assert f"IoU {c.pixel_eval.iou:.2f}" in review.panel.metrics.text()
    c.select_item(1)
    key(qtbot, window, Qt.Key.Key_Y)  # accept the match: the masks become equal
    qtbot.waitUntil(lambda: c.pixel_eval is not None and c.pixel_eval.class_iou[cat] == 1.0)
    assert "IoU 0.50" in review.panel.metrics.text()
