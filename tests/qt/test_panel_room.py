"""Issue 15 #8, cramped or clipped panels at 1366x768: the instances table shows more than one
or two rows, the categories more than four, the review queue every column (FN and status were
cut off), and the AI Assist "working…" label clears once the model answers."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from .conftest import click


def _settle(n: int = 6) -> None:
    for _ in range(n):
        QApplication.processEvents()


def _rows_in_view(view, row_height: int) -> float:
    return view.viewport().height() / row_height


def test_instances_and_categories_have_room_at_1366x768(full_window):
    w = full_window
    w.modes.activate("annotate")
    _settle()
    table = w.instances_panel.view
    assert _rows_in_view(table, table.verticalHeader().defaultSectionSize()) >= 8
    cats = w.categories_panel.list
    assert cats.count() and _rows_in_view(cats, cats.sizeHintForRow(0)) >= 6


def test_every_review_queue_column_is_in_view(full_window, qtbot):
    w = full_window
    feature = w.findChild(QObject, "review_feature")
    feature.controller.start("gt", "pred")
    qtbot.waitUntil(lambda: feature.controller.active, timeout=20_000)
    w.modes.activate("review")
    _settle()
    queue = feature.panel.queue
    header, width = queue.horizontalHeader(), queue.viewport().width()
    assert queue.rowCount() > 0
    for col in range(queue.columnCount()):
        name = queue.horizontalHeaderItem(col).text()
        right = header.sectionViewportPosition(col) + header.sectionSize(col)
        assert not header.isSectionHidden(col) and right <= width, (name, right, width)
        assert header.sectionSize(col) >= header.sectionSizeHint(col) or col == 0, name  # only the name elides
    assert _rows_in_view(queue, queue.verticalHeader().defaultSectionSize()) >= 6


def test_the_working_label_clears_when_the_model_answers(qtbot, window):
    from segstudio.qt.features.assist import install

    install(window)
    feature = window.features.assist
    states = []
    feature.controller.busy_changed.connect(lambda busy: states.append((busy, feature.picker.state.text())))
    feature.controller.set_model("grabcut-plain")
    feature.controller.activate_tool("ai_click")
    click(window.canvas, 20, 20)
    qtbot.waitUntil(lambda: window.current_document().proposal is not None, timeout=30000)
    qtbot.waitUntil(lambda: not window.worker.busy(), timeout=30000)
    _settle()
    assert (True, "working…") in states
    assert feature.picker.state.text().startswith("last proposal in ")
