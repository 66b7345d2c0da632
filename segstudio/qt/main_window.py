"""Main window: composition of the canvas, docks, actions and the session, plus the public
API feature modules use (see docs/canvas.md, "Extension API").  Behaviour lives in the composed parts."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from segstudio.app.session import Session
from segstudio.core.document import ChangeRefused, DocumentChange, ImageDocument
from segstudio.core.history import Command, History
from segstudio.core.tools import BUILTIN_TOOLS, BaseTool
from segstudio.io.images import ImageLoadError, LoadedImage
from segstudio.qt import _refcount_guard, file_dialogs, window_slots, window_state
from segstudio.qt import settings as prefs
from segstudio.qt.actions import build_actions, shortcut_rows
from segstudio.qt.canvas import CanvasView
from segstudio.qt.context import Features
from segstudio.qt.controller import EditController
from segstudio.qt.dialogs import ShortcutsDialog
from segstudio.qt.layout import (
    LEFT,
    RIGHT,
    build_docks,
    build_toolbars,
    build_view_menu,
    scrollable,
)
from segstudio.qt.modes import TaskModes
from segstudio.qt.pixel_view import PixelView
from segstudio.qt.save_state import SaveWatcher
from segstudio.qt.statusbar import StatusBar
from segstudio.qt.tool_options_view import ToolOptionsView
from segstudio.qt.welcome import WelcomeView
from segstudio.qt.workers import Worker
from segstudio.store import DatabaseError, Project, ProjectError
from segstudio.store.project import ImageRecord
from segstudio.store.status import is_unworked

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    image_changed = Signal(object)  # ImageRecord | None
    document_changed = Signal(object)  # DocumentChange
    project_opened = Signal(object)  # Project
    project_closing = Signal(object)  # Project, still open
    categories_changed = Signal(object)  # CategorySet: added, renamed, recoloured (any source)

    def __init__(self, *, install_features: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("SegStudio")
        self.setDockNestingEnabled(True)
        self.settings = prefs.app_settings()
        self.worker = Worker(threads=1, parent=self)
        self.io_worker = Worker(threads=2, parent=self)
        self.session: Session | None = None
        self._record: ImageRecord | None = None
        self._frame = 0
        self._data: LoadedImage | None = None
        self._document: ImageDocument | None = None
        self._history: History | None = None
        self._shown_categories: tuple = ()  # (id, name, colour) of the categories on screen
        self._menus: dict[str, QMenu] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.features = Features()  # installed features, found here (segstudio.qt.context)
        self.geometry_restored = False
        self.controller = EditController(self)
        self.saving = SaveWatcher(self)  # edits never wait on the GUI thread for another process
        self.canvas = CanvasView()
        self.canvas.tool_context = self.controller
        self.welcome = WelcomeView()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.canvas)
        self.setCentralWidget(self.stack)
        self.status_bar = StatusBar()
        self.setStatusBar(self.status_bar)
        for title in ("File", "Edit", "View", "Image", "Tools"):
            self.menu(title)
        self.actions, self.tool_group = build_actions(self, window_slots.slots(self))
        self.modes = TaskModes(self)
        self._panels_menu, self.mode_switcher = build_view_menu(self)
        self.menu("Help")  # feature menus go between Tools and Help
        panels = build_docks(self)
        self.images_panel = panels.images
        self.categories_panel = panels.categories
        self.instances_panel = panels.instances
        self.properties_panel = panels.properties
        self.display_panel = panels.display
        self.pixels = PixelView(self.canvas, self.display_panel, self.status_bar)
        bars = build_toolbars(self)
        self.tools_toolbar, self.main_toolbar = bars.tools, bars.main
        self.operation_combo, self.brush_spin, self.tolerance_spin = bars.operation_combo, bars.brush_spin, bars.tolerance_spin
        self.tools: dict[str, BaseTool] = {cls.name: cls() for cls in BUILTIN_TOOLS}
        self._wire()
        self._restore_settings()
        self.welcome.set_recent(prefs.recent_projects(self.settings))
        self._update_enabled()
        if _refcount_guard.install():  # PySide6 6.12.0 only: keep None/True/False alive
            self._guard_timer = QTimer(self, interval=10_000)
            self._guard_timer.timeout.connect(_refcount_guard.top_up)
            self._guard_timer.start()
        self.feature_errors: dict[str, str | None] = {}
        if install_features:
            from segstudio.qt.features import install_all

            self.feature_errors = install_all(self)
        self.modes.restore(self.settings)  # every panel exists only now
        window_slots.build_recent_menu(self)

    # ================================================================ public API
    @property
    def project(self) -> Project | None:
        return self.session.project if self.session is not None else None

    def current_image(self) -> ImageRecord | None:
        return self._record

    def current_frame(self) -> int:
        return self._frame

    def current_image_data(self) -> LoadedImage | None:
        return self._data

    def current_document(self) -> ImageDocument | None:
        return self._document

    def current_history(self) -> History | None:
        return self._history

    def push_command(self, cmd: Command) -> None:
        self._history_step(lambda h: h.push(cmd))

    def undo(self) -> None:
        self._history_step(lambda h: h.undo())

    def redo(self) -> None:
        self._history_step(lambda h: h.redo())

    def _history_step(self, step) -> None:
        """One step of the current image's history, all or nothing: an edit the database
        refuses is taken back (document, views and history as before) and the user told."""
        if self._history is None:
            return
        try:
            step(self._history)
        except ChangeRefused as e:
            self.saving.refused(str(e))
        except (DatabaseError, ProjectError) as e:  # not written: show what the database holds
            doc = self._document
            self.saving.revert([(doc.image_id, doc.frame, doc.label_set)] if doc else [], str(e))

    def selected_instance_ids(self) -> list[int]:
        return list(self.canvas.selected)

    def select_instances(self, ids: list[int]) -> None:
        doc = self._document
        ids = [int(i) for i in ids if doc is not None and i in doc]
        self.canvas.set_selection(ids)
        self.instances_panel.select(ids)
        self._show_properties()

    def current_category_id(self) -> int | None:
        return self.categories_panel.current_id()

    def menu(self, title: str) -> QMenu:
        key = title.replace("&", "")
        m = self._menus.get(key)
        if m is None:
            m = QMenu(title if "&" in title else f"&{title}", self)
            help_menu = self._menus.get("Help")
            if help_menu is not None:
                self.menuBar().insertMenu(help_menu.menuAction(), m)
            else:
                self.menuBar().addMenu(m)
            self._menus[key] = m
        return m

    def add_dock(self, widget: QWidget, title: str, area=RIGHT, object_name: str | None = None,
                 modes: dict[str, str] | None = None) -> QDockWidget:
        """A panel, shown in the task `modes` given as {mode: place} (segstudio.qt.modes); without
        `modes`, in Annotate at `area`.  The panel scrolls inside its dock when the window is
        small, so no panel can push the window past the screen."""
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name or f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(scrollable(widget))
        self.addDockWidget(area, dock)
        dock.hide()  # the task mode decides what shows
        self.docks[dock.objectName()] = dock
        self._panels_menu.addAction(dock.toggleViewAction())
        if modes is None:
            modes = {"annotate": {LEFT: "left", RIGHT: "right-lower"}.get(area, "bottom")}
        for mode, place in modes.items():
            self.modes.place(dock, mode, place)
        self.modes.watch(dock)
        return dock

    def show_dock(self, dock: QDockWidget) -> None:
        """Show and raise a panel, entering a task mode that has it if the current one has not."""
        self.modes.show_panel(dock)

    def add_toolbar_action(self, action: QAction) -> None:
        self.main_toolbar.addAction(action)

    def add_tool_action(self, action: QAction, tool_name: str) -> None:
        """A feature's canvas tool in the tool strip: checked while the canvas tool named
        `tool_name` is active, whoever activated it (its action, a panel button, a key)."""
        action.setCheckable(True)
        action.setProperty("tool_name", tool_name)
        self.tool_group.addAction(action)
        self.tools_toolbar.addAction(action)

    def _on_tool_set(self, tool) -> None:
        """Keep the tool strip's check on the active tool; none for tools without a button."""
        name = getattr(tool, "name", None)
        act = next((a for a in self.tool_group.actions() if a.property("tool_name") == name), None)
        if act is None:
            checked = self.tool_group.checkedAction()
            if checked is not None:
                checked.setChecked(False)
        elif not act.isChecked():
            act.setChecked(True)

    def status(self, msg: str, ms: int = 4000) -> None:
        self.statusBar().showMessage(msg, ms)

    def refresh_image_list(self) -> None:
        self.images_panel.refresh()
        self.sync_categories()  # a batch job that changed images may have added categories

    def sync_categories(self) -> bool:
        """Show the store's categories if they differ from what the window shows: a pre-label
        or an import adds categories ("foreground") behind the panels' back.  True if changed."""
        if self.project is None:
            return False
        if _category_state(self.project.categories()) == self._shown_categories:
            return False
        self.categories_panel.refresh()
        self._categories_changed()
        return True

    def reload_document(self) -> None:
        self.sync_categories()
        if self.session is not None and self._record is not None:
            self.session.reload(self._record.id, self._frame)
            self.go_to_image(self._record.id, self._frame, force=True)

    # ================================================================ projects
    def open_project(self, root: str | Path) -> bool:
        try:
            project = Project.open(root)
        except ProjectError as e:
            QMessageBox.critical(self, "Open project", str(e))
            return False
        self.close_project()
        self.modes.dock_floating_panels()
        self.session = Session(project, self.saving.attach(project))
        file_dialogs.set_project_folder(project.root)
        prefs.add_recent_project(self.settings, project.address)
        self.welcome.set_recent(prefs.recent_projects(self.settings))
        self.images_panel.set_project(project)
        self.categories_panel.set_project(project)
        self._categories_changed()
        self.stack.setCurrentWidget(self.canvas)
        self._update_enabled()
        self.project_opened.emit(project)
        last = prefs.value(self.settings, f"last_image/{project.root.resolve()}", 0, int)
        first = last if last and project.has_image(last) else project.first_image_id()
        if first is not None:
            self.go_to_image(first)
        else:
            self._update_title()
        if not len(project.categories()) and not self.statusBar().currentMessage():
            self.status("No categories yet: add one in the Categories dock to start annotating", 15000)
        return True

    def open_folder(self, folder: str | Path) -> bool:
        folder = Path(folder)
        if not Project.is_project(folder):
            try:
                with Project.create(folder) as p:
                    report = p.add_folder(folder)
                self.status(f"Created a project in {folder} with {len(report.found)} images")
            except (ProjectError, OSError) as e:
                QMessageBox.critical(self, "Open folder", str(e))
                return False
        return self.open_project(folder)

    def close_project(self) -> None:
        if self.session is None:
            return
        self.project_closing.emit(self.session.project)
        self.worker.cancel_all()
        self.io_worker.cancel_all()
        self.canvas.set_document(None)
        self.canvas.set_image(None)
        self.saving.close()
        self.session.close()
        self.session = None
        file_dialogs.set_project_folder(None)
        self._record, self._data, self._document, self._history = None, None, None, None
        self.images_panel.set_project(None)
        self.categories_panel.set_project(None)
        self.instances_panel.set_document(None)
        self.modes.dock_floating_panels()
        self.stack.setCurrentWidget(self.welcome)
        self._update_title()
        self._update_enabled()
        self.image_changed.emit(None)

    # ================================================================ navigation
    def go_to_image(self, image_id: int, frame: int = 0, *, force: bool = False) -> bool:
        if self.session is None:
            return False
        if not force and self._record is not None and (self._record.id, self._frame) == (image_id, frame):
            return True
        try:
            rec = self.session.project.image(image_id)
        except KeyError:
            self.status(f"No image with id {image_id}")
            return False
        if self.canvas.tool is not None:
            self.canvas.tool.cancel()
        if self._document is not None:
            self._document.changed.disconnect(self._on_document_changed)
            self._document.clear_proposal()
        if self._history is not None:
            self._history.changed.disconnect(self._update_undo_actions)
        preview = self.session.quick_preview(rec) if frame == 0 else None
        # A huge JPEG shows a 1/8 decode now; other big images show their annotations on an
        # empty canvas: the full image arrives from the I/O pool and the window never stalls.
        if preview is not None or (frame == 0 and self.session.loads_in_background(rec)):
            data, note = None, "Loading full resolution…"
            self.io_worker.submit("full-image", self.session.load_job(rec))
        else:
            try:
                data = self.session.load_pixels(rec, frame)
                note = "; ".join(data.notes)
            except ImageLoadError as e:
                data, note = None, str(e)
        page = self.session.page(rec.id, frame)
        same_item = self._record is not None and self._record.id == rec.id  # another frame: keep the view
        self._record, self._frame, self._data = rec, frame, data
        self._document, self._history = page.document, page.history
        self._document.changed.connect(self._on_document_changed)
        self._history.changed.connect(self._update_undo_actions)
        self._show_pixels(fit=not same_item, preview=preview)
        self.canvas.set_document(self._document)
        self.instances_panel.set_document(self._document)
        self.images_panel.set_current(rec.id)
        self.settings.setValue(f"last_image/{self.session.root.resolve()}", rec.id)
        self._update_title()
        self._update_undo_actions()
        self._show_properties()
        self.status_bar.show_index(self.images_panel.position(rec.id), self.images_panel.count())
        self.saving.show_state()
        if note:
            self.status(note, 8000)
        if not self.images_panel.list.hasFocus():
            self.canvas.setFocus()  # Enter / Esc / Space reach the canvas at once
        self.image_changed.emit(rec)
        self._prefetch_next()
        return True

    def _prefetch_next(self) -> None:
        """Decode the next image in the list on the I/O pool, so 'next' is instant."""
        if self.session is None or self._record is None or self.images_panel.position(self._record.id) is None:
            return
        nxt = self.images_panel.neighbour(self._record.id, 1)
        if nxt is not None:
            job = self.session.prefetch_job(self.session.project.image(nxt))
            if job is not None:
                self.io_worker.submit("prefetch", job, priority=-1)

    def _on_io_finished(self, job_id: int, kind: str, result: object) -> None:
        if self.session is None or kind not in ("prefetch", "full-image"):
            return  # features share the I/O pool: leave their jobs alone
        image_id, data = result  # type: ignore[misc]
        if kind == "prefetch":
            self.session.keep_prefetched(image_id, data)
        elif kind == "full-image" and self._record is not None and self._record.id == image_id and self._data is None:
            self._data = data
            self._show_pixels()
            self.status("; ".join(data.notes) or "Full resolution loaded", 3000)

    def _on_io_failed(self, error) -> None:
        if error.kind == "full-image":
            self.status(error.message, 10000)

    def _show_pixels(self, fit: bool = False, preview: tuple | None = None) -> None:
        self.pixels.show(self._record, self._data, fit, preview)

    def step_image(self, delta: int) -> None:
        if not self.images_panel.count():
            return
        nxt = self.images_panel.neighbour(self._record.id if self._record is not None else None, delta)
        if nxt is not None:
            self.go_to_image(nxt)
        else:
            self.status("Last image" if delta > 0 else "First image")

    def set_image_status(self, status: str) -> None:
        if self.project is None or self._record is None:
            return
        self.project.set_status(self._record.id, status)
        previous, self._record = self._record, self.project.image(self._record.id)
        self.images_panel.update_record(self._record, previous)

    # ================================================================ internals
    def _wire(self) -> None:
        cv, c = self.canvas, self.controller
        self.io_worker.finished.connect(self._on_io_finished)
        self.io_worker.failed.connect(self._on_io_failed)
        cv.accept_requested.connect(c.accept_proposal)
        cv.discard_requested.connect(c.discard_proposal)
        cv.cursor_moved.connect(lambda pos: self.status_bar.show_cursor(pos, self._data.data if self._data else None))
        cv.zoom_changed.connect(self.status_bar.show_zoom)
        cv.tool_set.connect(self._on_tool_set)
        self.welcome.open_folder.connect(partial(window_slots.ask_open_folder, self))
        self.welcome.open_project.connect(partial(window_slots.ask_open_project, self))
        self.welcome.open_sample.connect(partial(window_slots.open_sample, self))
        self.welcome.open_recent.connect(self.open_project)
        self.images_panel.image_activated.connect(self.go_to_image)
        self.categories_panel.categories_changed.connect(self._categories_changed)
        self.categories_panel.instances_changed.connect(self._store_rewritten)
        self.instances_panel.selection_changed.connect(self._on_list_selection)
        self.instances_panel.hidden_changed.connect(cv.set_hidden)
        self.instances_panel.locked_changed.connect(lambda s: setattr(c.options, "locked", set(s)))
        self.instances_panel.reorder_requested.connect(c.reorder)
        self.instances_panel.delete_requested.connect(c.delete_selected)
        self.instances_panel.category_requested.connect(c.set_category)
        self.properties_panel.attributes_edited.connect(c.set_attributes)
        self.display_panel.overlay_changed.connect(self._on_overlay_changed)
        self.display_panel.window_changed.connect(self._on_window_changed)
        # ToolOptions is the one copy of these settings; the widgets assign it and mirror it
        self.tool_options_view = ToolOptionsView(c.options, cv, self.actions, self.operation_combo,
                                                 self.brush_spin, self.tolerance_spin)

    def show_tool_options(self) -> None:
        self.tool_options_view.show_all()

    def set_tool(self, name: str) -> None:
        tool = self.tools.get(name)
        if tool is None or tool is self.canvas.tool:
            return
        self.canvas.set_tool(tool)
        act = self.actions.get(f"tool_{name}")
        if act is not None and not act.isChecked():
            act.setChecked(True)
        self.settings.setValue("tool", name)
        self.status(f"{tool.label} tool", 2000)

    def delete_selected(self) -> None:
        """Delete: the vertex tool deletes its vertex, otherwise the selected instances go."""
        tool = self.canvas.tool
        if tool is not None and tool.key("Delete", 0):  # the vertex tool deletes its vertex
            return
        self.controller.delete_selected()

    def _on_document_changed(self, change: DocumentChange) -> None:
        doc = self._document
        if doc is not None and any((inst := doc.find(i)) is not None and inst.category_id not in self.canvas.colors
                                   for i in change.added | change.modified):
            self.sync_categories()  # an instance of a category the window has not seen
        self.instances_panel.refresh(self.canvas.selected)
        self._show_properties()
        self.saving.show_state()
        if self._record is not None and self.project is not None and is_unworked(self._record.status):
            previous, self._record = self._record, self.project.image(self._record.id)
            self.images_panel.update_record(self._record, previous)
        self.document_changed.emit(change)

    def _on_list_selection(self, ids: list[int]) -> None:
        self.canvas.set_selection(ids)
        self._show_properties()

    def _show_properties(self) -> None:
        ids = self.canvas.selected
        doc = self._document
        inst = doc.find(ids[0]) if doc is not None and len(ids) == 1 else None
        cats = self.project.categories() if self.project is not None else None
        if cats is not None:
            self.properties_panel.show_instance(inst, cats, len(ids))

    def _categories_changed(self) -> None:
        if self.project is None:
            return
        cats = self.project.categories()
        self._shown_categories = _category_state(cats)
        self.canvas.set_category_colors({c.id: c.color for c in cats}, {c.id for c in cats if c.ignore})
        self.instances_panel.set_categories(cats)
        self.images_panel.fill_categories()
        self.categories_changed.emit(cats)

    def _store_rewritten(self) -> None:
        """Category delete/merge changed instances in the store: re-read every open document."""
        if self.session is None:
            return
        for key in list(self.session.pages):
            if self._record is None or key[:2] != (self._record.id, self._frame):
                self.session.pages.pop(key).persister.detach()
        self._categories_changed()
        self.images_panel.refresh()  # a category filter's images changed
        self.reload_document()

    def _update_undo_actions(self) -> None:
        h = self._history
        undo, redo = self.actions["undo"], self.actions["redo"]
        undo.setEnabled(h is not None and h.can_undo)
        redo.setEnabled(h is not None and h.can_redo)
        undo.setText(f"&Undo {h.undo_label}" if h is not None and h.can_undo else "&Undo")
        redo.setText(f"&Redo {h.redo_label}" if h is not None and h.can_redo else "&Redo")

    def _update_title(self) -> None:
        parts = ["SegStudio"]
        if self.session is not None:
            parts.append(self.session.project.name)
            if self._record is not None:
                # 0-based, as on the timeline, in the status bar and in the CLI (--frame 0)
                frame = f" (frame {self._frame})" if self._record.kind != "image" else ""
                parts.append(self._record.name + frame)
        self.setWindowTitle(" — ".join(reversed(parts)) if len(parts) > 1 else parts[0])

    def _update_enabled(self) -> None:
        open_ = self.session is not None
        for key, act in self.actions.items():
            if key not in ("open_folder", "open_project", "open_sample", "quit", "shortcuts", "about"):
                act.setEnabled(open_)
        if open_:
            self._update_undo_actions()

    def _on_overlay_changed(self, opacity: float, mode: str, visible: bool) -> None:
        self.canvas.set_overlay_style(opacity=opacity, mode=mode, visible=visible)
        self.actions["toggle_overlay"].blockSignals(True)
        self.actions["toggle_overlay"].setChecked(visible)
        self.actions["toggle_overlay"].blockSignals(False)

    def _on_window_changed(self, window) -> None:
        if self._record is None or self._data is None:
            return
        self.pixels.set_window(self._record.id, window)
        self._show_pixels()

    def show_shortcuts(self) -> ShortcutsDialog:
        dlg = ShortcutsDialog(shortcut_rows(self), self)
        dlg.show()
        return dlg

    # ================================================================ settings
    def _restore_settings(self) -> None:
        window_state.restore(self)

    def save_settings(self) -> None:
        window_state.save(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Every edit is already in the store: closing never asks and never loses work.  Edits
        # waiting for another process's write lock are saved (or reported) first, without
        # blocking the window.
        if not self.saving.idle:
            event.ignore()
            self.saving.close_window_when_idle()
            return
        self.save_settings()
        self.worker.shutdown()
        self.io_worker.shutdown()
        self.images_panel.shutdown()
        # Deliver the finished/cancelled notifications the threads queued before stopping,
        # so the workers report idle once the window is closed.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.MetaCall)
        self.close_project()
        super().closeEvent(event)


def _category_state(cats) -> tuple:
    """What the window shows of the categories: a change in any of it needs a refresh."""
    return tuple((c.id, c.name, c.color, c.ignore) for c in cats)


__all__ = ["MainWindow"]
