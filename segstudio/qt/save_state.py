"""Saving document edits without freezing the window, and saying so when it cannot.

The window's documents persist through a `store.writer.WritePath`: an edit is written at once
when the project's write lock is free; when another process holds it, the edit waits on a
thread of its own and the status bar says "Waiting for another SegStudio process…".  If the
lock is not released in time (`SEGSTUDIO_LOCK_WAIT`, 60 s) the edits still waiting are dropped,
every affected image is shown again as the database holds it (its undo history goes with the
edits) and the user is told why.  So the window never shows an edit the database does not hold
once the outcome is known, and the GUI thread never waits for another process.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from segstudio.store import Project
from segstudio.store.writer import WritePath

if TYPE_CHECKING:
    from segstudio.qt.main_window import MainWindow

log = logging.getLogger(__name__)

GUI_BUSY_S = 1.0


class SaveWatcher(QObject):
    # emitted from the writer thread; delivered on the GUI thread (queued connections)
    _waiting = Signal(object)  # seconds waited, or None when the lock was taken
    _failed = Signal(object, str)  # keys of the documents whose edits were dropped, why
    _idle = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.path: WritePath | None = None
        self.message_box: QMessageBox | None = None
        self._close_when_idle = False
        self._waiting.connect(self._show_waiting)
        self._failed.connect(self.revert)
        self._idle.connect(self._on_idle)

    def attach(self, project: Project) -> WritePath:
        # The window's other writes (categories, image status) are short statements or
        # transactions outside the write path: behind another process's lock they give up after GUI_BUSY_S instead of
        # freezing the window for the whole wait; the crash handler tells the user (one line).
        project.set_busy_timeout(GUI_BUSY_S)
        project.lock_wait = GUI_BUSY_S  # their transactions too (merge, delete a category)
        self.path = WritePath(project, on_wait=self._waiting.emit,
                              on_failed=lambda keys, why: self._failed.emit(keys, why),
                              on_idle=self._idle.emit)
        return self.path

    @property
    def idle(self) -> bool:
        return self.path is None or self.path.idle

    def close(self) -> None:
        """Stop the write path (its remaining writes are finished or dropped first)."""
        if self.path is not None:
            self.path.close()
            self.path = None

    def close_window_when_idle(self) -> None:
        self._close_when_idle = True
        self.window.status("Waiting for another SegStudio process before saving your last edits "
                           "and closing…", 0)

    def show_state(self) -> None:
        """The status bar's saved indicator after a document change."""
        if self.idle:
            self.window.status_bar.show_saved(True)
        else:
            self.window.status_bar.show_saved(False, "● Waiting to save…")

    # ------------------------------------------------------------ writer events
    def _show_waiting(self, waited: float | None) -> None:
        if waited is None:
            self.window.status("The other process finished; your edits are being saved", 4000)
            return
        self.window.status_bar.show_saved(False, "● Waiting to save…")
        self.window.status(f"Waiting for another SegStudio process to finish writing to the "
                           f"project ({waited:.0f} s); your edits are kept until then", 0)

    def _on_idle(self) -> None:
        self.window.status_bar.show_saved(True)
        self.window.status("All edits saved", 3000)
        if self._close_when_idle:
            self.window.close()

    def refused(self, why: str) -> None:
        """An edit the database refused at once: the command has put the document back (the
        history keeps every earlier step); only the user is left to tell."""
        text = f"Your last edit was not saved and has been taken back: {why}"
        log.warning(text)
        self.window.status_bar.show_saved(False, "● Edit not saved")
        self.window.status(text, 0)
        self._tell("Edit not saved", text)

    def _tell(self, title: str, text: str) -> None:
        box = self.message_box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                                             QMessageBox.StandardButton.Ok, self.window)
        box.setModal(False)  # tells; never blocks the window
        box.show()

    def revert(self, keys: list[Hashable], why: str) -> None:
        """Show `keys` as the database holds them and tell the user why their edits went."""
        window, session = self.window, self.window.session
        names = []
        if session is not None:
            current = window.current_image()
            for key in keys:
                image_id, frame, _label_set = key
                if key in session.pages:
                    session.reload(*key)  # the document as the database holds it
                with_name = _image_name(session.project, image_id)
                names.append(with_name if frame == 0 else f"{with_name} frame {frame}")
                if current is not None and (current.id, window.current_frame()) == (image_id, frame):
                    window.go_to_image(image_id, frame, force=True)
        if self.path is not None:
            self.path.reverted(keys)
        text = (f"Your last edits on {', '.join(names) or 'the project'} were not saved and have "
                f"been undone: {why}")
        log.warning(text)
        window.status_bar.show_saved(False, "● Edits not saved")
        window.status(text, 0)
        self._tell("Edits not saved", text)
        if self._close_when_idle:
            window.close()


def _image_name(project: Project, image_id: int) -> str:
    try:
        return project.image(image_id).name
    except KeyError:
        return f"image {image_id}"
