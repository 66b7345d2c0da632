"""Batch Export dialog: the project's images or a folder, to an output folder, with progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from segstudio.cutout.batch import folder_jobs, project_jobs
from segstudio.qt import file_dialogs


def _path_row(edit: QLineEdit, browse) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    b = QPushButton("Browse…")
    b.clicked.connect(browse)
    lay.addWidget(b)
    return w


class BatchDialog(QDialog):
    """Runs `controller.run_batch` and shows its progress; Cancel stops it between images."""

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch Background Removal")
        self.controller = controller
        project = controller.window.project
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.project_radio = QRadioButton("Images of the open project")
        self.folder_radio = QRadioButton("A folder of images")
        self.project_radio.setEnabled(project is not None)
        (self.project_radio if project is not None else self.folder_radio).setChecked(True)
        self.folder_edit = QLineEdit()
        self.out_edit = QLineEdit(str(project.root / "cutouts") if project is not None else "")
        self.masks_combo = QComboBox()
        self.masks_combo.addItem("Annotations where present, else the model", "auto")
        self.masks_combo.addItem("The model's subject", "model")
        self.masks_combo.addItem("Annotations only", "annotations")
        self.replace_check = QCheckBox("Replace existing outputs (inputs are never overwritten)")
        form.addRow(self.project_radio)
        form.addRow(self.folder_radio, _path_row(self.folder_edit, self._browse_folder))
        form.addRow("Output folder", _path_row(self.out_edit, self._browse_out))
        form.addRow("Subject", self.masks_combo)
        form.addRow(self.replace_check)
        lay.addLayout(form)
        lay.addWidget(QLabel("Edge, decontamination, format, crop and matte follow the panel's settings."))
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = self.buttons.addButton("Cancel Batch", QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(controller.cancel_batch)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        controller.batch_progress.connect(self._on_progress)
        controller.batch_done.connect(self._on_done)
        self.running = False

    def _browse_folder(self) -> None:
        d = file_dialogs.choose_folder(self, "cutout_source", "Images to cut out")
        if d:
            self.folder_edit.setText(d)
            self.folder_radio.setChecked(True)

    def _browse_out(self) -> None:
        d = file_dialogs.choose_folder(self, "cutout_output", "Output folder")
        if d:
            self.out_edit.setText(d)

    def start(self) -> bool:
        if self.running:
            return False
        out = self.out_edit.text().strip()
        if not out:
            self.status.setText("Choose an output folder.")
            return False
        settings = self.controller.panel.settings()
        dst = Path(out)
        project = self.controller.window.project
        try:
            if self.project_radio.isChecked() and project is not None:
                jobs = project_jobs(project, dst, settings)
                root = project.root
            else:
                src = Path(self.folder_edit.text().strip())
                if not src.is_dir():
                    self.status.setText(f"{src}: not a folder")
                    return False
                jobs, root = folder_jobs(src, dst, settings), None
        except OSError as e:
            self.status.setText(str(e))
            return False
        if not jobs:
            self.status.setText("No images to process.")
            return False
        self.running = True
        self.progress.setRange(0, len(jobs))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Processing {len(jobs)} images…")
        self.controller.run_batch(jobs, self.masks_combo.currentData(), self.replace_check.isChecked(), root)
        return True

    def _on_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if message:
            self.status.setText(f"{done}/{total}: {message}")

    def _on_done(self, report) -> None:
        if not self.running:
            return
        self.running = False
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if report is None:
            self.status.setText("Stopped.")
            return
        lines = [report.summary()] + [msg for _, msg in report.failed[:5]]
        if len(report.failed) > 5:
            lines.append(f"… and {len(report.failed) - 5} more")
        self.status.setText("\n".join(lines))

    def reject(self) -> None:
        if self.running:
            self.controller.cancel_batch()
        super().reject()
