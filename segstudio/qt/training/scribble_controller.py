"""Wires the scribble tool, its panel and the main window: a session per image, fit and
predict on the inference worker after each stroke (latest request wins), the prediction
drawn as an extra canvas layer, Accept = one undoable command adding the instances."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog

from segstudio.core import commands
from segstudio.qt import file_dialogs
from segstudio.qt.training.scribble_panel import BACKGROUND_COLOR, ScribblePanel
from segstudio.training.scribble.session import ScribbleSession
from segstudio.training.scribble.tool import ScribbleTool

LAYER = "scribble-prediction"
JOB = "scribble"


def fit_predict_job(session: ScribbleSession, scribbles: np.ndarray, revision: int):
    """Worker job: fit on a snapshot of the strokes, predict the whole image."""

    def job(cancel, progress):
        t0 = time.perf_counter()
        feats = session.features(cancel)
        t1 = time.perf_counter()
        from segstudio.training.scribble.model import fit_classifier

        clf = fit_classifier(feats, scribbles, session.class_names, session.scales, session.params)
        cancel.check()
        t2 = time.perf_counter()
        probs = clf.predict_features(feats, cancel)
        t3 = time.perf_counter()
        return {"classifier": clf, "probs": probs, "revision": revision,
                "times": {"features": t1 - t0, "fit": t2 - t1, "predict": t3 - t2}}

    return job


def apply_job(classifier, session: ScribbleSession):
    def job(cancel, progress):
        t0 = time.perf_counter()
        probs = classifier.predict_features(session.features(cancel), cancel)
        return {"classifier": classifier, "probs": probs, "revision": session.revision,
                "times": {"predict": time.perf_counter() - t0}}

    return job


class ScribbleController(QObject):
    def __init__(self, window, panel: ScribblePanel) -> None:
        super().__init__(panel)
        self.window = window
        self.panel = panel
        self.tool = ScribbleTool()
        self.session: ScribbleSession | None = None
        self.colors: list[tuple[int, int, int]] = []
        self.category_ids: list[int | None] = []
        self._job: int | None = None
        self.last_result: dict | None = None
        self.tool.stroke_done.connect(self._on_stroke)
        panel.class_changed.connect(self._set_class)
        panel.radius.valueChanged.connect(lambda r: setattr(self.tool, "radius", float(r)))
        panel.enable_button.toggled.connect(self.set_active)
        panel.update_button.clicked.connect(self.update_prediction)
        panel.accept_button.clicked.connect(self.accept)
        panel.clear_button.clicked.connect(self.clear)
        panel.save_button.clicked.connect(self._ask_save)
        panel.apply_button.clicked.connect(self._ask_apply)
        window.worker.finished.connect(self._on_done)
        window.worker.failed.connect(self._on_failed)
        window.image_changed.connect(lambda _rec: self.reset())
        window.project_opened.connect(lambda _p: self.reset())
        self.reset()

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        """New image or project: a fresh session (classes from the project's categories)."""
        project = self.window.project
        cats = list(project.categories()) if project is not None else []
        names = ["background", *[c.name for c in cats]]
        self.colors = [BACKGROUND_COLOR, *[c.color for c in cats]]
        self.category_ids = [None, *[c.id for c in cats]]
        self.panel.set_classes(names, self.colors)
        self._set_class(self.panel.current_class())
        data = self.window.current_image_data()
        self.session = ScribbleSession(data.rgb8(), names) if data is not None and len(names) >= 2 else None
        self.tool.set_session(self.session)
        self.last_result = None
        self.window.canvas.set_extra_layer(LAYER, None)

    def _set_class(self, index: int) -> None:
        self.tool.class_index = max(0, index)

    def set_active(self, on: bool) -> None:
        canvas = self.window.canvas
        if on:
            if self.session is None:
                self.reset()
            canvas.set_tool(self.tool)
        elif canvas.tool is self.tool:
            self.window.set_tool("select")
        if self.panel.enable_button.isChecked() != on:
            self.panel.enable_button.setChecked(on)

    # ----------------------------------------------------------------- fitting
    def _on_stroke(self, _revision: int) -> None:
        self._show_counts()
        if self.panel.live.isChecked():
            self.update_prediction()

    def _show_counts(self) -> None:
        if self.session is None:
            return
        counts = self.session.counts()
        self.panel.info.setText("scribbled pixels: " + ", ".join(
            f"{n} {c}" for n, c in zip(self.session.class_names, counts) if c))

    def update_prediction(self) -> None:
        s = self.session
        if s is None or not s.ready:
            self.panel.info.setText("paint strokes of at least two classes")
            return
        self._job = self.window.worker.submit(JOB, fit_predict_job(s, s.scribbles.copy(), s.revision))

    def _on_done(self, job_id: int, kind: str, result: object) -> None:
        if kind != JOB or job_id != self._job or self.session is None:
            return
        assert isinstance(result, dict)
        self.session.classifier = result["classifier"]
        self.session.probabilities = result["probs"]
        self.last_result = result
        skip = [0] if self.panel.class_list.count() else []
        self.window.canvas.set_extra_layer(LAYER, self.session.overlay(self.colors, 120, skip), 1.0)
        t = result["times"]
        self.panel.info.setText("  ".join(f"{k} {v * 1000:.0f} ms" for k, v in t.items()))

    def _on_failed(self, error) -> None:
        if error.kind == JOB:
            self.panel.info.setText(f"classifier failed: {error.message}")

    # ----------------------------------------------------------------- results
    def accept(self) -> int:
        """Turn the prediction into instances of the mapped categories: one undo step."""
        doc = self.window.current_document()
        s = self.session
        if doc is None or s is None or s.probabilities is None:
            self.window.status("nothing to accept: paint scribbles and wait for the preview")
            return 0
        mapping = {i: cid for i, cid in enumerate(self.category_ids) if cid is not None}
        start = doc.allocate_id()
        insts = s.to_instances(mapping, start, split_parts=self.panel.split_parts.isChecked())
        if not insts:
            return 0
        # ids must be unique in the document: allocate one per instance
        fixed = [insts[0]] + [i.with_(id=doc.allocate_id()) for i in insts[1:]]
        self.window.push_command(commands.edit_instances(doc, "Accept scribble classifier", {i.id: i for i in fixed}))
        self.window.status(f"added {len(fixed)} instance(s) from the scribble classifier")
        return len(fixed)

    def clear(self) -> None:
        if self.session is not None:
            self.session.clear()
        self.window.canvas.set_extra_layer(LAYER, None)
        self.panel.info.setText("cleared")

    def save(self, folder: str | Path, name: str = "scribble-classifier") -> Path | None:
        if self.session is None or self.session.classifier is None:
            return None
        clf = self.session.classifier
        clf.name = name
        clf.class_colors = ["#{:02x}{:02x}{:02x}".format(*c) for c in self.colors]
        return clf.save(folder)

    def apply(self, card: str | Path) -> None:
        from segstudio.training.scribble.model import ScribbleClassifier, ScribbleModelError

        if self.session is None:
            return
        try:
            clf = ScribbleClassifier.load(card)
        except ScribbleModelError as e:
            self.window.status(str(e), 8000)
            return
        if clf.class_names != self.session.class_names:
            self.window.status(f"{card}: classes {clf.class_names} differ from this project's", 8000)
            return
        self._job = self.window.worker.submit(JOB, apply_job(clf, self.session))

    def _ask_save(self) -> None:
        project = self.window.project
        if project is None:
            return
        name, ok = QInputDialog.getText(self.panel, "Save Classifier", "Name:", text="scribble-classifier")
        if ok and name.strip():
            path = self.save(project.root / "models" / name.strip(), name.strip())
            self.window.status(f"saved {path}" if path else "train the classifier first")

    def _ask_apply(self) -> None:
        models = self.window.project.root / "models" if self.window.project else None
        path = file_dialogs.open_file(self.panel, "classifier", "Apply Classifier", "Model card (card.yaml)", models)
        if path:
            self.apply(path)
