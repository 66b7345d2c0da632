"""Application start-up: QApplication, the main window, and the open-on-start logic."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from segstudio.qt.system_libs import install_hint, missing_packages, uses_xcb
from segstudio.qt.theme import apply_dark_theme
from segstudio.qt.window_state import fit_to_screen
from segstudio.store import Project, ProjectError
from segstudio.store.location import is_database_url
from segstudio.store.project import DB_NAME
from segstudio.store.sample import ensure_sample_project

APP_ICON = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app" / "segstudio-256.png"


def resolve_project(path: Path | None, sample: bool) -> Path | None:
    """A project folder for PATH: itself, a new project in an image folder, or the sample."""
    if sample:
        return ensure_sample_project()
    if path is None:
        return None
    if path.name == DB_NAME and path.is_file():  # opened through the desktop's file association
        path = path.parent
    if Project.is_project(path):
        return path
    if path.is_dir():
        with Project.create(path) as project:
            project.add_folder(path)
        return path
    raise ProjectError(f"{path}: neither a SegStudio project nor a folder of images")


def _prelabel_fresh_sample(window) -> None:
    """First opening of the sample: pre-label it with the built-in default model in the
    background (the batch dialog shows progress), so the app's main job is visible at once."""
    project = window.project
    assist = window.features.assist
    if project is None or assist is None:
        return
    if not any(r.kind == "image" and r.status == "new" for r in project.images()):
        # Done before (an interrupted run resumes: only the images still new).  Videos and frame
        # folders added to the sample are not pre-labelled: they showed an empty dialog.
        return
    # shown without taking the keyboard (the user's first keys go to the canvas), and closed by
    # itself once done: it stayed over the canvas and took every key of a first session
    dialog = assist.show_batch(activate=False)
    if dialog.scope() == "unlabelled":
        dialog.start(close_when_done=True)


def warn_missing_system_libs() -> None:
    """Qt aborts without a word a person can act on when X11 libraries are missing: say first
    which packages to install."""
    if QApplication.instance() is None and uses_xcb():
        missing = missing_packages()
        if missing:
            print(f"segstudio: {install_hint(missing)}", file=sys.stderr)


def enter_mode(window, mode: str) -> None:
    """Start in task `mode` (`segstudio open --mode`); Video shows the project's first video."""
    window.modes.activate(mode)
    rec, project = window.current_image(), window.project
    if mode == "video" and project is not None and (rec is None or rec.kind == "image"):
        video = next((r for r in project.images() if r.kind != "image"), None)
        if video is not None:
            window.go_to_image(video.id)


def _install_crash_handler(app: QApplication) -> None:
    """Crash reports: the window's own handler (segstudio.qt.crash)."""
    from segstudio.qt.crash import install_crash_handler

    try:
        install_crash_handler(app, None)  # None: the handler's own default log folder
    except Exception as e:  # a failing crash handler must not stop the app
        print(f"segstudio: crash handler not installed: {e}", file=sys.stderr)


def run_app(
    path: Path | None = None,
    *,
    sample: bool = False,
    screenshot: Path | None = None,
    quit_after: float | None = None,
    mode: str | None = None,
) -> int:
    from segstudio.qt.main_window import MainWindow

    warn_missing_system_libs()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SegStudio")
    app.setOrganizationName("SegStudio")
    app.setDesktopFileName("io.github.segstudio.SegStudio")
    app.setWindowIcon(QIcon(str(APP_ICON)))
    apply_dark_theme(app)
    _install_crash_handler(app)
    window = MainWindow()
    try:
        root = resolve_project(path, sample)
        team = window.features.team
        if root is not None and is_database_url(root) and team is not None:
            team.open_shared(str(root))  # asks for the image folder on a machine new to it
        elif root is not None:
            window.open_project(root)
    except (ProjectError, OSError) as e:
        QMessageBox.critical(window, "SegStudio", str(e))
    if mode is not None:
        enter_mode(window, mode)
    if screenshot is not None:
        window.resize(1600, 1000)  # a picture of the window, whatever the (virtual) screen
    else:
        fit_to_screen(window)
    window.show()
    if screenshot is not None:
        for _ in range(3):
            app.processEvents()
        window.canvas.fit()
        app.processEvents()
        window.grab().save(str(screenshot))
        window.close()
        return 0
    if sample:  # after the first frames, so start-up itself stays light (no torch)
        QTimer.singleShot(800, lambda: _prelabel_fresh_sample(window))
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), app.quit)
    return app.exec()
