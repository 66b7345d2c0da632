"""Review mode feature: the Review menu, its keyboard path, the Review dock and the dashboard.

Keyboard path (no mouse needed): G next image of the queue (Shift+G back), J / Shift+J next /
previous disagreement of the image, Y accept the prediction into the ground truth, U reject
it, Shift+Enter image OK and next, Shift+N needs fix and next, Shift+O cycle overlay /
difference / split, O show or hide the prediction.  Ctrl+Z undoes accept and reject like any edit.
Arriving on an image selects its first disagreement; accept and reject move on to the next.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from segstudio.qt.actions import feature_action
from segstudio.qt.review.controller import ReviewController
from segstudio.qt.review.dashboard import Dashboard
from segstudio.qt.review.divider import SplitDivider
from segstudio.qt.review.panel import ReviewPanel

# key, menu text, shortcut, slot name on the installer (needs an active review?)
ACTIONS = (
    ("review_mode", "&Review Mode…", "Ctrl+Shift+R", "show_panel", False),
    ("import_predictions", "&Import Predictions as a Label Set…", "", "import_predictions", False),
    ("dashboard", "&Dashboard", "Ctrl+Shift+D", "show_dashboard", True),
    ("export_report", "&Export HTML Report…", "", "export_report", True),
    (None, None, None, None, None),
    ("accept", "&Accept Prediction", "Y", "accept", True),
    ("reject", "Re&ject Prediction", "U", "reject", True),
    ("next_item", "Next &Disagreement", "J", "next_item", True),
    ("prev_item", "Previous Disa&greement", "Shift+J", "prev_item", True),
    ("next_image", "&Next Image in Queue", "G", "next_image", True),
    ("prev_image", "&Previous Image in Queue", "Shift+G", "prev_image", True),
    ("image_ok", "Image &OK and Next", "Shift+Return", "image_ok", True),
    ("needs_fix", "Image Needs &Fix and Next", "Shift+N", "needs_fix", True),
    ("to_review", "Mark Image &To Review", "", "to_review", True),
    (None, None, None, None, None),
    ("cycle_view", "&Cycle View (overlay / difference / split)", "Shift+O", "cycle_view", True),
    ("toggle_pred", "Show &Prediction", "O", "toggle_pred", True),
)


class ReviewFeature(QObject):
    """Owned by the window (Qt parent), found with `window.findChild(QObject, "review_feature")`."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("review_feature")
        self.window = window
        self.controller = ReviewController(window)
        self.controller.setObjectName("review_controller")
        self.panel = ReviewPanel(self.controller)
        self.dock = window.add_dock(self.panel, "Review", object_name="dock_review", modes={"review": "right"})
        self.dashboard = Dashboard()
        self.dashboard_dock = window.add_dock(
            self.dashboard, "Review Dashboard", Qt.DockWidgetArea.BottomDockWidgetArea, "dock_review_dashboard",
            modes={"review": "right"},
        )
        self.divider = SplitDivider(window.canvas)
        self.divider.moved.connect(self.controller.set_split)
        self.actions: dict[str, QAction] = {}
        menu = window.menu("Review")
        for key, text, shortcut, slot, needs_active in ACTIONS:
            if key is None:
                menu.addSeparator()
                continue
            act = feature_action(window, f"review_{key}", text, [shortcut], getattr(self, slot), menu=menu)
            act.setProperty("needs_active", needs_active)
            self.actions[key] = act
        self.actions["toggle_pred"].setCheckable(True)
        self.actions["toggle_pred"].setChecked(True)
        self.panel.import_button.clicked.connect(lambda: self.import_predictions())
        c = self.controller
        c.result_ready.connect(self._on_result)
        c.queue_changed.connect(self._update_enabled)
        c.view_changed.connect(self._on_view_changed)
        window.installEventFilter(self)
        self._update_enabled()

    def eventFilter(self, obj, event) -> bool:
        # Leave review mode before the window saves its settings, so the ground-truth overlay
        # that the difference and split views hide is never remembered as hidden.
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.controller.stop()
            self.controller.worker.shutdown()
        return False

    # ------------------------------------------------------------ slots
    def _update_enabled(self) -> None:
        active = self.controller.active
        for act in self.actions.values():
            if act.property("needs_active"):
                act.setEnabled(active)
        if not active:
            self.divider.hide()

    def _on_result(self, result) -> None:
        self.dashboard.set_result(result)
        self._update_enabled()
        self.window.status(f"Review: {len(result.images)} images compared; G steps through the queue")

    def _on_view_changed(self) -> None:
        c = self.controller
        shape = self.window.canvas.image_shape()
        if c.active and c.mode == "split" and shape is not None:
            if c.split_x is None:
                c.split_x = shape[1] / 2
            self.divider.set_image_x(c.split_x)
            self.divider.show()
        else:
            self.divider.hide()
        self.actions["toggle_pred"].setChecked(c.pred_visible)

    def show_panel(self) -> None:
        self.panel.refresh_sets()
        self.window.show_dock(self.dock)

    def show_dashboard(self) -> None:
        self.window.show_dock(self.dashboard_dock)

    def export_report(self) -> None:
        self.dashboard._export("html")

    def import_predictions(self, options: dict | None = None) -> bool:
        """Import predictions as a label set: from `options` (the keyword arguments of
        `import_predictions`), or asked with the import dialog."""
        project = self.window.project
        if project is None:
            return False
        if options is None:
            from segstudio.qt.review.import_dialog import ImportPredictionsDialog

            dialog = ImportPredictionsDialog(self.window, project.label_sets())
            if dialog.exec() != ImportPredictionsDialog.DialogCode.Accepted:
                return False
            options = dialog.options()
        from segstudio.eval.predictions import import_predictions

        opts = dict(options)
        try:
            s = import_predictions(project, opts.pop("source"), opts.pop("name"), **opts)
        except ValueError as e:  # FormatError is a ValueError: file and place in the message
            QMessageBox.warning(self.window, "Import predictions", str(e))
            return False
        self.panel.refresh_sets()
        self.panel.pred_combo.setCurrentText(s.label_set)
        self.show_panel()
        self.window.status(f"Imported {s.instances} predictions on {s.images} images as '{s.label_set}'"
                           + (f" ({len(s.skipped)} skipped)" if s.skipped else ""), 8000)
        return True

    def accept(self) -> None:
        self.controller.accept_current()

    def reject(self) -> None:
        self.controller.reject_current()

    def next_item(self) -> None:
        self.controller.next_item(1)

    def prev_item(self) -> None:
        self.controller.next_item(-1)

    def next_image(self) -> None:
        self.controller.go_queue(1)

    def prev_image(self) -> None:
        self.controller.go_queue(-1)

    def image_ok(self) -> None:
        self.controller.set_status("accepted")

    def needs_fix(self) -> None:
        self.controller.set_status("needs_fix")

    def to_review(self) -> None:
        self.controller.set_status("to_review", advance=False)

    def cycle_view(self) -> None:
        self.controller.cycle_mode()

    def toggle_pred(self) -> None:
        self.controller.set_visibility(pred=not self.controller.pred_visible)


def install(window) -> ReviewFeature:
    return ReviewFeature(window)
