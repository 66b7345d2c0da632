"""The AI Assist panel: model picker, tool buttons, pre-label buttons, last latency."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
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
    cycle_requested = Signal(int)  # +1 next candidate mask, -1 previous
    get_models_requested = Signal()

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
        # the catalogue one click away from where a model is chosen (was only in the Model menu)
        self.get_models_button = QPushButton("Get models…")
        self.get_models_button.setObjectName("assist_get_models")
        self.get_models_button.setToolTip("Download a SAM-family click model (SAM, MobileSAM, EfficientSAM, "
                                          "SAM 2): size, licence and speed listed; checksum verified")
        # SAM-family models answer a click with several masks (part, object, whole): pick one
        self.candidate_label = QLabel("")
        self.candidate_label.setObjectName("assist_candidates")
        self.prev_mask_button = QPushButton("◀")
        self.prev_mask_button.setObjectName("assist_prev_mask")
        self.prev_mask_button.setToolTip("Previous candidate mask of this click (Shift+S)")
        self.next_mask_button = QPushButton("Next mask (S)")
        self.next_mask_button.setObjectName("assist_next_mask")
        self.next_mask_button.setToolTip("Show the model's next candidate mask for this click, best score "
                                         "first (S; Shift+S goes back). Enabled when the model gave several.")
        for b in (self.prev_mask_button, self.next_mask_button):
            b.setEnabled(False)
        # the keyboard stays with the canvas: Enter accepts and Esc discards right after a press
        for b in (self.prev_mask_button, self.next_mask_button, self.click_button, self.box_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.prev_mask_button.setMaximumWidth(self.prev_mask_button.sizeHint().height() * 2)
        self.state = QLabel("idle")
        self.state.setObjectName("assist_state")
        # the image embedding's estimated progress (one encoder call: no real progress exists)
        self.preparing_bar = QProgressBar()
        self.preparing_bar.setObjectName("assist_preparing_bar")
        self.preparing_bar.setRange(0, 100)
        self.preparing_bar.setTextVisible(False)
        self.preparing_bar.setMaximumHeight(self.state.sizeHint().height())
        self.preparing_bar.setToolTip("Estimated from the last embedding time of this model here "
                                      "(or the catalogue's figure); stays below 100 % until done")
        self.preparing_bar.hide()
        tools = QHBoxLayout()
        tools.addWidget(self.click_button)
        tools.addWidget(self.box_button)
        masks = QHBoxLayout()
        masks.addWidget(self.prev_mask_button)
        masks.addWidget(self.next_mask_button)
        masks.addWidget(self.candidate_label, 1)
        pre = QHBoxLayout()
        pre.addWidget(self.image_button)
        pre.addWidget(self.project_button)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Model"))
        lay.addWidget(self.combo)
        lay.addWidget(self.details)
        lay.addLayout(tools)
        lay.addLayout(masks)
        lay.addLayout(pre)
        models = QHBoxLayout()
        models.addWidget(self.get_models_button)
        models.addWidget(self.reload_button)
        lay.addLayout(models)
        lay.addWidget(self.state)
        lay.addWidget(self.preparing_bar)
        lay.addStretch(1)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.click_button.clicked.connect(lambda: self.tool_requested.emit("ai_click"))
        self.box_button.clicked.connect(lambda: self.tool_requested.emit("ai_box"))
        self.image_button.clicked.connect(self.prelabel_image.emit)
        self.project_button.clicked.connect(self.prelabel_project.emit)
        self.reload_button.clicked.connect(self.reload_requested.emit)
        self.get_models_button.clicked.connect(self.get_models_requested.emit)
        self.next_mask_button.clicked.connect(lambda: self.cycle_requested.emit(1))
        self.prev_mask_button.clicked.connect(lambda: self.cycle_requested.emit(-1))
        self._cards: dict[str, object] = {}
        self._filling = False

    def show_preparing_percent(self, percent: int) -> None:
        """Estimated percent of the embedding under way; -1: no estimate yet (a busy bar)."""
        if percent < 0:
            self.preparing_bar.setRange(0, 0)
        else:
            self.preparing_bar.setRange(0, 100)
            self.preparing_bar.setValue(percent)
        self.preparing_bar.show()

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

    def show_candidates(self, candidates) -> None:
        """'mask 2/4, score 0.87' for the proposal on show; the buttons work when there are
        several candidates."""
        self.candidate_label.setText(candidates.describe())
        for b in (self.prev_mask_button, self.next_mask_button):
            b.setEnabled(candidates.cyclable)

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
