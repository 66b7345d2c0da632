"""The team in the window (store/team.py has the rules): a Team menu with My Queue…, Submit
for Review, Accept Image and Reject Image… (the reviewer's comment on a rejected image is
shown when it opens), and for managers Assign Images…, Progress by Person… and Members and
Roles… (`_team_members`).  What the command line's `segstudio team` does, for a person at the
keyboard.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
)

from segstudio.qt.features._team_members import show_members
from segstudio.qt.widgets import modeless_dialog, show_modeless
from segstudio.store import Project, ProjectError, identity, team


class TeamReview(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.queue_dialog: QDialog | None = None
        self.members_dialog: QDialog | None = None
        menu = window.menu("Te&am")  # Alt+A: T is Tools
        for key, text, slot in (("team_queue", "My &Queue…", self.show_queue),
                                ("team_submit", "&Submit for Review", self.submit),
                                ("team_accept", "&Accept Image", self.accept),
                                ("team_reject", "&Reject Image…", self.ask_reject),
                                (None, None, None),
                                ("team_assign", "Assi&gn Images…", self.show_assign),
                                ("team_progress", "&Progress by Person…", self.show_progress),
                                ("team_members", "&Members and Roles…", self.show_members)):
            if key is None:
                menu.addSeparator()
                continue
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

    def _read(self, title: str, read: Callable[[Project], list]) -> list | None:
        """`read(project)`, or None (said in a message box titled `title`) when it fails."""
        project = self.window.project
        if project is None:
            return None
        try:
            return read(project)
        except ProjectError as e:
            QMessageBox.warning(self.window, title, str(e))
            return None

    def show_queue(self) -> QDialog | None:
        items = self._read("My Queue", team.queue)
        if items is None:
            return None
        dialog, layout = modeless_dialog(self.window, "My Queue")
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
        show_modeless(dialog, layout, 520, 360)
        self.queue_dialog, self.queue_list = dialog, listing
        return dialog

    def show_progress(self) -> QDialog | None:
        """Per person: role, images assigned, done, in review, rejected (to redo)."""
        rows = self._read("Progress by Person", team.progress)
        if rows is None:
            return None
        dialog, layout = modeless_dialog(self.window, "Progress by Person")
        table = QTableWidget(len(rows), 6)
        table.setHorizontalHeaderLabels(["Person", "Role", "Assigned", "Done", "In review", "Rejected"])
        for r, row in enumerate(rows):
            for c, value in enumerate((row.user, row.role or "—", row.assigned, row.done,
                                       row.in_review, row.rejected)):
                item = QTableWidgetItem(str(value))
                if c >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                table.setItem(r, c, item)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.resizeColumnsToContents()
        layout.addWidget(table if rows else QLabel("Nobody has a role or an assignment here yet."))
        show_modeless(dialog, layout, 560, 320)
        self.progress_dialog, self.progress_table = dialog, table
        return dialog

    def show_assign(self) -> QDialog | None:
        """Assign the image shown, or up to N unassigned images of a status, to a member."""
        project, rec = self.window.project, self.window.current_image()
        if project is None:
            return None
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Assign Images")
        form = QFormLayout(dialog)
        person = QComboBox()
        person.setEditable(True)
        person.addItems(sorted(team.members(project)))
        form.addRow("To:", person)
        this = QRadioButton(f"The image shown ({rec.name})" if rec else "The image shown")
        this.setEnabled(rec is not None)
        batch = QRadioButton("Unassigned images with status")
        (this if rec is not None else batch).setChecked(True)
        status = QComboBox()
        status.addItems(["new", "prelabelled", "in_progress"])
        limit = QSpinBox()
        limit.setRange(1, 1_000_000)
        limit.setValue(50)
        form.addRow(this)
        form.addRow(batch, status)
        form.addRow("At most:", limit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(dialog.reject)

        def assign() -> None:
            user = person.currentText().strip()
            if not user:
                QMessageBox.warning(dialog, "Assign Images", "Whom to? Choose or type a member's name.")
                return
            try:
                ids = [rec.id] if this.isChecked() and rec is not None else \
                    team.unassigned(project, status.currentText())[:limit.value()]
                n = team.assign(project, ids, user)
            except (ProjectError, ValueError) as e:
                QMessageBox.warning(dialog, "Assign Images", str(e))
                return
            dialog.accept()
            self.window.refresh_image_list()
            self.window.status(f"Assigned {n} image{'s' if n != 1 else ''} to {user}", 8000)

        buttons.accepted.connect(assign)
        form.addRow(buttons)
        dialog.setModal(False)
        dialog.show()
        self.assign_dialog = dialog
        self.assign_widgets = (person, this, batch, status, limit, buttons)
        return dialog

    def show_members(self) -> QDialog | None:
        """Team > Members and Roles… (`_team_members`), for managers."""
        self.members_dialog = show_members(self.window)
        return self.members_dialog

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
