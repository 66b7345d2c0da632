"""Dialog: import predictions (COCO results file, LabelMe folder, mask PNG folder) as a label set."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from segstudio.qt import file_dialogs

FORMATS = (("Detect from the path", None), ("COCO results (.json)", "coco"), ("LabelMe folder", "labelme"),
           ("Folder of mask PNGs", "masks"))
MASK_MODES = (("Instance ids (each value one object)", "instance"), ("Class ids (value v = v-th category)", "semantic"),
              ("One binary PNG per object", "binary"))


class ImportPredictionsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, existing: list[str] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import predictions as a label set")
        self.existing = set(existing or [])
        self._auto_name = ""
        self.path = QLineEdit()
        self.path.setPlaceholderText("results.json, or a folder")
        file_btn, folder_btn = QPushButton("File…"), QPushButton("Folder…")
        file_btn.clicked.connect(self._pick_file)
        folder_btn.clicked.connect(self._pick_folder)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(file_btn)
        row.addWidget(folder_btn)
        self.name = QLineEdit()
        self.format = QComboBox()
        for text, key in FORMATS:
            self.format.addItem(text, key)
        self.images = QLineEdit()
        self.images.setPlaceholderText("optional: the COCO file the results refer to (image file names)")
        self.mask_mode = QComboBox()
        for text, key in MASK_MODES:
            self.mask_mode.addItem(text, key)
        self.category = QLineEdit()
        self.category.setPlaceholderText("object")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Predictions", row)
        form.addRow("Label set name", self.name)
        form.addRow("Format", self.format)
        form.addRow("COCO images file", self.images)
        form.addRow("Mask PNGs hold", self.mask_mode)
        form.addRow("Category of masks", self.category)
        form.addRow(self.buttons)
        self.path.textChanged.connect(self._path_changed)
        self.name.textChanged.connect(self._validate)
        self._validate()

    def _pick_file(self) -> None:
        path = file_dialogs.open_file(self, "predictions", "COCO results file", "JSON (*.json)")
        if path:
            self.path.setText(path)

    def _pick_folder(self) -> None:
        path = file_dialogs.choose_folder(self, "predictions", "LabelMe folder or folder of mask PNGs")
        if path:
            self.path.setText(path)

    def _path_changed(self, text: str) -> None:
        # follow the path with the name until the user types a name of their own
        if self.name.text() in ("", self._auto_name):
            self._auto_name = Path(text).stem or Path(text).name
            self.name.setText(self._auto_name)
        self._validate()

    def _validate(self) -> None:
        name = self.name.text().strip()
        ok = bool(self.path.text().strip()) and bool(name) and name != "gt"
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        self.name.setToolTip(f"'{name}' exists: its predictions will be replaced" if name in self.existing else "")

    def options(self) -> dict:
        """Keyword arguments for `segstudio.eval.predictions.import_predictions`."""
        return {
            "source": self.path.text().strip(),
            "name": self.name.text().strip(),
            "fmt": self.format.currentData(),
            "images_json": self.images.text().strip() or None,
            "mask_mode": self.mask_mode.currentData(),
            "category": self.category.text().strip() or None,
            "overwrite": self.name.text().strip() in self.existing,
        }
