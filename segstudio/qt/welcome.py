"""Welcome view, shown when no project is open: open folder / project / sample, recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from segstudio.store.location import is_database_url


class WelcomeView(QWidget):
    open_folder = Signal()
    open_project = Signal()
    open_sample = Signal()
    open_recent = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("SegStudio")
        title.setStyleSheet("font-size: 28pt; font-weight: 600;")
        sub = QLabel("Pixel-accurate image segmentation: annotate, pre-label, correct, review, export.")
        sub.setStyleSheet("color: palette(mid); font-size: 11pt;")
        sub.setWordWrap(True)  # was clipped in a narrow window
        col = QVBoxLayout()
        col.setSpacing(10)
        col.addWidget(title)
        col.addWidget(sub)
        col.addSpacing(18)
        for text, sig in (
            ("Open a folder of images…", self.open_folder),
            ("Open a project…", self.open_project),
            ("Open the sample project", self.open_sample),
        ):
            b = QPushButton(text)
            b.setMinimumHeight(36)
            b.clicked.connect(sig)
            col.addWidget(b)
        col.addSpacing(18)
        col.addWidget(QLabel("Recent projects"))
        self.recent = QListWidget()
        self.recent.setMaximumHeight(220)
        self.recent.itemActivated.connect(lambda it: self.open_recent.emit(it.data(Qt.ItemDataRole.UserRole)))
        self.recent.itemDoubleClicked.connect(lambda it: self.open_recent.emit(it.data(Qt.ItemDataRole.UserRole)))
        col.addWidget(self.recent)
        box = QWidget()
        box.setLayout(col)
        box.setMaximumWidth(560)  # up to 560 px wide, narrower only when the window is
        box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 4)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        for p in paths:
            shared = is_database_url(p)  # a shared project: its server is asked when opened
            item = QListWidgetItem(f"{p.rsplit('/', 1)[-1].split('?')[0] if shared else Path(p).name}  —  {p}")
            item.setData(Qt.ItemDataRole.UserRole, p)
            if not shared and not Path(p).exists():
                item.setToolTip("missing")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.recent.addItem(item)
