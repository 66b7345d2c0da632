"""Batch pre-label dialog: scope, resume, progress with rate and ETA, cancel.  The work runs on
the main inference thread with its own database connection (SQLite connections stay per
thread) and its own model instance; AI clicks run meanwhile on the worker's interactive lane,
and the batch waits before each image while one is computing (`ForegroundGate`)."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from segstudio.qt.workers import ForegroundGate

JOB = "assist-prelabel-batch"


class YieldingSegmenter:
    """An image segmenter that, before each image, lets running interactive jobs finish.

    Why here and not in the model: a network call cannot be paused, but starting the next
    image can wait, so with 2 cores a click shares the CPU with at most one batch image."""

    def __init__(self, model: Any, gate: ForegroundGate, max_wait: float = 5.0) -> None:
        self._model, self._gate, self._max_wait = model, gate, max_wait

    def _yield(self, cancel) -> None:
        self._gate.wait_clear(cancel, self._max_wait)
        if cancel is not None:
            cancel.check()

    def segment(self, rgb, cancel=None, progress=None):
        self._yield(cancel)
        return self._model.segment(rgb, cancel, progress)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._model, name)  # model_id, class names; AttributeError passes on
        if name != "segment_many":
            return attr

        def segment_many(images, cancel=None, progress=None):
            self._yield(cancel)
            return attr(images, cancel, progress)

        return segment_many


def batch_job(root: Path, card, scope: str, selected: list[int], resume: bool, cancel, progress,
              gate: ForegroundGate | None = None):
    from segstudio.inference import registry
    from segstudio.inference.prelabel import prelabel_project
    from segstudio.store import Project

    # a model instance of its own: never the one the click tools use on the other thread
    model = registry.load(card)
    if gate is not None:
        model = YieldingSegmenter(model, gate)
    with Project.open(root) as project:
        return prelabel_project(project, model, scope, selected, resume=resume,
                                background=card.background, cancel=cancel, progress=progress)


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class BatchPrelabelDialog(QDialog):
    def __init__(self, window, controller) -> None:
        super().__init__(window)
        self.setWindowTitle("Pre-label project")
        self.setObjectName("assist_batch_dialog")
        self.main_window, self.controller = window, controller
        self.job_id: int | None = None
        self._t0 = 0.0
        self._start_done = 0
        self._close_when_done = False
        self.model = QComboBox()
        for c in controller.image_cards():
            self.model.addItem(c.display_name, c.id)
        cur = controller.card
        if cur is not None and not cur.is_prompt:
            self.model.setCurrentIndex(max(0, self.model.findData(cur.id)))
        self.scopes = QButtonGroup(self)
        self.scope_buttons = {}
        for key, text in (("unlabelled", "Unlabelled images (status new, no instances)"),
                          ("all", "All images (model instances are replaced, manual ones kept)"),
                          ("selected", "Images shown in the image list (current filter)")):
            b = QRadioButton(text)
            b.setObjectName(f"scope_{key}")
            self.scopes.addButton(b)
            self.scope_buttons[key] = b
        self.scope_buttons["unlabelled"].setChecked(True)
        self.resume = QCheckBox("Resume an unfinished run of this model")
        self.resume.setChecked(True)
        self.bar = QProgressBar()
        self.info = QLabel("")
        self.info.setObjectName("batch_info")
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel run")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Image model"))
        lay.addWidget(self.model)
        for b in self.scope_buttons.values():
            lay.addWidget(b)
        lay.addWidget(self.resume)
        lay.addWidget(self.bar)
        lay.addWidget(self.info)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        lay.addLayout(row)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)
        w = window.worker
        w.progress.connect(self._on_progress)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        if self.model.count() == 0:
            self.start_button.setEnabled(False)
            self.info.setText("No image model is available")

    def scope(self) -> str:
        return next(k for k, b in self.scope_buttons.items() if b.isChecked())

    def start(self, close_when_done: bool = False) -> None:
        """Run the batch; `close_when_done`: a run nobody asked for (the sample's first
        opening) closes its dialog once it finished cleanly and says so in the status bar."""
        self._close_when_done = close_when_done
        project = self.main_window.project
        if project is None:
            self.info.setText("Open a project first")
            return
        card = next((c for c in self.controller.cards if c.id == self.model.currentData()), None)
        if card is None:
            return
        scope = self.scope()
        selected: list[int] = []
        if scope == "selected":
            panel = getattr(self.main_window, "images_panel", None)
            selected = panel.visible_ids() if panel is not None else []
            rec = self.main_window.current_image()
            if not selected and rec is not None:
                selected = [rec.id]
        self._t0 = time.perf_counter()
        self._start_done = -1
        self.bar.setRange(0, 0)
        self.info.setText(f"Loading {card.display_name}…")
        self.job_id = self.main_window.worker.submit(
            JOB, partial(batch_job, Path(project.root), card, scope, selected, self.resume.isChecked(),
                         gate=self.main_window.worker.gate))
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)

    def cancel(self) -> None:
        if self.job_id is not None:
            self.main_window.worker.cancel(self.job_id)
            self.info.setText("Cancelling… (finishes the current image; Start resumes later)")

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if job_id != self.job_id:
            return
        now = time.perf_counter()
        if self._start_done < 0:  # first report: how many a resumed run had already done
            self._start_done, self._t0 = done, now
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(done)
        new = done - self._start_done
        rate = new / (now - self._t0) if new > 0 and now > self._t0 else 0.0
        eta = format_eta((total - done) / rate) if rate > 0 else "…"
        self.info.setText(f"{done} / {total} images · {rate:.2f} images/s · ETA {eta}")

    def _finish(self, text: str) -> None:
        self.job_id = None
        self._close_when_done = False
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.info.setText(text)
        self.main_window.refresh_image_list()
        self.main_window.reload_document()

    def _on_finished(self, job_id: int, kind: str, rep) -> None:
        if job_id != self.job_id:
            return
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        msg = (f"Done: {rep.done} images, {rep.instances} instances in {rep.seconds:.1f} s "
               f"({rep.images_per_second:.2f} images/s)")
        if rep.cancelled:
            msg = f"Cancelled after {rep.done} images; Start resumes the run"
        if rep.errors:
            msg += f"; {len(rep.errors)} image(s) failed: {rep.errors[0]}"
        close = self._close_when_done and not rep.cancelled and not rep.errors
        self._finish(msg)
        if close:
            self.close()
            self.main_window.status(f"Sample pre-labelled: {rep.done} images, {rep.instances} instances "
                                    f"in {rep.seconds:.1f} s", 8000)

    def _on_failed(self, error) -> None:
        if error.job_id == self.job_id:
            self._finish(f"Error: {error.message}")

    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if job_id == self.job_id:
            self._finish("Cancelled; Start resumes the run")
