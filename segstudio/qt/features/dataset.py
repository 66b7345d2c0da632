"""Dataset menu: import / export annotations, convert and validate datasets (any registered
format), each with a progress dialog and the report.

Jobs run on the feature's own one-thread worker (a long import must not hold one of the window's
two I/O threads that prefetch images, and the window's I/O handler expects image results) with
their own project connection (SQLite WAL: the GUI keeps reading while an import writes its single
transaction).  After an import the image list, the
categories and the current document are refreshed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from segstudio.qt.dataset.dialogs import ExportDialog, ImportDialog
from segstudio.qt.dataset.progress import TaskDialog
from segstudio.qt.workers import Worker


def import_job(root, fmt: str, src, options: dict, dry_run: bool):
    """Qt-free job body: import into the project at `root` through a fresh connection."""

    def run(cancel, progress):
        from segstudio.io import registry
        from segstudio.store.project import Project

        with Project.open(root) as project:
            return registry.import_into(fmt, src, project, options, dry_run=dry_run,
                                        progress=progress, cancel=cancel)

    return run


def convert_job(fmt_in: str, src, in_options: dict, fmt_out: str, dst, out_options: dict):
    def run(cancel, progress):
        from segstudio.io import registry

        in_opts = {k: v for k, v in in_options.items() if k != "mode"}
        irep, erep = registry.convert(fmt_in, src, fmt_out, dst, in_opts, out_options, progress, cancel)
        return _Joined(irep, erep)

    return run


def validate_job(fmt: str, path, options: dict):
    def run(cancel, progress):
        from segstudio.io import registry

        opts = {k: v for k, v in options.items() if k != "mode"}
        return registry.validate(fmt, path, opts)

    return run


class _Joined:
    """Both reports of a conversion, shown one after the other."""

    def __init__(self, *reports) -> None:
        self.reports = reports
        self.instances = reports[-1].instances

    def text(self) -> str:
        return "\n\n".join(r.text() for r in self.reports)


def export_job(root, fmt: str, dst, options: dict):
    def run(cancel, progress):
        from segstudio.io import registry
        from segstudio.store.project import Project

        with Project.open(root) as project:
            return registry.export(fmt, project, dst, options, progress, cancel)

    return run


class DatasetFeature(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("dataset_feature")
        self.window = window
        self.worker = Worker(threads=1, parent=self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.worker.shutdown)
        menu = window.menu("Dataset")
        self.import_action = QAction("&Import Annotations…", self)
        self.import_action.setObjectName("action_dataset_import")
        self.import_action.triggered.connect(self.import_dialog)
        self.export_action = QAction("&Export Annotations…", self)
        self.export_action.setObjectName("action_dataset_export")
        self.export_action.triggered.connect(self.export_dialog)
        self.convert_action = QAction("&Convert Dataset…", self)
        self.convert_action.setObjectName("action_dataset_convert")
        self.convert_action.triggered.connect(self.convert_dialog)
        self.validate_action = QAction("&Validate Dataset…", self)
        self.validate_action.setObjectName("action_dataset_validate")
        self.validate_action.triggered.connect(self.validate_dialog)
        menu.addAction(self.import_action)
        menu.addAction(self.export_action)
        menu.addSeparator()
        menu.addAction(self.convert_action)
        menu.addAction(self.validate_action)
        self.last_dialog: TaskDialog | None = None

    def _project_root(self):
        project = self.window.project
        if project is None:
            QMessageBox.information(self.window, "Dataset", "Open a project first.")
            return None
        return project.root

    def import_dialog(self) -> None:
        root = self._project_root()
        if root is None:
            return
        dlg = ImportDialog(self.window)
        if dlg.exec():
            self.run_import(*dlg.values())

    def export_dialog(self) -> None:
        root = self._project_root()
        if root is None:
            return
        dlg = ExportDialog(self.window)
        if dlg.exec():
            self.run_export(*dlg.values())

    def convert_dialog(self) -> None:
        src = ImportDialog(self.window, "Convert: read", reading_only=True)
        if not src.exec():
            return
        dst = ExportDialog(self.window, "Convert: write")
        if dst.exec():
            fmt_in, path_in, in_opts, _ = src.values()
            self.run_convert(fmt_in, path_in, in_opts, *dst.values())

    def validate_dialog(self) -> None:
        dlg = ImportDialog(self.window, "Validate Dataset", reading_only=True)
        if dlg.exec():
            fmt, path, opts, _ = dlg.values()
            self.run_validate(fmt, path, opts)

    def run_convert(self, fmt_in, src, in_opts, fmt_out, dst, out_opts, modal: bool = True) -> TaskDialog:
        task = TaskDialog(self.worker, f"Convert {fmt_in} to {fmt_out}", self.window)
        task.start(convert_job(fmt_in, src, in_opts, fmt_out, dst, out_opts))
        return self._show(task, modal)

    def run_validate(self, fmt, path, opts, modal: bool = True) -> TaskDialog:
        task = TaskDialog(self.worker, f"Validate {fmt}", self.window)
        task.start(validate_job(fmt, path, opts))
        return self._show(task, modal)

    def run_import(self, fmt: str, src, options: dict, dry_run: bool = False, modal: bool = True) -> TaskDialog:
        root = self.window.project.root
        title = f"{'Dry run: ' if dry_run else ''}Import {fmt}"
        task = TaskDialog(self.worker, title, self.window)
        if not dry_run:
            task.done_with.connect(self._after_import)
        task.start(import_job(root, fmt, src, options, dry_run))
        return self._show(task, modal)

    def run_export(self, fmt: str, dst, options: dict, modal: bool = True) -> TaskDialog:
        root = self.window.project.root
        task = TaskDialog(self.worker, f"Export {fmt}", self.window)
        task.done_with.connect(lambda rep: self.window.status(f"Exported {rep.instances} instances to {dst}"))
        task.start(export_job(root, fmt, dst, options))
        return self._show(task, modal)

    def _show(self, task: TaskDialog, modal: bool) -> TaskDialog:
        self.last_dialog = task
        if modal:
            task.exec()
        else:
            task.show()
        return task

    def _after_import(self, rep) -> None:
        w = self.window
        w.sync_categories()
        w.refresh_image_list()
        w.reload_document()
        w.status(f"Imported {rep.instances} instances into {rep.images} images")


def install(window) -> None:
    DatasetFeature(window)
