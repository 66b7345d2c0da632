"""Teams in the window: open a shared (PostgreSQL) project, who works where, others' changes.

- File > Open Shared Project…: a postgresql:// URL (no password: libpq finds it), and the
  image folder on this machine when the project has none mapped yet; File > User Name….
- The image shown is leased to this session (renewed every `RENEW_S`, released when another
  image opens or the project closes); when someone else holds it, it opens read-only: the
  status bar says who has it, and every edit is taken back with that reason.
- Team > My Queue…, Submit for Review, Accept Image, Reject Image… (`_team_review`).
- Others' status, image and lease changes arrive by LISTEN/NOTIFY (`store.changes`) and
  repaint the affected rows of the image list, within a second, without polling.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from segstudio.qt import file_dialogs
from segstudio.qt.features._team_review import TeamReview
from segstudio.store import ProjectError, identity, leases
from segstudio.store.changes import ChangeListener
from segstudio.store.location import is_database_url, parse_database_url
from segstudio.store.roots import map_root, mapped_root

log = logging.getLogger(__name__)
USER_KEY = "team/user_name"


class TeamFeature(QObject):
    _changed = Signal(str, int)  # (table, image id), from the listener's thread

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.listener: ChangeListener | None = None
        self.leased: int | None = None
        self.read_only: int | None = None  # the image shown read-only (someone else has it)
        self.renew = QTimer(self, interval=int(leases.RENEW_S * 1000))
        self.renew.timeout.connect(self._renew)
        self._changed.connect(self._on_remote_change)
        saved = window.settings.value(USER_KEY, "", str)
        if saved:
            with contextlib.suppress(ValueError):  # a bad saved name: the default stands
                identity.set_user_name(saved)
        file_menu = window.menu("File")
        open_shared = QAction("Open &Shared Project…", self)
        open_shared.triggered.connect(self.ask_open_shared)
        user = QAction("&User Name…", self)
        user.triggered.connect(self.ask_user_name)
        anchor = window.actions.get("open_sample")
        if anchor is not None:
            file_menu.insertAction(anchor, open_shared)
        else:
            file_menu.addAction(open_shared)
        file_menu.addAction(user)
        window.actions["open_shared"] = open_shared
        window.actions["user_name"] = user
        window.project_opened.connect(self._on_project)
        window.project_closing.connect(lambda _project: self._stop())
        window.image_changed.connect(self._on_image)
        window.destroyed.connect(lambda *_: self._stop())
        self.review = TeamReview(window)  # the Team menu: queue, submit, accept, reject

    # ------------------------------------------------------------ user actions
    def ask_open_shared(self) -> bool:
        w = self.window
        url, ok = QInputDialog.getText(
            w, "Open Shared Project",
            "PostgreSQL project, postgresql://user@host[:port]/DATABASE/PROJECT\n"
            "(the password comes from ~/.pgpass, PGPASSWORD or a service file):",
            QLineEdit.EchoMode.Normal, "postgresql://")
        if not ok or not url.strip():
            return False
        return self.open_shared(url.strip())

    def open_shared(self, url: str, folder: str | None = None) -> bool:
        w = self.window
        if not is_database_url(url):
            QMessageBox.warning(w, "Open Shared Project", f"{url}: not a postgresql:// URL")
            return False
        try:
            location = parse_database_url(url)
        except ProjectError as e:
            QMessageBox.warning(w, "Open Shared Project", str(e))
            return False
        if folder is None and mapped_root(location.display) is None:
            folder = file_dialogs.choose_folder(
                w, "shared_images", f"Where are the images of {location.schema} on this machine?")
            if not folder:
                return False
        if folder:
            map_root(location.display, folder)
        return w.open_project(url)

    def ask_user_name(self) -> None:
        w = self.window
        name, ok = QInputDialog.getText(w, "User Name", "Record my changes as:",
                                        QLineEdit.EchoMode.Normal, identity.user_name())
        if not ok:
            return
        try:
            identity.set_user_name(name.strip() or None)
        except ValueError as e:
            QMessageBox.warning(w, "User Name", str(e))
            return
        w.settings.setValue(USER_KEY, name.strip())
        w.status(f"Changes are recorded as {identity.user_name()}")

    # ------------------------------------------------------------ project and image
    def _project(self):
        session = self.window.session
        return session.project if session is not None else None

    def _on_project(self, project) -> None:
        self._stop()
        if project is None:
            return
        self.renew.start()
        if project.shared:
            try:
                self.listener = ChangeListener.start(project, self._changed.emit)
            except Exception as e:  # noqa: BLE001 - no notifications: the app still works
                log.warning("no change notifications for %s: %s", project.address, e)

    def _on_image(self, rec) -> None:
        project = self._project()
        if project is None:
            self.leased = None
            return
        if self.leased is not None and (rec is None or rec.id != self.leased):
            self._release(project, self.leased)
        if self.read_only is not None and self.window.saving.path is not None:
            self.window.saving.path.set_read_only(self.read_only, None)
            self.read_only = None
        if rec is None:
            return
        if project.read_only:
            self.window.status(f"{project.address}: read-only for your database role: browse "
                               "and export; edits are refused", 0)
            return
        try:
            holder = leases.take(project, rec.id)
            if holder is not None and _dead_here(holder.session):
                # a lease left by an app on this machine that was killed: nobody has the image
                leases.release(project, rec.id, session=holder.session)
                holder = leases.take(project, rec.id)
        except Exception as e:  # noqa: BLE001 - a lease is advice: never block the image
            log.warning("lease on image %s not taken: %s", rec.id, e)
            return
        self.leased = rec.id if holder is None else None
        path = self.window.saving.path
        if holder is not None:
            why = f"{rec.name} is open by {holder.user_name}: read-only here until they leave it"
            if path is not None:
                path.set_read_only(rec.id, why)
            self.read_only = rec.id
            self.window.status(f"Read-only: {holder.user_name} has {rec.name} open", 0)
        elif path is not None:
            path.set_read_only(rec.id, None)

    def _renew(self) -> None:
        project = self._project()
        if project is not None and self.read_only is not None:
            self._retake(project, self.read_only)
        if project is None or self.leased is None:
            return
        try:
            if leases.renew(project, [self.leased]):
                who = leases.holder(project, self.leased)
                self.window.status(f"Your hold on this image lapsed and "
                                   f"{who.user_name if who else 'someone'} took it", 0)
                self.leased = None
        except Exception as e:  # noqa: BLE001 - the next renewal tries again
            log.warning("lease renewal failed: %s", e)

    def _retake(self, project, image_id: int) -> None:
        """The image shown read-only: editable as soon as its holder has left it (released, or
        their lease lapsed), without the user having to open another image and come back."""
        rec = self.window.current_image()
        if rec is None or rec.id != image_id:
            return
        try:
            if leases.take(project, image_id) is not None:
                return  # still theirs
        except Exception as e:  # noqa: BLE001 - the next renewal tries again
            log.warning("lease on image %s not taken: %s", image_id, e)
            return
        self.leased, self.read_only = image_id, None
        if self.window.saving.path is not None:
            self.window.saving.path.set_read_only(image_id, None)
        self.window.status(f"{rec.name} is free now: your edits are saved again", 6000)

    def _release(self, project, image_id: int) -> None:
        try:
            leases.release(project, image_id)
        except Exception as e:  # noqa: BLE001 - it lapses by itself
            log.warning("lease on image %s not released: %s", image_id, e)
        self.leased = None

    def _on_remote_change(self, table: str, image_id: int) -> None:
        project = self._project()
        panel = self.window.images_panel
        if project is None:
            return
        try:
            rec = project.image(image_id)
        except KeyError:  # removed: the list's rows and counts are read again
            panel.refresh()
            return
        from segstudio.store.image_query import fetch_records

        rec = fetch_records(project.conn, [image_id]).get(image_id, rec)  # with who has it open
        panel.update_record(rec)

    def _stop(self) -> None:
        self.renew.stop()
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
        project = self._project()
        if project is not None and self.leased is not None:
            self._release(project, self.leased)
        self.leased = None


def _dead_here(session: str) -> bool:
    """Whether a lease's session ("host:pid:tag") is an app on this machine that no longer runs
    (killed, crashed: its lease would keep the image read-only until it lapses)."""
    host, _, rest = session.partition(":")
    pid_text = rest.partition(":")[0]
    if os.name != "posix" or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def install(window) -> None:
    window.features.team = TeamFeature(window)
