"""The Training panel (Train mode, under the canvas): choose a template and its
hyperparameters, train in a separate process with live loss / IoU curves, cancel, resume, then
pre-label the remaining images and jump to the least certain one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from segstudio.qt.training.controller import TrainingRunner
from segstudio.qt.training.curves import CurvePlot
from segstudio.qt.training.hparam_form import HyperParamForm
from segstudio.training.templates import TEMPLATES, get_template

STATUSES = ("done", "in_review", "in_progress", "prelabelled")


def _fmt_eta(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class TrainingPanel(QWidget):
    prelabel_requested = Signal(str)  # card path
    run_finished = Signal(object)  # final event

    def __init__(self, project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_panel")
        self.project = project
        self.runner = TrainingRunner(self)
        self.runner.event.connect(self._on_event)
        self.runner.finished.connect(self._on_finished)
        self.runner.running_changed.connect(self._update_buttons)
        self.last_card: str | None = None
        self._running_template: str | None = None
        self._build()
        self.refresh_project()

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        self.template_combo = QComboBox(objectName="template_combo")
        for t in TEMPLATES.values():
            self.template_combo.addItem(t.title, t.name)
        self.template_combo.currentIndexChanged.connect(self._template_changed)
        self.description = QLabel(wordWrap=True)
        lv.addWidget(QLabel("Template"))
        lv.addWidget(self.template_combo)
        lv.addWidget(self.description)
        row = QHBoxLayout()
        self.status_checks: dict[str, QCheckBox] = {}
        for s in STATUSES:
            cb = QCheckBox(s.replace("_", " "), objectName=f"status_{s}")
            cb.setChecked(s == "done")
            cb.toggled.connect(self._update_counts)
            self.status_checks[s] = cb
            row.addWidget(cb)
        lv.addWidget(QLabel("Train on images marked"))
        lv.addLayout(row)
        self.count_label = QLabel()
        lv.addWidget(self.count_label)
        lv.addWidget(QLabel("Categories"))
        self.category_list = QListWidget(objectName="category_list")
        self.category_list.setMaximumHeight(90)
        lv.addWidget(self.category_list)
        self.form = HyperParamForm()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        lv.addWidget(QLabel("Hyperparameters"))
        lv.addWidget(scroll, 1)

        right = QWidget()
        rv = QVBoxLayout(right)
        self.progress = QProgressBar(objectName="progress")
        self.progress_label = QLabel("idle", objectName="progress_label")
        self.loss_plot = CurvePlot("loss")
        self.loss_plot.add_series("train", "#e07020")
        self.loss_plot.add_series("val", "#2070e0")
        self.iou_plot = CurvePlot("validation IoU", (0.0, 1.0))
        self.iou_plot.add_series("mIoU", "#20a050")
        self.iou_plot.add_series("fg IoU", "#a020a0")
        # click runs: the NoC protocol's IoU after 1 and 3 clicks on the validation objects
        self.iou_plot.add_series("1 click", "#a020a0")
        self.iou_plot.add_series("3 clicks", "#20a050")
        self.log = QListWidget(objectName="log")
        self.log.setMaximumHeight(80)
        rv.addWidget(self.progress)
        rv.addWidget(self.progress_label)
        plots = QHBoxLayout()  # side by side: the panel is wide and short, under the canvas
        plots.addWidget(self.loss_plot, 1)
        plots.addWidget(self.iou_plot, 1)
        rv.addLayout(plots, 1)
        rv.addWidget(self.log)
        self.resume_combo = QComboBox(objectName="resume_combo")
        self.auto_prelabel = QCheckBox("Pre-label the remaining images when done", objectName="auto_prelabel")
        self.auto_prelabel.setChecked(True)
        rv.addWidget(self.auto_prelabel)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start", objectName="start_button")
        self.cancel_button = QPushButton("Cancel Training", objectName="cancel_button")
        self.resume_button = QPushButton("Resume", objectName="resume_button")
        self.prelabel_button = QPushButton("Pre-label Remaining", objectName="prelabel_button")
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.resume_button.clicked.connect(self.resume)
        self.prelabel_button.clicked.connect(lambda: self.last_card and self.prelabel_requested.emit(self.last_card))
        for w in (self.start_button, self.cancel_button, QLabel("run:"), self.resume_combo,
                  self.resume_button, self.prelabel_button):
            buttons.addWidget(w)
        buttons.addStretch(1)
        main = QVBoxLayout(self)
        main.addLayout(buttons)  # on top: Start stays in view when the panel is short
        main.addWidget(split, 1)
        self._template_changed()

    # ----------------------------------------------------------------- state
    def refresh_project(self, project=None) -> None:
        if project is not None:
            self.project = project
        self.category_list.clear()
        self.resume_combo.clear()
        if self.project is None:
            self._update_buttons()
            return
        for c in self.project.categories():
            item = QListWidgetItem(c.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.category_list.addItem(item)
        from segstudio.training.runs import list_runs

        for r in list_runs(self.project):
            if r.resumable:
                self.resume_combo.addItem(f"{r.id} ({r.template}, {r.status}, {len(r.metrics)} ep)", r.id)
        self._update_counts()
        self._update_buttons()

    def _template_changed(self) -> None:
        t = get_template(self.template_combo.currentData())
        self.description.setText(t.description)
        self.form.set_template(t)
        # a click model answers clicks in AI Assist: there is nothing to pre-label with it
        self.auto_prelabel.setEnabled(t.mode != "click")

    def _statuses(self) -> list[str]:
        return [s for s, cb in self.status_checks.items() if cb.isChecked()]

    def _categories(self) -> list[str] | None:
        names = [self.category_list.item(i).text() for i in range(self.category_list.count())
                 if self.category_list.item(i).checkState() == Qt.CheckState.Checked]
        return None if len(names) == self.category_list.count() else names

    def _update_counts(self) -> None:
        if self.project is None:
            return
        counts = self.project.counts_by_status()
        n = sum(counts.get(s, 0) for s in self._statuses())
        self.count_label.setText(f"{n} image(s) selected")

    def _update_buttons(self, *_: Any) -> None:
        busy = self.runner.running
        has_project = self.project is not None
        self.start_button.setEnabled(has_project and not busy)
        self.cancel_button.setEnabled(busy)
        self.resume_button.setEnabled(has_project and not busy and self.resume_combo.count() > 0)
        self.prelabel_button.setEnabled(not busy and self.last_card is not None)
        self.template_combo.setEnabled(not busy)
        self.form.setEnabled(not busy)

    def _say(self, text: str) -> None:
        self.log.addItem(text)
        self.log.scrollToBottom()

    # ----------------------------------------------------------------- actions
    def start(self) -> int | None:
        from segstudio.training.data import DataError
        from segstudio.training.hparams import HyperParamError
        from segstudio.training.runner import start_run

        try:
            run_id = start_run(self.project, self.template_combo.currentData(), self.form.values(),
                               statuses=self._statuses(), categories=self._categories())
        except (DataError, HyperParamError, ValueError) as e:
            QMessageBox.warning(self, "Cannot start training", str(e))
            return None
        self._reset_curves()
        self._running_template = self.template_combo.currentData()
        self._say(f"run {run_id} started")
        self.runner.start(self.project.root, run_id)
        return run_id

    def resume(self) -> None:
        run_id = self.resume_combo.currentData()
        if run_id is None:
            return
        from segstudio.training.runs import get_run

        self._reset_curves()
        record = get_run(self.project, run_id)
        self._running_template = record.template
        for m in record.metrics:
            self._plot_epoch(m)
        self._say(f"run {run_id} resumed")
        self.runner.start(self.project.root, run_id, resume=True)

    def _reset_curves(self) -> None:
        self.loss_plot.clear()
        self.iou_plot.clear()
        self.progress.setValue(0)

    def _plot_epoch(self, e: dict) -> None:
        self.loss_plot.append("train", e["epoch"], e.get("train_loss"))
        self.loss_plot.append("val", e["epoch"], e.get("val_loss"))
        if "val_noc90" in e:
            self.iou_plot.append("1 click", e["epoch"], e.get("val_miou1"))
            self.iou_plot.append("3 clicks", e["epoch"], e.get("val_miou3"))
            return
        self.iou_plot.append("mIoU", e["epoch"], e.get("val_miou"))
        self.iou_plot.append("fg IoU", e["epoch"], e.get("val_fg_iou"))

    def _on_event(self, e: dict) -> None:
        kind = e["type"]
        if kind == "start":
            self._total = e["epochs"] * e["steps_per_epoch"]
            self.progress.setMaximum(max(1, self._total))
            self._say(f"{e['train_images']} training / {e['val_images']} validation images on {e['device']}")
        elif kind == "step":
            done = (e["epoch"] - 1) * e["steps"] + e["step"]
            self.progress.setValue(done)
            self.progress_label.setText(
                f"epoch {e['epoch']}  step {e['step']}/{e['steps']}  loss {e['loss']:.4f}  "
                f"{e['images_per_s']:.1f} img/s  ETA {_fmt_eta(e['eta_s'])}")
        elif kind == "epoch":
            self._plot_epoch(e)
            miou = e.get("val_miou")
            if e.get("val_noc90") is not None:
                val = (f", val NoC@90 {e['val_noc90']:.2f}, IoU after 1 / 3 clicks "
                       f"{e['val_miou1']:.3f} / {e['val_miou3']:.3f}")
            else:
                val = f", val mIoU {miou:.3f}" if miou is not None else ""
            self._say(f"epoch {e['epoch']}: loss {e['train_loss']:.4f}{val}")
        elif kind in ("warning", "early_stop", "resumed"):
            self._say(f"{kind}: {e.get('message', '')}{e.get('epoch', '')}")

    def _on_finished(self, e: dict) -> None:
        if e["type"] == "error":
            self._say(f"failed: {e['message']}")
            self.progress_label.setText("failed")
            QMessageBox.warning(self, "Training failed", e["message"])
        else:
            status = e["status"]
            self._say(f"run {e['run_id']} {status}")
            self.progress_label.setText(status)
            if status != "cancelled":
                self.last_card = e.get("card")
                self.progress.setValue(self.progress.maximum())
        self.refresh_project()
        self.run_finished.emit(e)
        if self._running_template == "click":
            if e.get("type") == "finished" and e.get("status") != "cancelled":
                self._say("the fine-tuned click model is in AI Assist's click models")
            return
        if e.get("type") == "finished" and e.get("status") != "cancelled" and self.auto_prelabel.isChecked() and self.last_card:
            self.prelabel_requested.emit(self.last_card)
