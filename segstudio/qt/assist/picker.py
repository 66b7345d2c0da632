"""The AI Assist panel: model picker, tool buttons, pre-label buttons, last latency."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ModelPicker(QWidget):
    model_chosen = Signal(str)
    tool_requested = Signal(str)  # 'ai_click' | 'ai_box'
    prelabel_image = Signal()
    prelabel_project = Signal()
    reload_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setObjectName("assist_model_combo")
        self.combo.setToolTip("Click/box models answer clicks; image models pre-label whole images")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: palette(mid);")
        self.click_button = QPushButton("Click (I)")
        self.box_button = QPushButton("Box (Shift+I)")
        self.image_button = QPushButton("Pre-label image")
        self.project_button = QPushButton("Pre-label project…")
        self.reload_button = QPushButton("Reload models")
        self.state = QLabel("idle")
        self.state.setObjectName("assist_state")
        tools = QHBoxLayout()
        tools.addWidget(self.click_button)
        tools.addWidget(self.box_button)
        pre = QHBoxLayout()
        pre.addWidget(self.image_button)
        pre.addWidget(self.project_button)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Model"))
        lay.addWidget(self.combo)
        lay.addWidget(self.details)
        lay.addLayout(tools)
        lay.addLayout(pre)
        lay.addWidget(self.reload_button)
        lay.addWidget(self.state)
        lay.addStretch(1)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.click_button.clicked.connect(lambda: self.tool_requested.emit("ai_click"))
        self.box_button.clicked.connect(lambda: self.tool_requested.emit("ai_box"))
        self.image_button.clicked.connect(self.prelabel_image.emit)
        self.project_button.clicked.connect(self.prelabel_project.emit)
        self.reload_button.clicked.connect(self.reload_requested.emit)
        self._cards: dict[str, object] = {}
        self._filling = False

    def set_cards(self, cards: list, current_id: str | None, problems: list[str] = ()) -> None:
        self._filling = True
        self.combo.clear()
        self._cards = {c.id: c for c in cards}
        for group, pred in (("click/box", lambda c: c.is_prompt), ("image", lambda c: not c.is_prompt)):
            for c in cards:
                if pred(c):
                    self.combo.addItem(f"{c.display_name}  [{group}]", c.id)
        for msg in problems:  # listed, greyed out, with the reason: every other card works
            self.combo.addItem(f"⚠ {Path(msg.split(': ', 1)[0]).name}  [broken]", None)
            item = self.combo.model().item(self.combo.count() - 1)
            item.setEnabled(False)
            item.setToolTip(msg)
        idx = self.combo.findData(current_id) if current_id else -1
        self.combo.setCurrentIndex(max(0, idx))
        self._filling = False
        if problems:
            self.state.setText("Broken model cards (the others work):\n" + "\n".join(problems))
        self.show_card(self._cards.get(self.combo.currentData()))

    def show_card(self, card) -> None:
        if card is None:
            self.details.setText("No model")
            return
        bits = [card.description or card.kind]
        if len(card.class_names) > 1:
            bits.append(f"classes: {', '.join(card.class_names[:12])}" + (" …" if len(card.class_names) > 12 else ""))
        if card.licence:
            bits.append(f"licence: {card.licence}")
        self.details.setText("\n".join(bits))
        idx = self.combo.findData(card.id)
        if idx >= 0 and idx != self.combo.currentIndex():
            self._filling = True
            self.combo.setCurrentIndex(idx)
            self._filling = False

    def _chosen(self, _index: int) -> None:
        if not self._filling and self.combo.currentData() is not None:
            self.model_chosen.emit(self.combo.currentData())
