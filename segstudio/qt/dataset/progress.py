"""A modal progress dialog for one dataset job on the window's I/O worker, then its report.

The job is a Qt-free callable `fn(cancel, progress) -> report`; Cancel sets its token (imports
roll back, exports leave nothing), errors are shown as one friendly line with details on demand.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)


class TaskDialog(QDialog):
    done_with = Signal(object)  # the report, after success

    def __init__(self, worker, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataset_task_dialog")
        self.setWindowTitle(title)
        self.worker = worker
        self.job_id: int | None = None
        self.report = None
        self.error: str | None = None
        self.label = QLabel("Starting…")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("dataset_report")
        self.text.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        for w in (self.label, self.bar, self.text, self.buttons):
            lay.addWidget(w)
        self.resize(560, 200)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    def start(self, fn) -> int:
        self.job_id = self.worker.submit("dataset", fn)
        return self.job_id

    @property
    def running(self) -> bool:
        return self.job_id is not None and self.report is None and self.error is None

    def _mine(self, job_id: int) -> bool:
        return job_id == self.job_id

    def _on_progress(self, job_id, kind, done, total, message) -> None:
        if not self._mine(job_id):
            return
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        self.label.setText(message or "Working…")

    def _on_finished(self, job_id, kind, result) -> None:
        if not self._mine(job_id):
            return
        self.report = result
        self._show_text(result.text() if hasattr(result, "text") else str(result), "Done")
        self.done_with.emit(result)

    def _on_failed(self, error) -> None:
        if not self._mine(error.job_id):
            return
        self.error = error.message
        self._show_text(f"{error.message}\n\nNothing was written.", "Failed")

    def _on_cancelled(self, job_id, kind) -> None:
        if not self._mine(job_id):
            return
        self.error = "cancelled"
        self._show_text("Cancelled. Nothing was written.", "Cancelled")

    def _show_text(self, text: str, label: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.label.setText(label)
        self.text.setPlainText(text)
        self.text.show()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.resize(640, 420)

    def reject(self) -> None:
        """Cancel (Esc / Cancel) while running -- the dialog stays until the job has stopped."""
        if self.running and self.job_id is not None:
            self.worker.cancel(self.job_id)
            self.label.setText("Cancelling…")
            return
        super().reject()

    def done(self, r: int) -> None:
        for sig, slot in ((self.worker.progress, self._on_progress), (self.worker.finished, self._on_finished),
                          (self.worker.failed, self._on_failed), (self.worker.cancelled, self._on_cancelled)):
            with contextlib.suppress(RuntimeError, TypeError):
                sig.disconnect(slot)
        super().done(r)
