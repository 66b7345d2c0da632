"""The Review dock: pick the label sets, run the comparison, walk the queue, act on items."""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QRadioButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from segstudio.eval.compare import EvalOptions
from segstudio.qt.review.controller import MODES, ReviewController
from segstudio.qt.widgets import form_box

STATUS_TEXT = {None: "to review", "to_review": "to review", "accepted": "accepted", "needs_fix": "needs fix"}


def _f(v: float | None) -> str:
    return "–" if v is None or math.isnan(v) else f"{v:.2f}"


class ReviewPanel(QWidget):
    def __init__(self, controller: ReviewController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.c = controller
        self.gt_combo, self.pred_combo = QComboBox(), QComboBox()
        self.iou = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.5, decimals=2)
        self.score = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=0.5, decimals=2)
        self.compare = QPushButton("Compare")
        self.compare.setToolTip("Compute every metric and build the review queue")
        self.import_button = QPushButton("Import Predictions…")
        self.import_button.setToolTip("Add a model's output as a label set to compare: COCO results, "
                                      "LabelMe, mask PNGs, ... (Review > Import Predictions as a Label Set…)")
        self.state = QLabel("Choose a prediction label set and press Compare.")
        self.state.setWordWrap(True)
        setup = form_box("Label sets", (("Ground truth", self.gt_combo), ("Prediction", self.pred_combo),
                                        ("Match IoU ≥", self.iou), ("Score ≥", self.score)),
                         (self.import_button, self.compare))

        self.order = QComboBox()
        for text, key in (("Most disagreement first", "disagreement"), ("Most uncertain first", "uncertainty"), ("By name", "name")):
            self.order.addItem(text, key)
        self.queue = QTableWidget(0, 6)
        self.queue.setHorizontalHeaderLabels(["image", "agree", "TP", "FP", "FN", "status"])
        self.queue.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.queue.verticalHeader().hide()
        self.queue.verticalHeader().setDefaultSectionSize(22)  # compact rows: more of the queue in view
        header = self.queue.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # every column in view, the name elided
        self.hide_accepted = QCheckBox("Hide accepted images")
        qbox = QGroupBox("Queue (G next, Shift+G previous)")
        ql = QVBoxLayout(qbox)
        qrow = QHBoxLayout()
        qrow.addWidget(self.order, 1)
        qrow.addWidget(self.hide_accepted)
        ql.addLayout(qrow)
        ql.addWidget(self.queue)

        self.mode_buttons = QButtonGroup(self)
        view = QGroupBox("View (Shift+O cycles)")
        vl = QFormLayout(view)
        modes = QHBoxLayout()
        for k, name in enumerate(MODES):
            b = QRadioButton(name.capitalize())
            self.mode_buttons.addButton(b, k)
            modes.addWidget(b)
        self.mode_buttons.button(0).setChecked(True)
        vl.addRow(modes)
        self.gt_visible, self.pred_visible = QCheckBox("Ground truth"), QCheckBox("Prediction (O)")
        self.gt_visible.setChecked(True)
        self.pred_visible.setChecked(True)
        self.gt_opacity, self.pred_opacity = QSlider(Qt.Orientation.Horizontal), QSlider(Qt.Orientation.Horizontal)
        for s, v in ((self.gt_opacity, 45), (self.pred_opacity, 90)):
            s.setRange(0, 100)
            s.setValue(v)
        vl.addRow(self.gt_visible, self.gt_opacity)
        vl.addRow(self.pred_visible, self.pred_opacity)

        self.metrics = QLabel()
        self.metrics.setWordWrap(True)
        self.items = QListWidget()
        self.accept_btn, self.reject_btn = QPushButton("Accept (Y)"), QPushButton("Reject (U)")
        self.prev_btn, self.next_btn = QPushButton("◀ Shift+J"), QPushButton("J ▶")
        self.ok_btn, self.fix_btn = QPushButton("Image OK (Shift+Enter)"), QPushButton("Needs fix (Shift+N)")
        ibox = QGroupBox("This image")
        il = QVBoxLayout(ibox)
        il.addWidget(self.metrics)
        il.addWidget(self.items)
        for pair in ((self.prev_btn, self.accept_btn, self.reject_btn, self.next_btn), (self.ok_btn, self.fix_btn)):
            row = QHBoxLayout()
            for b in pair:
                row.addWidget(b)
            il.addLayout(row)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        for w, stretch in ((setup, 0), (self.state, 0), (qbox, 3), (view, 0), (ibox, 2)):
            lay.addWidget(w, stretch)
        self.queue.setMinimumHeight(110)
        self.items.setMinimumHeight(70)
        self._wire()
        self.refresh_sets()
        self.update_queue()
        self.update_items()

    def _wire(self) -> None:
        c = self.c
        self.compare.clicked.connect(self.start)
        self.order.currentIndexChanged.connect(lambda _i: c.set_order(self.order.currentData()))
        self.hide_accepted.toggled.connect(c.set_hide_accepted)
        self.queue.cellClicked.connect(self._queue_clicked)
        self.mode_buttons.idClicked.connect(lambda k: c.set_mode(MODES[k]))
        self.gt_visible.toggled.connect(lambda on: c.set_visibility(gt=on))
        self.pred_visible.toggled.connect(lambda on: c.set_visibility(pred=on))
        self.gt_opacity.valueChanged.connect(lambda v: c.set_opacity(gt=v / 100))
        self.pred_opacity.valueChanged.connect(lambda v: c.set_opacity(pred=v / 100))
        self.items.currentRowChanged.connect(self._item_clicked)
        self.accept_btn.clicked.connect(c.accept_current)
        self.reject_btn.clicked.connect(c.reject_current)
        self.next_btn.clicked.connect(lambda: c.next_item(1))
        self.prev_btn.clicked.connect(lambda: c.next_item(-1))
        self.ok_btn.clicked.connect(lambda: c.set_status("accepted"))
        self.fix_btn.clicked.connect(lambda: c.set_status("needs_fix"))
        c.queue_changed.connect(self.update_queue)
        c.queue_row_changed.connect(self.update_queue_row)
        c.items_changed.connect(self.update_items)
        c.view_changed.connect(self.update_view)
        c.result_ready.connect(lambda r: self.state.setText(f"{len(r.images)} images compared."))
        c.failed.connect(lambda msg: self.state.setText(f"Comparison failed: {msg}"))
        c.progress.connect(lambda d, t, m: self.state.setText(f"{m} {d}/{t}…"))
        c.window.project_opened.connect(lambda _p: self.refresh_sets())

    def refresh_sets(self) -> None:
        project = self.c.window.project
        sets = project.label_sets() if project is not None else []
        # The ground truth is the editable document of the window: the project's `gt` set
        # (`segstudio eval --gt SET` compares any two sets headless).
        self.gt_combo.clear()
        self.gt_combo.addItem("gt")
        self.gt_combo.setEnabled(False)
        self.gt_combo.setToolTip("Review edits the ground truth 'gt'; compare other sets with 'segstudio eval'")
        for combo, default in ((self.pred_combo, None),):
            current = combo.currentText() or default
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([s for s in sets if s != "gt"])
            if current in sets:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        self.compare.setEnabled(len(sets) > 1)
        if not self.c.active:  # say what to do first when there is nothing to compare yet
            self.state.setText("Choose a prediction label set and press Compare." if len(sets) > 1 else
                               "No predictions to compare yet: Import Predictions… adds a model's "
                               "output as a label set.")

    def start(self) -> None:
        gt, pred = self.gt_combo.currentText(), self.pred_combo.currentText()
        if not gt or not pred or gt == pred:
            self.state.setText("Choose two different label sets.")
            return
        self.state.setText("Comparing…")
        self.c.start(gt, pred, EvalOptions(iou_threshold=self.iou.value(), score_threshold=self.score.value()))

    def _queue_clicked(self, row: int, _col: int) -> None:
        q = self.c.queue
        if q is not None and 0 <= row < len(q.items):
            item = q.items[row]
            self.c.window.go_to_image(item.image_id, item.frame)

    def _item_clicked(self, row: int) -> None:
        if row >= 0 and row != self.c.item_index:
            self.c.select_item(row)

    def update_queue(self) -> None:
        q = self.c.queue
        self.queue.setRowCount(0 if q is None else len(q.items))
        if q is None:
            return
        for r in range(len(q.items)):
            self.update_queue_row(r)
        if q.index >= 0:
            self.queue.blockSignals(True)
            self.queue.selectRow(q.index)
            self.queue.blockSignals(False)

    def update_queue_row(self, r: int) -> None:
        q = self.c.queue
        if q is None or not 0 <= r < min(len(q.items), self.queue.rowCount()):
            return
        it = q.items[r]
        vals = (it.name, _f(it.agreement), str(it.tp), str(it.fp), str(it.fn),
                STATUS_TEXT.get(q.statuses.get(it.image_id), "to review"))
        for k, v in enumerate(vals):
            self.queue.setItem(r, k, QTableWidgetItem(v))

    def update_items(self) -> None:
        c = self.c
        self.items.blockSignals(True)
        self.items.clear()
        for it in c.items:
            self.items.addItem(("✓ " if it.resolved else "") + it.label)
        if 0 <= c.item_index < len(c.items):
            self.items.setCurrentRow(c.item_index)
        self.items.blockSignals(False)
        e, px = c.image_eval, c.pixel_eval
        pixel = "IoU …  boundary F …" if px is None else f"IoU {_f(px.iou)}  boundary F {_f(px.boundary_f)}"
        self.metrics.setText("" if e is None else f"TP {e.tp}  FP {e.fp}  FN {e.fn}  agreement {_f(e.agreement)}  {pixel}")
        for b in (self.accept_btn, self.reject_btn, self.prev_btn, self.next_btn, self.ok_btn, self.fix_btn):
            b.setEnabled(c.active)

    def update_view(self) -> None:
        self.mode_buttons.button(MODES.index(self.c.mode)).setChecked(True)
        for box, on in ((self.gt_visible, self.c.gt_visible), (self.pred_visible, self.c.pred_visible)):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
