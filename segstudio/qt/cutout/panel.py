"""The Background Removal dock: subject, edge, preview and export controls.

Widgets only: it turns its controls into a `CutoutSettings` and a
`PreviewBackground` and says when they change; the feature controller does the work.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from segstudio.cutout.composite import PreviewBackground
from segstudio.cutout.settings import CutoutSettings
from segstudio.qt import file_dialogs

BACKGROUNDS = (("Checkerboard", "checkerboard"), ("Black", "black"), ("White", "white"),
               ("Colour", "color"), ("Image", "image"))
REFINE = (("Guided filter (fast)", "guided"), ("Closed-form matting (hair, fur)", "matting"),
          ("None (model's soft map)", "none"))


class CutoutPanel(QWidget):
    settings_changed = Signal()
    preview_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bg_color = (0, 200, 0)
        self.bg_image: np.ndarray | None = None
        lay = QVBoxLayout(self)

        subject = QGroupBox("Subject")
        s = QVBoxLayout(subject)
        self.select_button = QPushButton("Select Subject")
        self.select_button.setToolTip("Find the main subject with the built-in model (a soft proposal; Enter accepts)")
        self.refine_button = QPushButton("Refine Edge Brush")
        self.refine_button.setCheckable(True)
        self.refine_button.setToolTip("Paint over hair and fur to estimate their alpha by matting; "
                                      "right button removes, Backspace takes back a stroke")
        self.clear_region_button = QPushButton("Clear Refined Region")
        self.source_label = QLabel("No subject yet")
        self.source_label.setWordWrap(True)
        pair = QHBoxLayout()
        pair.addWidget(self.select_button)
        pair.addWidget(self.refine_button)
        s.addLayout(pair)
        for w in (self.clear_region_button, self.source_label):
            s.addWidget(w)
        lay.addWidget(subject)
        # Export comes next: select, export is the editor's path; Edge and Preview are tweaks,
        # and the panel stays short enough that Export Cutout... is in view on a laptop.
        export_slot = lay.count()

        edge = QGroupBox("Edge")
        f = QFormLayout(edge)
        self.refine_combo = QComboBox()
        for text, key in REFINE:
            self.refine_combo.addItem(text, key)
        self.band_spin = QSpinBox(minimum=0, maximum=200, suffix=" px", specialValueText="auto")
        self.band_spin.setToolTip("Width of the refined band around the edge (auto: 1% of the short side)")
        self.shift_spin = QSpinBox(minimum=-100, maximum=100, suffix=" px")
        self.shift_spin.setToolTip("Grow (+) or shrink (-) the edge")
        self.smooth_spin = QDoubleSpinBox(minimum=0, maximum=50, singleStep=0.5, suffix=" px")
        self.feather_spin = QDoubleSpinBox(minimum=0, maximum=100, singleStep=0.5, suffix=" px")
        self.decon_check = QCheckBox("Decontaminate colours")
        self.decon_check.setToolTip("Remove background colour spill from semi-transparent edge pixels")
        self.decon_slider = QSlider(minimum=0, maximum=100, value=100)
        self.decon_slider.setOrientation(self.decon_slider.orientation().Horizontal)
        f.addRow("Refine", self.refine_combo)
        f.addRow("Band", self.band_spin)
        f.addRow("Shift edge", self.shift_spin)
        f.addRow("Smooth", self.smooth_spin)
        f.addRow("Feather", self.feather_spin)
        f.addRow(self.decon_check)
        f.addRow("Amount", self.decon_slider)
        lay.addWidget(edge)

        preview = QGroupBox("Preview")
        p = QFormLayout(preview)
        self.preview_check = QCheckBox("Show cutout (after)")
        self.preview_check.setToolTip("Toggle before / after (\\)")
        self.bg_combo = QComboBox()
        for text, key in BACKGROUNDS:
            self.bg_combo.addItem(text, key)
        row = QHBoxLayout()
        self.color_button = QPushButton("Colour…")
        self.image_button = QPushButton("Image…")
        row.addWidget(self.color_button)
        row.addWidget(self.image_button)
        p.addRow(self.preview_check)
        p.addRow("Background", self.bg_combo)
        p.addRow(row)
        lay.addWidget(preview)

        export = QGroupBox("Export")
        e = QFormLayout(export)
        self.format_combo = QComboBox()
        self.format_combo.addItem("PNG", "png")
        self.format_combo.addItem("WebP (lossless)", "webp")
        self.crop_check = QCheckBox("Crop to subject, margin")
        self.margin_spin = QSpinBox(minimum=0, maximum=2000, value=16, suffix=" px")
        self.matte_check = QCheckBox("Also save the alpha matte")
        self.export_button = QPushButton("Export Cutout…")
        self.batch_button = QPushButton("Batch Export…")
        e.addRow("Format", self.format_combo)
        e.addRow(self.crop_check, self.margin_spin)
        e.addRow(self.matte_check)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.batch_button)
        e.addRow(buttons)
        lay.insertWidget(export_slot, export)
        lay.addStretch(1)

        for sig in (self.refine_combo.currentIndexChanged, self.band_spin.valueChanged,
                    self.shift_spin.valueChanged, self.smooth_spin.valueChanged,
                    self.feather_spin.valueChanged, self.decon_check.toggled, self.decon_slider.valueChanged):
            sig.connect(lambda *_: self.settings_changed.emit())
        for sig in (self.preview_check.toggled, self.bg_combo.currentIndexChanged):
            sig.connect(lambda *_: self.preview_changed.emit())
        self.color_button.clicked.connect(self._ask_color)
        self.image_button.clicked.connect(self._ask_image)

    # ------------------------------------------------------------ values
    def settings(self) -> CutoutSettings:
        return CutoutSettings(
            refine=self.refine_combo.currentData(),
            band=self.band_spin.value() or None,
            shift=self.shift_spin.value(),
            smooth=self.smooth_spin.value(),
            feather=self.feather_spin.value(),
            decontaminate=self.decon_check.isChecked(),
            decontaminate_strength=self.decon_slider.value() / 100.0,
            crop_margin=self.margin_spin.value() if self.crop_check.isChecked() else None,
            format=self.format_combo.currentData(),
            matte=self.matte_check.isChecked(),
        )

    def background(self) -> PreviewBackground:
        mode = self.bg_combo.currentData()
        if mode == "image" and self.bg_image is None:
            mode = "checkerboard"
        return PreviewBackground(mode, color=self.bg_color, image=self.bg_image if mode == "image" else None)

    def set_background_color(self, rgb: tuple[int, int, int]) -> None:
        self.bg_color = tuple(int(c) for c in rgb)  # type: ignore[assignment]
        self.bg_combo.setCurrentIndex(self.bg_combo.findData("color"))
        self.preview_changed.emit()

    def set_background_image(self, rgb: np.ndarray) -> None:
        self.bg_image = rgb
        self.bg_combo.setCurrentIndex(self.bg_combo.findData("image"))
        self.preview_changed.emit()

    # ------------------------------------------------------------ dialogs
    def _ask_color(self) -> None:
        c = QColorDialog.getColor(QColor(*self.bg_color), self, "Preview background colour")
        if c.isValid():
            self.set_background_color((c.red(), c.green(), c.blue()))

    def _ask_image(self) -> None:
        path = file_dialogs.open_file(self, "background_image", "Preview background image",
                                       "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)")
        if not path:
            return
        from segstudio.io.images import ImageLoadError, load_image

        try:
            self.set_background_image(load_image(path).rgb8())
        except ImageLoadError as e:
            self.source_label.setText(str(e))
