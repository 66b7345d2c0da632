"""Display options: overlay opacity / fill-outline-both / visibility, and the intensity window
(brightness/contrast) through which 16-bit and grayscale images are shown (data unchanged)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from segstudio.qt.widgets import form_box

MODES = [("Fill and outline", "both"), ("Fill", "fill"), ("Outline", "outline")]


class DisplayPanel(QWidget):
    overlay_changed = Signal(float, str, bool)  # opacity, mode, visible
    window_changed = Signal(object)  # (lo, hi) or None for the default

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.mode = QComboBox()
        for text, key in MODES:
            self.mode.addItem(text, key)
        self.visible = QCheckBox("Show overlay")
        self.visible.setChecked(True)
        ov = QGroupBox("Overlay")
        f = QFormLayout(ov)
        f.addRow("Opacity", self.opacity)
        f.addRow("Style", self.mode)
        f.addRow(self.visible)
        self.lo = QDoubleSpinBox(decimals=1)
        self.hi = QDoubleSpinBox(decimals=1)
        for sb in (self.lo, self.hi):
            sb.setRange(-1e9, 1e9)
            sb.setKeyboardTracking(False)
        # Brightness / contrast: the same window seen as its centre and its width.
        self.brightness = QSlider(Qt.Orientation.Horizontal, toolTip="Brightness (window centre)")
        self.contrast = QSlider(Qt.Orientation.Horizontal, toolTip="Contrast (narrower window = more contrast)")
        for sl in (self.brightness, self.contrast):
            sl.setRange(-100, 100)
        self.auto = QPushButton("Auto")
        self.full = QPushButton("Full range")
        win = form_box("Intensity window", (("Brightness", self.brightness), ("Contrast", self.contrast),
                                            ("Black", self.lo), ("White", self.hi)), (self.auto, self.full))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(ov)
        lay.addWidget(win)
        lay.addStretch(1)
        self._emit_timer = QTimer(self, singleShot=True, interval=120)  # debounce re-rendering
        self._emit_timer.timeout.connect(lambda: self.window_changed.emit((self.lo.value(), self.hi.value())))
        self.opacity.valueChanged.connect(self._overlay)
        self.mode.currentIndexChanged.connect(self._overlay)
        self.visible.toggled.connect(self._overlay)
        self.lo.valueChanged.connect(lambda _v: self._emit_timer.start())
        self.hi.valueChanged.connect(lambda _v: self._emit_timer.start())
        self.brightness.valueChanged.connect(self._from_sliders)
        self.contrast.valueChanged.connect(self._from_sliders)
        self.auto.clicked.connect(lambda: self.window_changed.emit(None))
        self.full.clicked.connect(self._full_range)
        self._dtype_range = (0.0, 255.0)
        self._base = (0.0, 255.0)  # the window the sliders start from

    def _overlay(self) -> None:
        self.overlay_changed.emit(self.opacity.value() / 100.0, self.mode.currentData(), self.visible.isChecked())

    def set_overlay(self, opacity: float, mode: str, visible: bool) -> None:
        self.opacity.setValue(round(opacity * 100))
        self.mode.setCurrentIndex(max(0, self.mode.findData(mode)))
        self.visible.setChecked(visible)

    def _from_sliders(self, _v: int = 0) -> None:
        """Brightness moves the window's centre by up to half the base range; contrast
        scales its width by 4**(-value/100) (x4 narrower at +100, x4 wider at -100)."""
        lo0, hi0 = self._base
        width = (hi0 - lo0) * 4.0 ** (-self.contrast.value() / 100.0)
        centre = (lo0 + hi0) / 2 - self.brightness.value() / 200.0 * (hi0 - lo0)
        self.lo.setValue(centre - width / 2)
        self.hi.setValue(centre + width / 2)  # the spin boxes emit the (debounced) window

    def show_window(self, window: tuple[float, float], dtype: np.dtype | None) -> None:
        ours = abs(window[0] - self.lo.value()) < 0.05 and abs(window[1] - self.hi.value()) < 0.05
        if not ours:  # a new image, Auto or Full range: the sliders start again from here
            self._base = (float(window[0]), float(window[1]))
            for sl in (self.brightness, self.contrast):
                sl.blockSignals(True)
                sl.setValue(0)
                sl.blockSignals(False)
        for sb, v in ((self.lo, window[0]), (self.hi, window[1])):
            sb.blockSignals(True)
            sb.setValue(v)
            sb.blockSignals(False)
        if dtype is not None and np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            self._dtype_range = (float(info.min), float(info.max))
        else:
            self._dtype_range = (0.0, 1.0)

    def _full_range(self) -> None:
        self.window_changed.emit(self._dtype_range)
