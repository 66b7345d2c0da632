"""The application look: Fusion with a dark, low-glare palette (images read better on dark grey)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    p = QPalette()
    base, window, text = QColor(30, 32, 36), QColor(43, 45, 50), QColor(222, 225, 230)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(38, 40, 45),
        QPalette.ColorRole.ToolTipBase: QColor(50, 52, 58),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(52, 55, 61),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: QColor(46, 120, 200),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(90, 170, 255),
        QPalette.ColorRole.Mid: QColor(130, 134, 142),
        QPalette.ColorRole.PlaceholderText: QColor(120, 124, 132),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(110, 113, 120))
    app.setPalette(p)
    app.setStyleSheet(
        "QDockWidget::title { padding: 4px 6px; background: #2f3237; }"
        "QToolBar { spacing: 4px; padding: 2px; border: none; }"
        "QStatusBar QLabel { padding: 0 6px; }"
    )
