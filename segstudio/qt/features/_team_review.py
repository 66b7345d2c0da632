"""The team's review loop in the window (store/team.py has the rules): a Team menu with
My Queue…, Submit for Review, Accept Image and Reject Image…, and the reviewer's comment on
a rejected image shown when it opens.  What the command line's `segstudio team` does for a
person at the keyboard; roles are still given with `segstudio team PROJECT role ...`.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
)

from segstudio.store import ProjectError, identity, team


class TeamReview(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.queue_dialog: QDialog | None = None
        menu = window.menu("Te&am")  # Alt+A: T is Tools
        for key, text, slot in (("team_queue", "My &Queue…", self.show_queue),
                                ("team_submit", "&Submit for Review", self.submit),
                                ("team_accept", "&Accept Image", self.accept),
                                ("team_reject", "&Reject Image…", self.ask_reject)):
            action = QAction(text, self)
            action.triggered.connect(slot)
            menu.addAction(action)
            window.actions[key] = action
        window.image_changed.connect(self._on_image)

    # ------------------------------------------------------------ actions
    def submit(self) -> bool:
        return self._decide(lambda p, image_id: team.submit(p, image_id), "submitted for review")

    def accept(self) -> bool:
        return self._decide(lambda p, image_id: team.review(p, image_id, "accepted"), "accepted")

    def ask_reject(self) -> bool:
        rec = self.window.current_image()
        if rec is None:
            return False
        comment, ok = QInputDialog.getMultiLineText(
            self.window, "Reject Image", f"What should the annotator fix in {rec.name}?")
        if not ok:
            return False
        return self.reject(comment)

    def reject(self, comment: str) -> bool:
        return self._decide(lambda p, image_id: team.review(p, image_id, "rejected", comment),
                            "rejected: back to its annotator's queue")

    def show_queue(self) -> QDialog | None:
        project = self.window.project
        if project is None:
            return None
        try:
            items = team.queue(project)
        except ProjectError as e:
            QMessageBox.warning(self.window, "My Queue", str(e))
            return None
        dialog = QDialog(self.window)
        dialog.setWindowTitle("My Queue")
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(f"Images assigned to {identity.user_name()}: rejected first, "
                                "then in progress, then new" if items else
                                f"Nothing is assigned to {identity.user_name()} here."))
        listing = QListWidget()
        for item in items:
            text = f"{item.path.rsplit('/', 1)[-1]}  —  {item.status.replace('_', ' ')}"
            if item.comment:
                text += f"  —  rejected: {item.comment}"
            row = QListWidgetItem(text)
            row.setData(Qt.ItemDataRole.UserRole, item.image_id)
            listing.addItem(row)
        if items:
            listing.setCurrentRow(0)

        def open_item(row: QListWidgetItem) -> None:
            dialog.accept()
            self.window.go_to_image(int(row.data(Qt.ItemDataRole.UserRole)))

        listing.itemActivated.connect(open_item)
        listing.itemDoubleClicked.connect(open_item)
        layout.addWidget(listing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.resize(520, 360)
        dialog.setModal(False)
        dialog.show()
        self.queue_dialog, self.queue_list = dialog, listing
        return dialog

    # ------------------------------------------------------------ internals
    def _decide(self, change, done: str) -> bool:
        w = self.window
        rec, project = w.current_image(), w.project
        if rec is None or project is None:
            return False
        try:
            change(project, rec.id)
        except (ProjectError, ValueError) as e:  # a role that may not, a missing comment, read-only
            QMessageBox.warning(w, "Team", str(e))
            return False
        w.images_panel.update_record(project.image(rec.id), rec)
        w.status(f"{rec.name}: {done}", 8000)
        return True

    def _on_image(self, rec) -> None:
        project = self.window.project
        if rec is None or project is None or rec.review_status != "rejected":
            return
        try:
            last = team.last_review(project, rec.id)
        except ProjectError:
            return
        if last is not None and last.decision == "rejected":
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.at))
            self.window.status(f"Rejected by {last.reviewer} ({when}): {last.comment}", 0)
