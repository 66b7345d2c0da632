"""Team > Members and Roles…: a manager lists the project's members with their roles, adds a
member, changes a role or removes someone - what `segstudio team PROJECT role ...` does.
The rules are the store's (`store.team.set_role`): managers only once the project has one, the
first member must be a manager, the last manager stays until someone else manages.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from segstudio.store import ProjectError, identity, team

TITLE = "Members and Roles"


class MembersDialog(QDialog):
    """Non-modal; every change is written at once and the table read back from the project."""

    def __init__(self, window, project) -> None:
        super().__init__(window)
        self.main_window, self.project = window, project
        self.setWindowTitle(TITLE)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Person", "Role"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.itemSelectionChanged.connect(self._on_selection)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.person = QLineEdit()
        self.person.setPlaceholderText("user name")
        self.role = QComboBox()
        self.role.addItems(list(team.ROLES))
        self.set_button = QPushButton("&Add or Change")
        self.set_button.setToolTip("Give the person the role (adds them when they are not a member)")
        self.set_button.clicked.connect(self.set_role)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setToolTip("The person is no longer a member (their assignments stay)")
        self.remove_button.clicked.connect(self.remove)
        row.addWidget(QLabel("Person:"))
        row.addWidget(self.person, 1)
        row.addWidget(QLabel("Role:"))
        row.addWidget(self.role)
        row.addWidget(self.set_button)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.set_button.setDefault(True)  # Enter in the name field adds (the dialog's default)
        self.remove_button.setAutoDefault(False)
        self.resize(560, 380)
        self.setModal(False)
        self.reload()

    # ------------------------------------------------------------ what the buttons do
    def set_role(self) -> bool:
        return self._change(self.person.text().strip(), self.role.currentText())

    def remove(self) -> bool:
        return self._change(self.person.text().strip(), None)

    def reload(self) -> None:
        members = team.members(self.project)
        self.table.setRowCount(len(members))
        for r, (user, role) in enumerate(members.items()):
            name = QTableWidgetItem(user)
            name.setData(Qt.ItemDataRole.UserRole, user)
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, QTableWidgetItem(role))
        me = identity.user_name()
        self.summary.setText(
            f"{len(members)} member{'s' if len(members) != 1 else ''}; you are {me} "
            f"({members.get(me, 'not a member')})." if members else
            f"Nobody has a role here yet: anyone may do everything.  Add yourself ({me}) as the "
            "first manager to give others roles.")
        if not members:
            self.person.setText(me)
            self.role.setCurrentText("manager")

    # ------------------------------------------------------------ internals
    def _change(self, user: str, role: str | None) -> bool:
        if not user:
            QMessageBox.warning(self, TITLE, "Whom? Type a user name or choose a member in the list.")
            return False
        if role is None and user not in team.members(self.project):
            QMessageBox.warning(self, TITLE, f"{user} is not a member of this project.")
            return False
        try:
            team.set_role(self.project, user, role)
        except (ProjectError, ValueError) as e:  # not a manager, the last manager, read-only
            QMessageBox.warning(self, TITLE, str(e))
            return False
        self.reload()
        self._select(user)
        said = f"{user} is {role} now" if role else f"{user} is no longer a member"
        self.main_window.status(f"{said} ({self.project.address})", 8000)
        return True

    def _select(self, user: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == user:
                self.table.selectRow(r)
                return
        self.table.clearSelection()

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        r = rows[0].row()
        self.person.setText(self.table.item(r, 0).text())
        self.role.setCurrentText(self.table.item(r, 1).text())


def show_members(window) -> MembersDialog | None:
    """The dialog, for managers (and for anyone while the project has no members, to add the
    first manager); anyone else is told in one line."""
    project = window.project
    if project is None:
        return None
    try:
        team.require(project, "manager")
    except team.NotAllowed:
        QMessageBox.warning(window, TITLE, f"Only managers may give people roles here; you "
                            f"({identity.user_name()}) are {team.role_of(project) or 'not a member'}.")
        return None
    except ProjectError as e:
        QMessageBox.warning(window, TITLE, str(e))
        return None
    dialog = MembersDialog(window, project)
    dialog.show()
    return dialog
