"""AI Assist feature: Model menu entries, the AI Assist dock, the click/box prompt tools and
batch pre-labelling.  See segstudio.qt.assist and docs/models.md."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from segstudio.qt.actions import feature_action
from segstudio.qt.assist.batch import BatchPrelabelDialog
from segstudio.qt.assist.controller import AssistController
from segstudio.qt.assist.picker import ModelPicker
from segstudio.qt.icons import icon

MENU = "Model"


class AssistFeature:
    def __init__(self, window) -> None:
        self.window = window
        self.controller = AssistController(window)
        self.picker = ModelPicker()
        self.dock = window.add_dock(self.picker, "AI Assist", Qt.DockWidgetArea.RightDockWidgetArea, "dock_assist",
                                    modes={"annotate": "right-lower", "video": "right-lower"})
        self.dialog: BatchPrelabelDialog | None = None
        self.get_models_dialog = None
        c, p = self.controller, self.picker
        p.set_cards(c.cards, c.card.id if c.card else None, c.problems)
        p.model_chosen.connect(c.set_model)
        p.tool_requested.connect(c.activate_tool)
        p.prelabel_image.connect(c.prelabel_current)
        p.prelabel_project.connect(self.show_batch)
        p.reload_requested.connect(self.reload)
        p.cycle_requested.connect(c.cycle_candidate)
        p.get_models_requested.connect(self.show_get_models)
        c.model_changed.connect(p.show_card)
        c.latency.connect(lambda s: p.state.setText(f"last proposal in {s * 1000:.0f} ms"))
        self._last_latency = ""
        c.latency.connect(lambda s: setattr(self, "_last_latency", f"last proposal in {s * 1000:.0f} ms"))
        # "working…" while a model runs, then back to the last answer's time (was left on forever)
        c.busy_changed.connect(lambda busy: p.state.setText("working…" if busy else self._last_latency))
        c.preparing.connect(self._show_preparing)
        c.preparing_percent.connect(p.show_preparing_percent)
        menu = window.menu(MENU)
        self.actions: dict[str, QAction] = {}
        for key, text, shortcut, slot in (
            ("ai_click", "AI &Click Tool", "I", lambda: c.activate_tool("ai_click")),
            ("ai_box", "AI &Box Tool", "Shift+I", lambda: c.activate_tool("ai_box")),
            ("prelabel_image", "&Pre-label Current Image", "Ctrl+L", c.prelabel_current),
            ("prelabel_project", "Pre-label &Project…", "Ctrl+Shift+L", self.show_batch),
            ("next_mask", "&Next Candidate Mask", "S", lambda: c.cycle_candidate(1)),
            ("prev_mask", "Pre&vious Candidate Mask", "Shift+S", lambda: c.cycle_candidate(-1)),
            ("assist_panel", "AI &Assist Panel", "", self.show_panel),
            ("get_models", "&Get Models…", "", self.show_get_models),
        ):
            self.actions[key] = feature_action(window, key, text, [shortcut], slot, menu=menu)
        for key in ("ai_click", "ai_box"):
            act = self.actions[key]
            act.setIcon(icon(key))
            act.setToolTip(f"{act.text().replace('&', '')} ({act.shortcut().toString()}): click or drag a box, the model proposes")
            window.add_tool_action(act, key)
        for key in ("next_mask", "prev_mask"):  # only while the proposal on show has several
            self.actions[key].setEnabled(False)
        c.candidates_changed.connect(self._show_candidates)
        window.project_opened.connect(lambda _project: self.reload())

    def _show_candidates(self, candidates) -> None:
        self.picker.show_candidates(candidates)
        for key in ("next_mask", "prev_mask"):
            self.actions[key].setEnabled(candidates.cyclable)
        if candidates.cyclable:
            self.window.status(f"AI proposal: {candidates.describe()} (S: next mask, Shift+S: previous)", 5000)

    def _show_preparing(self, text: str) -> None:
        """'preparing <model> for this image… N s' while the embedding runs; clicks queue."""
        self.picker.state.setText(text or "model ready for this image")
        if not text:
            self.picker.preparing_bar.hide()
        self.window.status(text or "Model ready for this image", 0 if text else 3000)

    def show_panel(self) -> None:
        self.window.show_dock(self.dock)

    def reload(self) -> None:
        self.controller.reload_cards()
        c = self.controller
        self.picker.set_cards(c.cards, c.card.id if c.card else None, c.problems)

    def show_get_models(self):
        from segstudio.qt.assist.get_models import GetModelsDialog

        if self.get_models_dialog is None:
            self.get_models_dialog = GetModelsDialog(self.window)
            self.get_models_dialog.installed.connect(self._model_installed)
        self.get_models_dialog.refresh()
        self.get_models_dialog.show()
        self.get_models_dialog.raise_()
        return self.get_models_dialog

    def _model_installed(self, model_id: str) -> None:
        """A model was installed (or removed: ""): list it, and use a new one for clicks."""
        self.reload()
        if model_id and any(c.id == model_id for c in self.controller.cards):
            self.controller.set_model(model_id)
            self.picker.show_card(self.controller.card)

    def show_batch(self, activate: bool = True) -> BatchPrelabelDialog:
        """The batch dialog; `activate=False` shows it without taking the keyboard from the
        canvas (the first opening of the sample runs it by itself)."""
        if self.dialog is None:
            self.dialog = BatchPrelabelDialog(self.window, self.controller)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, not activate)
        self.dialog.show()
        if activate:
            self.dialog.raise_()
            self.dialog.activateWindow()
        else:
            self.window.activateWindow()
        return self.dialog


def install(window) -> None:
    window.features.assist = AssistFeature(window)
