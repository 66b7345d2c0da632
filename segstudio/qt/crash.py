"""Crash reports: unhandled exceptions become a dialog and a log file, never a lost project.

`install_crash_handler(app, log_dir)` is called once by `run_app`. It

* attaches a rotating app log (`segstudio.log`, 1 MiB x 5) to the root logger and routes Qt's own
  warnings into it;
* replaces `sys.excepthook` and `threading.excepthook`: every unhandled exception is logged and
  written to its own `crash-<time>-<pid>.log` (traceback, versions, platform, the tail of the app
  log), then a dialog shows the traceback with a "Copy" button;
* enables `faulthandler` into `faulthandler.log` so a hard crash (segfault in a native library)
  still leaves a Python stack behind.

Why the project is safe: every edit is committed per gesture by the store, and a `with
project.transaction()` block rolls back while the exception unwinds, before any hook runs. The
dialog is never shown from inside the hook itself: it is queued to the GUI thread's event loop, so
it cannot re-enter code that was half-way through a database write, and exceptions from worker
threads reach the GUI thread only through a queued signal. The handler never closes, commits or
rolls back a database connection; "Quit" goes through `QApplication.quit()`, the normal shutdown
path where the main window closes its project.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import logging.handlers
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import (
    QObject,
    Qt,
    QThread,
    QtMsgType,
    QUrl,
    Signal,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

log = logging.getLogger("segstudio.crash")

APP_LOG_NAME = "segstudio.log"
APP_LOG_BYTES = 1 << 20
APP_LOG_BACKUPS = 5
MAX_CRASH_FILES = 50  # older crash-*.log files are pruned so the folder cannot grow forever
HEADLESS_PLATFORMS = {"offscreen", "minimal"}


def default_log_dir() -> Path:
    """Where logs go: $SEGSTUDIO_LOG_DIR, else next to the user data, per platform convention."""
    if env := os.environ.get("SEGSTUDIO_LOG_DIR"):
        return Path(env)
    if env := os.environ.get("SEGSTUDIO_DATA_DIR"):
        return Path(env) / "logs"
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return (Path(base) if base else home / "AppData" / "Local") / "SegStudio" / "Logs"
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "SegStudio"
    state = os.environ.get("XDG_STATE_HOME")
    return (Path(state) if state else home / ".local" / "state") / "segstudio" / "logs"


@dataclass(frozen=True)
class CrashReport:
    """One unhandled exception, as written to disk and shown in the dialog."""

    title: str  # "ValueError: bad value"
    thread: str
    traceback: str
    environment: str
    log_file: Path | None

    def text(self) -> str:
        """The whole report as plain text (what "Copy" puts on the clipboard)."""
        where = f"Log file: {self.log_file}\n" if self.log_file else ""
        return f"{self.title}\nThread: {self.thread}\n{where}\n{self.traceback}\n{self.environment}"


def environment_summary() -> str:
    from segstudio import __version__

    try:
        from PySide6 import __version__ as pyside_version
        from PySide6.QtCore import qVersion

        qt = f"PySide6 {pyside_version}, Qt {qVersion()}"
    except Exception:  # the report must not fail because of the report
        qt = "Qt unknown"
    frozen = " (bundle)" if getattr(sys, "frozen", False) else ""
    return (
        f"SegStudio {__version__}{frozen}\n"
        f"Python {platform.python_version()} ({sys.executable})\n"
        f"{qt}\n"
        f"Platform: {platform.platform()}\n"
        f"Modules loaded: torch={'torch' in sys.modules}, onnxruntime={'onnxruntime' in sys.modules}\n"
    )


class CrashDialog(QDialog):
    """Traceback, where the log was written, and Copy / Open log folder / Continue / Quit."""

    def __init__(self, report: CrashReport, parent=None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("SegStudio - unexpected error")
        self.setObjectName("segstudioCrashDialog")
        self.resize(760, 480)
        where = f"<br>A report was written to <code>{report.log_file}</code>." if report.log_file else ""
        self.message = QLabel(
            f"<b>SegStudio hit an unexpected error:</b> {_html(report.title)}<br>"
            "Your project is safe: every edit is saved to the project as you make it. "
            "You can continue working, or quit and start again."
            f"{where}<br>Please include the text below when you report the problem."
        )
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(report.text())
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        buttons = QDialogButtonBox()
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy the error report to the clipboard")
        self.folder_button = QPushButton("Open log &folder")
        self.continue_button = QPushButton("C&ontinue")
        self.quit_button = QPushButton("&Quit SegStudio")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.folder_button.setEnabled(report.log_file is not None)
        self.continue_button.setDefault(True)

        self.copy_button.clicked.connect(self.copy_report)
        self.folder_button.clicked.connect(self._open_folder)
        self.continue_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self._quit)
        self.quit_requested = False

        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        # The text box, not just the first report: later errors of a storm are appended there.
        QGuiApplication.clipboard().setText(self.details.toPlainText())
        self.copy_button.setText("Copied")

    def _open_folder(self) -> None:
        if self.report.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report.log_file.parent)))

    def _quit(self) -> None:
        self.quit_requested = True
        self.reject()
        app = QApplication.instance()
        if app is not None:
            # Normal shutdown: the main window's close path closes the project between gestures.
            app.quit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Bridge(QObject):
    """Carries reports from any thread to the GUI thread (queued: never re-entrant)."""

    report = Signal(object)
    busy = Signal(str)

    def __init__(self, deliver, deliver_busy) -> None:
        super().__init__()
        self._deliver = deliver
        self._deliver_busy = deliver_busy
        # The receiver is this QObject (living on the GUI thread), so the slot runs there.
        self.report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)
        self.busy.connect(self._on_busy, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _on_report(self, report: object) -> None:
        self._deliver(report)

    @Slot(str)
    def _on_busy(self, message: str) -> None:
        self._deliver_busy(message)


def _refused_write(exc: BaseException) -> str | None:
    """What to tell the user when the project refused a write - an outcome, not a crash: the
    write was rolled back (or never began), so nothing on screen claims it happened.  Another
    process held the write lock, or the database role may only read (a shared project).
    None for anything else."""
    from segstudio.store.locking import ProjectLocked, is_locked_error
    from segstudio.store.pg_conn import ProjectReadOnly

    if isinstance(exc, ProjectReadOnly):
        return f"That change was not saved: {exc}"
    if isinstance(exc, ProjectLocked) or is_locked_error(exc):
        return ("That change was not saved: another SegStudio process is writing to the project. "
                f"Try again when it has finished.\n\n{exc}")
    return None


class CrashHandler:
    """The installed hooks; `uninstall()` restores the previous ones (used by tests)."""

    def __init__(self, app: QApplication, log_dir: Path) -> None:
        self.app = app
        self.log_dir = log_dir
        self.reports: list[CrashReport] = []
        self.dialog: CrashDialog | None = None
        self.pending: list[CrashReport] = []  # reports that arrived while a dialog was open
        self._seen: dict[str, int] = {}  # traceback text -> times seen
        self._lock = threading.Lock()
        self._prev_excepthook = sys.excepthook
        self._prev_threading_hook = threading.excepthook
        self._prev_qt_handler = None
        self._fault_file = None
        self._fault_was_enabled = faulthandler.is_enabled()
        self._log_handler: logging.Handler | None = None
        self._root_level = logging.getLogger().level
        self._bridge = _Bridge(self._show, self._show_busy)
        self.busy_box: QMessageBox | None = None
        self._bridge.moveToThread(app.thread())

    # ---------------------------------------------------------------- install
    def install(self) -> None:
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            # A read-only or broken home must not cost the crash reports: use the temp folder.
            user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
            fallback = Path(tempfile.gettempdir()) / f"segstudio-logs-{user}"
            if sys.stderr is not None:
                print(f"SegStudio: cannot create the log folder {self.log_dir} ({e.strerror}); "
                      f"logging to {fallback}", file=sys.stderr)
            self.log_dir = fallback
            self.log_dir.mkdir(parents=True, exist_ok=True)
        self._install_app_log()
        sys.excepthook = self._excepthook
        threading.excepthook = self._threading_hook
        self._prev_qt_handler = qInstallMessageHandler(self._qt_message)
        try:
            self._fault_file = open(self.log_dir / "faulthandler.log", "a", encoding="utf-8")  # noqa: SIM115
            faulthandler.enable(self._fault_file)
        except (OSError, RuntimeError, ValueError):
            # No real file descriptor (some frozen/pythonw set-ups): skip, the rest still works.
            self._fault_file = None
        log.info("SegStudio started (pid %d), logs in %s", os.getpid(), self.log_dir)

    def uninstall(self) -> None:
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._prev_excepthook
        if threading.excepthook == self._threading_hook:
            threading.excepthook = self._prev_threading_hook
        qInstallMessageHandler(self._prev_qt_handler)
        if self._fault_file is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None
            if self._fault_was_enabled and sys.__stderr__ is not None:
                faulthandler.enable(sys.__stderr__)
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            self._log_handler.close()
            self._log_handler = None
            logging.getLogger().setLevel(self._root_level)
        if self.dialog is not None:
            if shiboken6.isValid(self.dialog):  # gone already when its parent window was deleted
                self.dialog.close()
            self.dialog = None

    def _install_app_log(self) -> None:
        root = logging.getLogger()
        path = self.log_dir / APP_LOG_NAME
        for h in root.handlers:  # installed twice (tests, a second window): keep one handler
            if isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path:
                self._log_handler = None
                return
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=APP_LOG_BYTES, backupCount=APP_LOG_BACKUPS, encoding="utf-8", delay=True
        )
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s")
        )
        handler.setLevel(logging.INFO)
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)
        self._log_handler = handler

    # ---------------------------------------------------------------- hooks
    def _excepthook(self, exc_type, exc, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._prev_excepthook(exc_type, exc, tb)
            return
        self.handle(exc_type, exc, tb, threading.current_thread().name)

    def _threading_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "unknown thread"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, name)

    def _qt_message(self, mode: QtMsgType, context, message: str) -> None:
        level = {
            QtMsgType.QtDebugMsg: logging.DEBUG,
            QtMsgType.QtInfoMsg: logging.INFO,
            QtMsgType.QtWarningMsg: logging.WARNING,
            QtMsgType.QtCriticalMsg: logging.ERROR,
            QtMsgType.QtFatalMsg: logging.CRITICAL,
        }.get(mode, logging.WARNING)
        logging.getLogger("qt").log(level, "%s", message)
        if level >= logging.WARNING and sys.stderr is not None and sys.stderr.isatty():
            print(f"Qt: {message}", file=sys.stderr)  # a developer's terminal still sees them

    # ---------------------------------------------------------------- reporting
    def handle(self, exc_type, exc, tb, thread_name: str) -> CrashReport | None:
        """Log and write the report now; show the dialog from the GUI event loop.

        A repeat of an earlier traceback (a bug in a paint event fires at every repaint) is only
        counted in the app log: no new file, no new dialog text. Returns None for a repeat."""
        refused = _refused_write(exc)
        if refused is not None:
            log.warning("not saved, the project refused the write (%s): %s", thread_name, exc)
            self._bridge.busy.emit(refused)
            return None
        text = format_traceback(exc_type, exc, tb)
        title = f"{exc_type.__name__}: {exc}".strip().rstrip(":")
        with self._lock:
            seen = self._seen.get(text, 0) + 1
            self._seen[text] = seen
        if seen > 1:
            if seen & (seen - 1) == 0:  # 2, 4, 8, ...: the log stays readable during a storm
                log.error("the same unhandled exception again (%d times): %s", seen, title)
            return None
        log.critical("Unhandled exception in %s\n%s", thread_name, text)
        if sys.stderr is not None:  # None in a windowed bundle on Windows
            # Print as the default hook would, so terminals and CI logs still show it.
            print(text, file=sys.stderr, end="")
        report = CrashReport(title, thread_name, text, environment_summary(), None)
        log_file = self._write_report(report)
        report = CrashReport(title, thread_name, text, report.environment, log_file)
        with self._lock:
            self.reports.append(report)
        if QApplication.instance() is None:
            return report
        if QThread.currentThread() is self.app.thread() and not _loop_running(self.app):
            # No event loop (an exception before app.exec() or at exit): a queued dialog would
            # never show, so show it modally now on a display; headless, the log is enough.
            if QGuiApplication.platformName() not in HEADLESS_PLATFORMS:
                self._show(report)
            return report
        self._bridge.report.emit(report)  # queued: shown when the GUI thread is back in its loop
        return report

    def _write_report(self, report: CrashReport) -> Path | None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.log_dir / f"crash-{stamp}-{os.getpid()}-{len(self.reports) + 1}.log"
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            body = report.text() + "\n--- end of the app log ---\n" + _tail(self.log_dir / APP_LOG_NAME)
            path.write_text(body, encoding="utf-8")
            _prune(self.log_dir)
            return path
        except OSError as e:
            log.error("cannot write the crash report to %s: %s", path, e)
            return None

    def _show_busy(self, text: str) -> None:
        """One line, non-modal: the change was not saved (another process was writing, or the
        database role may only read)."""
        if self.busy_box is not None and shiboken6.isValid(self.busy_box) and self.busy_box.isVisible():
            self.busy_box.setText(text)
            return
        self.busy_box = QMessageBox(QMessageBox.Icon.Warning, "Not saved", text,
                                    QMessageBox.StandardButton.Ok, self.app.activeWindow())
        self.busy_box.setModal(False)
        self.busy_box.show()

    def _show(self, report: CrashReport) -> None:
        if self.dialog is not None and shiboken6.isValid(self.dialog) and self.dialog.isVisible():
            self.pending.append(report)  # one dialog at a time: an error storm is one dialog
            self.dialog.details.appendPlainText(f"\n--- and then ---\n{report.title}\n{report.traceback}")
            return
        parent = self.app.activeWindow()
        self.dialog = CrashDialog(report, parent)
        self.dialog.setModal(True)
        if _loop_running(self.app):
            self.dialog.show()
        else:
            self.dialog.exec()


NO_FRAMES_NOTE = (
    "Traceback: no Python frames. Qt called into Python and the call failed before any Python\n"
    "line ran: typically a Python override of a Qt virtual method, or an attribute hiding one\n"
    "(e.g. `self.shape = ...` on a QGraphicsItem hides shape()); Qt names the method on stderr\n"
    "('Error calling Python override of ...'). Python stack when the error was reported:\n"
)


def format_traceback(exc_type, exc, tb: TracebackType | None) -> str:
    """The traceback text; never only the message.  When Qt calls into Python (a virtual
    override, a slot from C++) and the call fails before a Python frame runs, the hook gets no
    traceback: then the note above and the stack at report time stand in for it."""
    tb = tb if tb is not None else getattr(exc, "__traceback__", None)
    if tb is not None:
        return "".join(traceback.format_exception(exc_type, exc, tb))
    stack = [f for f in traceback.extract_stack() if f.filename != __file__]
    return (NO_FRAMES_NOTE + "".join(traceback.format_list(stack))
            + "".join(traceback.format_exception_only(exc_type, exc)))


def _loop_running(app: QApplication) -> bool:
    """Whether the GUI thread is inside an event loop (app.exec() or a nested loop)."""
    return app.thread().loopLevel() > 0


def _tail(path: Path, max_bytes: int = 16_384) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - max_bytes))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return "(no app log)\n"


def _prune(log_dir: Path) -> None:
    crashes = sorted(log_dir.glob("crash-*.log"), key=lambda p: p.stat().st_mtime)
    for old in crashes[:-MAX_CRASH_FILES]:
        with contextlib.suppress(OSError):
            old.unlink()


def install_crash_handler(app: QApplication, log_dir: Path | str | None = None) -> CrashHandler:
    """Install the crash hooks and the rotating app log for APP; returns the handler."""
    handler = CrashHandler(app, Path(log_dir) if log_dir is not None else default_log_dir())
    handler.install()
    return handler
