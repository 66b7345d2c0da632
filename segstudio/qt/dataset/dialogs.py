"""Import and export dialogs: a format, a path, the format's own options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from segstudio.io.registry import FormatSpec, formats
from segstudio.qt import file_dialogs
from segstudio.qt.dataset.options_form import OptionsForm


class _PathRow(QWidget):
    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setObjectName(object_name)
        self.browse = QPushButton("Browse…")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.browse)

    def path(self) -> Path | None:
        t = self.edit.text().strip()
        return Path(t) if t else None


class _FormatDialog(QDialog):
    def __init__(self, title: str, specs: list[FormatSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.specs = specs
        self.format_box = QComboBox()
        self.format_box.setObjectName("dataset_format")
        for s in specs:
            self.format_box.addItem(f"{s.name} — {s.description}", s.name)
        self.path_row = _PathRow("dataset_path")
        self.path_row.browse.clicked.connect(self._browse)
        self.form = QFormLayout()
        self.form.addRow("Format:", self.format_box)
        self.form.addRow(self._path_label(), self.path_row)
        self.options = OptionsForm()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(self.form)
        lay.addWidget(self.options)
        lay.addWidget(self.buttons)
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _path_label(self) -> str:
        return "Path:"

    @property
    def spec(self) -> FormatSpec:
        return self.specs[self.format_box.currentIndex()]

    def _format_changed(self) -> None:
        self.options.set_options(self._option_list(self.spec))

    def _option_list(self, spec: FormatSpec):
        raise NotImplementedError

    def _browse(self) -> None:
        # an export always goes to a folder (COCO writes one file per split there; a DST.json or
        # .xml file name can be typed by hand); an import reads a file or a folder by format
        if self._reading() and self._wants_file():
            path = file_dialogs.open_file(self, "import", "Choose a file", "JSON (*.json);;All files (*)")
        else:
            path = file_dialogs.choose_folder(self, "import" if self._reading() else "export", "Choose a folder")
        if path:
            self.path_row.edit.setText(path)

    def _wants_file(self) -> bool:
        return self.spec.source == "file"

    def _reading(self) -> bool:
        return True

    def _accept(self) -> None:
        if self.path_row.path() is None:
            self.path_row.edit.setFocus()
            return
        self.accept()


class ImportDialog(_FormatDialog):
    """Choose what to read.  `reading_only` (validate, convert) hides the project-side choices."""

    def __init__(self, parent: QWidget | None = None, title: str = "Import Annotations",
                 reading_only: bool = False) -> None:
        super().__init__(title, [s for s in formats().values() if s.can_import], parent)
        self.mode = QComboBox()
        self.mode.setObjectName("dataset_mode")
        self.mode.addItem("Add to existing annotations", "append")
        self.mode.addItem("Replace annotations of the imported images", "replace")
        self.dry_run = QCheckBox("Dry run: only show what would be imported")
        self.dry_run.setObjectName("dataset_dry_run")
        self.missing = QCheckBox("Import entries whose image file is missing")
        self.missing.setObjectName("dataset_allow_missing")
        # image paths leaving the dataset folder are refused unless the user trusts the dataset
        self.trust = QCheckBox("Trust image paths outside the dataset folder (trust_paths)")
        self.trust.setObjectName("dataset_trust_paths")
        self.trust.setToolTip("Accept image paths that are absolute, go up with ../ or follow a link "
                              "out of the dataset folder. Only for a dataset you trust.")
        if not reading_only:
            self.form.addRow("Mode:", self.mode)
            self.form.addRow("", self.dry_run)
            self.form.addRow("", self.missing)
        else:
            for w in (self.mode, self.dry_run, self.missing):
                w.hide()
        self.form.addRow("", self.trust)

    def _path_label(self) -> str:
        return "Source:"

    def _option_list(self, spec):
        return spec.options + spec.import_options

    def values(self) -> tuple[str, Path, dict[str, Any], bool]:
        opts = self.options.values()
        opts["mode"] = self.mode.currentData()
        if self.missing.isChecked():
            opts["require_images"] = False
        if self.trust.isChecked():
            opts["trust_paths"] = True
        return self.spec.name, self.path_row.path(), opts, self.dry_run.isChecked()  # type: ignore[return-value]


class ExportDialog(_FormatDialog):
    def __init__(self, parent: QWidget | None = None, title: str = "Export Annotations") -> None:
        super().__init__(title, [s for s in formats().values() if s.can_export], parent)
        self.split = QComboBox()
        self.split.setObjectName("dataset_split")
        for label, value in (("All images", None), ("train", "train"), ("val", "val"), ("test", "test")):
            self.split.addItem(label, value)
        self.form.addRow("Split:", self.split)

    def _path_label(self) -> str:
        return "Destination:"

    def _reading(self) -> bool:
        return False

    def _option_list(self, spec):
        return spec.options + spec.export_options

    def values(self) -> tuple[str, Path, dict[str, Any]]:
        opts = self.options.values()
        if self.split.currentData():
            opts["split"] = self.split.currentData()
        return self.spec.name, self.path_row.path(), opts  # type: ignore[return-value]
