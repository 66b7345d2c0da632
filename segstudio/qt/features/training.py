"""Training feature: Model menu entries (train, pre-label with the trained model, least
certain next) and the Scribble Classifier dock.  See segstudio.qt.training."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction

from segstudio.qt.actions import feature_action
from segstudio.qt.training.panel import TrainingPanel
from segstudio.qt.training.prelabel import JOB as PRELABEL_JOB
from segstudio.qt.training.prelabel import latest_card, prelabel_job
from segstudio.qt.training.scribble_controller import ScribbleController
from segstudio.qt.training.scribble_panel import ScribblePanel

MENU = "Model"


class TrainingFeature:
    def __init__(self, window) -> None:
        self.window = window
        self.training_panel = TrainingPanel(window.project)
        self.training_panel.prelabel_requested.connect(self.prelabel)
        self.training_panel.run_finished.connect(self._run_finished)
        self.training_dock = window.add_dock(self.training_panel, "Training", Qt.DockWidgetArea.BottomDockWidgetArea,
                                             "dock_training", modes={"train": "bottom"})
        self.panel = ScribblePanel()
        self.dock = window.add_dock(self.panel, "Scribble Classifier", Qt.DockWidgetArea.RightDockWidgetArea,
                                    "dock_scribble", modes={"train": "right"})
        self.scribble = ScribbleController(window, self.panel)
        self._prelabel_job: int | None = None
        menu = window.menu(MENU)
        menu.addSeparator()
        self.actions: dict[str, QAction] = {}
        for key, text, shortcut, slot in (
            ("train_model", "&Train Model…", "Ctrl+Shift+T", self.show_training),
            ("prelabel_trained", "Pre-label with &Trained Model", "", self.prelabel_latest),
            ("least_certain", "Go to &Least Certain Image", "Ctrl+Shift+U", self.go_least_certain),
            ("scribble", "&Scribble Classifier", "Ctrl+Shift+B", self.show_scribble),
        ):
            self.actions[key] = feature_action(window, key, text, [shortcut], slot, menu=menu)
        window.project_opened.connect(self._project_opened)
        window.categories_changed.connect(lambda _cats: self._project_opened(window.project))
        window.worker.finished.connect(self._job_done)
        window.worker.failed.connect(self._job_failed)
        window.worker.progress.connect(self._job_progress)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def show_training(self) -> TrainingPanel:
        """Train mode, with the Training panel in front."""
        if self.window.project is None:
            self.window.status("Open a project first: training uses its labelled images")
        self.window.show_dock(self.training_dock)
        return self.training_panel

    def _run_finished(self, event: dict) -> None:
        """A finished run may have written a click-model card: AI Assist lists it at once."""
        assist = self.window.features.assist
        if assist is not None and event.get("type") == "finished" and event.get("status") != "cancelled":
            assist.reload()

    def show_scribble(self) -> None:
        self.window.show_dock(self.dock)
        self.scribble.set_active(True)

    def _project_opened(self, project) -> None:
        if not self.training_panel.runner.running:
            self.training_panel.refresh_project(project)

    # ----------------------------------------------------------------- closed loop
    def prelabel(self, card: str) -> None:
        if self.window.project is None:
            return
        self.window.status("pre-labelling the remaining images…", 0)
        self._prelabel_job = self.window.worker.submit(PRELABEL_JOB, prelabel_job(self.window.project.root, card))

    def prelabel_latest(self) -> None:
        if self.window.project is None:
            return
        card = latest_card(self.window.project.root)
        if card is None:
            self.window.status("no trained model in this project yet (Model > Train Model…)")
            return
        self.prelabel(card)

    def go_least_certain(self) -> int | None:
        project = self.window.project
        if project is None:
            return None
        from segstudio.training.closed_loop import review_order

        for image_id, _ in review_order(project):
            if project.image(image_id).status in ("prelabelled", "in_progress", "in_review"):
                self.window.go_to_image(image_id)
                return image_id
        self.window.status("no pre-labelled image left to review")
        return None

    def _job_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if kind == PRELABEL_JOB:
            self.window.status(f"pre-labelling {done}/{total} {message}", 0)

    def _job_done(self, job_id: int, kind: str, result: object) -> None:
        if kind != PRELABEL_JOB or job_id != self._prelabel_job:
            return
        from segstudio.inference.prelabel import PrelabelReport

        assert isinstance(result, PrelabelReport)
        self.window.refresh_image_list()
        self.window.reload_document()
        self.window.status(f"pre-labelled {result.done} image(s); least certain first")
        if result.order:
            self.window.go_to_image(result.order[0])

    def _job_failed(self, error) -> None:
        if error.kind == PRELABEL_JOB:
            self.window.status(f"pre-label failed: {error.message}", 10000)

    def shutdown(self) -> None:
        self.training_panel.runner.shutdown()


def install(window) -> None:
    window.features.training = TrainingFeature(window)
