"""Model ▸ Get Models…: the download catalogue with size, licence, speed and an Install /
Remove button per model; progress in bytes with rate and ETA, Cancel (the partial file is kept
and the next Install resumes it).  The download runs on a plain thread (network I/O, no model
work) and reports through a queued signal; installing reloads the model list and makes the new
model the click model."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from segstudio.core.tasks import Cancelled, CancelToken

COLUMNS = ("Model", "Download", "Licence", "Speed (2 cores)", "Prompts", "")


class _Relay(QObject):
    progress = Signal(int, int, str)
    done = Signal(str, str)  # model id, error message ("" = installed, "cancelled")


class GetModelsDialog(QDialog):
    installed = Signal(str)  # model id

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get Models")
        self.setObjectName("get_models_dialog")
        self.resize(820, 420)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("catalogue_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.status = QLabel("")
        self.status.setObjectName("get_models_status")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setVisible(False)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        close.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        bottom = QHBoxLayout()
        bottom.addWidget(self.bar, 1)
        bottom.addStretch(0)
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.note)
        lay.addWidget(self.status)
        lay.addLayout(bottom)
        self._relay = _Relay()
        self._relay.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._token: CancelToken | None = None
        self._thread: threading.Thread | None = None
        self.buttons: dict[str, QPushButton] = {}
        self.entries: list = []
        self.refresh()

    # ------------------------------------------------------------ table
    def refresh(self) -> None:
        from segstudio.inference.base import ModelError
        from segstudio.inference.catalogue import load_catalogue
        from segstudio.inference.download import human_bytes, mirror_base
        from segstudio.inference.install import models_root, state

        try:
            cat = load_catalogue()
        except ModelError as exc:
            self.status.setText(str(exc))
            return
        self.entries = cat.entries
        self.table.setRowCount(len(cat.entries))
        self.buttons.clear()
        busy = self._thread is not None
        for row, e in enumerate(cat.entries):
            st = state(e)
            size = ("" if e.sizes_exact else "~") + human_bytes(e.download_bytes)
            speed = "?" if e.encoder_s is None else (
                f"{'~' if e.cost_basis == 'estimate' else ''}{e.encoder_s:g} s/image, {e.click_ms:g} ms/click")
            cells = (e.name, size, e.licence, speed, ", ".join(e.prompts))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setToolTip(f"{e.id}\n{e.source_page}\n{e.export}")
                self.table.setItem(row, col, item)
            label = "Remove" if st.installed else ("Resume" if st.partial_bytes else "Install")
            button = QPushButton(label)
            button.setObjectName(f"install_{e.id}")
            button.setEnabled(not busy)
            button.clicked.connect(lambda _c=False, mid=e.id, rm=st.installed: self._act(mid, rm))
            self.table.setCellWidget(row, len(COLUMNS) - 1, button)
            self.buttons[e.id] = button
        mirror = mirror_base()
        self.note.setText(
            f"Files go to {models_root()}. Speeds marked ~ are estimates. "
            + (f"Mirror: {mirror}. " if mirror else "")
            + "Nothing is downloaded until you press Install."
            + ("" if not cat.problems else "\nCatalogue problems: " + "; ".join(cat.problems)))

    # ------------------------------------------------------------ actions
    def _act(self, model_id: str, remove: bool) -> None:
        if remove:
            from segstudio.inference.base import ModelError
            from segstudio.inference.install import remove as remove_model

            try:
                remove_model(model_id)
                self.status.setText(f"{model_id} removed")
            except (ModelError, OSError) as exc:
                self.status.setText(str(exc))
            self.installed.emit("")  # the model list changed
            self.refresh()
            return
        self.install(model_id)

    def install(self, model_id: str) -> None:
        if self._thread is not None:
            return
        entry = next(e for e in self.entries if e.id == model_id)
        self._token = CancelToken()
        for b in self.buttons.values():
            b.setEnabled(False)
        self.bar.setVisible(True)
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.cancel_button.setVisible(True)
        self.status.setText(f"Downloading {entry.name}…")
        self._thread = threading.Thread(target=self._run, args=(entry, self._token), daemon=True,
                                        name=f"download-{model_id}")
        self._thread.start()

    def _run(self, entry, token: CancelToken) -> None:
        from segstudio.inference.base import ModelError
        from segstudio.inference.install import pull

        try:
            pull(entry, progress=lambda d, t, m: self._relay.progress.emit(d, t, m), cancel=token)
            self._relay.done.emit(entry.id, "")
        except Cancelled:
            self._relay.done.emit(entry.id, "cancelled")
        except (ModelError, OSError) as exc:
            self._relay.done.emit(entry.id, str(exc))

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def busy(self) -> bool:
        return self._thread is not None

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.bar.setValue(int(1000 * min(1.0, done / total)))
        self.status.setText(message)

    def _on_done(self, model_id: str, error: str) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread, self._token = None, None
        self.bar.setVisible(False)
        self.cancel_button.setVisible(False)
        if error == "cancelled":
            self.status.setText(f"{model_id}: download cancelled; Resume continues where it stopped")
        elif error:
            self.status.setText(error)
        else:
            self.status.setText(f"{model_id} installed and chosen as the click model")
            self.installed.emit(model_id)
        self.refresh()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.cancel()  # a download stops when the dialog closes; the partial file is kept
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        super().closeEvent(event)
