"""Main window (placeholder until the canvas lands): the project's image list and a preview."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QMainWindow, QSplitter

from segstudio.io.images import ImageLoadError, load_image
from segstudio.store import Project


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.project: Project | None = None
        self.setWindowTitle("SegStudio")
        self.image_list = QListWidget()
        self.preview = QLabel("Open a project or a folder of images")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        split = QSplitter()
        split.addWidget(self.image_list)
        split.addWidget(self.preview)
        split.setStretchFactor(1, 1)
        self.setCentralWidget(split)
        self.image_list.currentRowChanged.connect(self._show_row)
        self._records = []

    def open_project(self, root: Path) -> None:
        self.project = Project.open(root)
        self._records = self.project.images()
        self.image_list.clear()
        self.image_list.addItems([r.path for r in self._records])
        self.setWindowTitle(f"SegStudio - {root.name}")
        if self._records:
            self.image_list.setCurrentRow(0)

    def _show_row(self, row: int) -> None:
        if self.project is None or not (0 <= row < len(self._records)):
            return
        try:
            img = load_image(self.project.image_path(self._records[row]))
        except ImageLoadError as e:
            self.preview.setText(str(e))
            return
        rgb = img.rgb8()
        h, w, _ = rgb.shape
        qimg = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.preview.setPixmap(QPixmap.fromImage(qimg).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
