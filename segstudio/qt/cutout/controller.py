"""Background removal in the main window: select subject, refine-edge brush, preview, export.

Everything heavy runs on `window.worker` (its default thread; AI clicks have their own) as Qt-free
jobs from `segstudio.cutout.session`; results for another image are dropped.
The refine region and the model's soft map belong to the current image and
are forgotten when the image changes; the subject mask itself lives in the
document (a proposal, or instances edited with the usual tools).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from segstudio.core.tasks import CancelToken, ProgressFn
from segstudio.cutout.batch import BatchReport
from segstudio.cutout.refine_tool import RefineEdgeTool
from segstudio.cutout.session import (
    PreviewResult,
    export_job,
    preview_job,
    proposal_from_saliency,
    select_subject_job,
    subject_mask,
)
from segstudio.qt.cutout.panel import CutoutPanel

PREVIEW_LAYER = "cutout-preview"
REGION_LAYER = "cutout-refine-region"
REGION_RGBA = (80, 220, 255, 110)
KINDS = ("cutout-subject", "cutout-preview", "cutout-export", "cutout-batch")
# The preview must cover the proposal's hatching (z 3) but stay under the brush's live stroke
# (z 4) and the tool cursor; set_extra_layer has no z argument, so we raise the item it made.
LAYER_Z = {PREVIEW_LAYER: 3.5, REGION_LAYER: 3.6}


class CutoutController(QObject):
    preview_ready = Signal(object)  # PreviewResult
    subject_ready = Signal()
    exported = Signal(object)  # list of written paths
    batch_done = Signal(object)  # BatchReport
    batch_progress = Signal(int, int, str)

    def __init__(self, window, panel: CutoutPanel) -> None:
        super().__init__(window)
        self.setObjectName("cutout_controller")
        self.window = window
        self.panel = panel
        self.tool = RefineEdgeTool()
        self.saliency = None  # loaded on first use, on the worker thread
        self.soft: np.ndarray | None = None  # the model's map for the current image
        self.result: PreviewResult | None = None
        self.last_batch: BatchReport | None = None
        self._key: tuple[int, int] | None = None  # (image id, frame) the state belongs to
        self._jobs: dict[str, tuple[int, tuple[int, int] | None]] = {}
        self._doc = None
        self._timer = QTimer(self, singleShot=True, interval=120)
        self._timer.timeout.connect(self.refresh_preview)
        panel.select_button.clicked.connect(self.select_subject)
        panel.refine_button.toggled.connect(self.set_refine_brush)
        panel.clear_region_button.clicked.connect(self.clear_region)
        panel.settings_changed.connect(self.schedule_preview)
        panel.preview_changed.connect(self.schedule_preview)
        self.tool.region_changed.connect(self._on_region_changed)
        self.tool.deactivated.connect(self._on_tool_deactivated)
        window.image_changed.connect(self._on_image_changed)
        window.document_changed.connect(lambda _c: self.schedule_preview())
        w = window.worker
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.progress.connect(self._on_progress)
        self._on_image_changed(window.current_image())

    # ------------------------------------------------------------ state
    def _current_key(self) -> tuple[int, int] | None:
        rec = self.window.current_image()
        return (rec.id, self.window.current_frame()) if rec is not None else None

    def _rgb(self) -> np.ndarray | None:
        data = self.window.current_image_data()
        return data.rgb8() if data is not None else None

    def _on_image_changed(self, _rec) -> None:
        key = self._current_key()
        doc = self.window.current_document()
        if doc is not self._doc:  # a new image, or the same one re-read from the store
            if self._doc is not None:
                self._doc.proposal_changed.disconnect(self._on_proposal_changed)
            self._doc = doc
            if doc is not None:
                doc.proposal_changed.connect(self._on_proposal_changed)
        if key == self._key:
            self.schedule_preview()
            return
        self._key = key
        self.soft = None
        self.result = None
        data = self.window.current_image_data()
        self.tool.reset(data.shape if data is not None else None)
        self.window.canvas.set_extra_layer(PREVIEW_LAYER, None)
        self._show_region()
        self.schedule_preview()

    def _on_proposal_changed(self, _proposal) -> None:
        self.schedule_preview()

    def _on_region_changed(self, _box) -> None:
        self._show_region()
        self.schedule_preview()

    def _show_region(self) -> None:
        region = self.tool.region
        if region is None or not region.any() or not self.panel.refine_button.isChecked():
            self.window.canvas.set_extra_layer(REGION_LAYER, None)
            return
        layer = np.zeros((*region.shape, 4), np.uint8)
        layer[region] = REGION_RGBA
        self._set_layer(REGION_LAYER, layer)

    def _set_layer(self, name: str, rgba: np.ndarray | None) -> None:
        canvas = self.window.canvas
        canvas.set_extra_layer(name, rgba)
        item = getattr(canvas, "extra_layers", {}).get(name)
        if item is not None and hasattr(item, "setZValue"):
            item.setZValue(LAYER_Z[name])

    # ------------------------------------------------------------ actions
    def _submit(self, kind: str, fn) -> int:
        job_id = self.window.worker.submit(kind, fn)
        self._jobs[kind] = (job_id, self._current_key())
        return job_id

    def _ensure_model(self):
        if self.saliency is None:
            from segstudio.cutout.saliency import load_saliency

            self.saliency = load_saliency()
        return self.saliency

    def select_subject(self) -> None:
        rgb = self._rgb()
        if rgb is None:
            self.window.status("Select Subject: open an image first")
            return
        self.panel.source_label.setText("Selecting subject…")

        def saliency(img: np.ndarray) -> np.ndarray:
            return self._ensure_model()(img)

        self._submit("cutout-subject", select_subject_job(rgb, saliency))

    def set_refine_brush(self, on: bool) -> None:
        canvas = self.window.canvas
        if on:
            if canvas.tool is not self.tool:
                canvas.set_tool(self.tool)
            self.window.status("Refine Edge Brush: paint over hair and fur; right button removes, Backspace undoes", 6000)
        elif canvas.tool is self.tool:
            self.window.set_tool("select")
        if self.panel.refine_button.isChecked() != on:
            self.panel.refine_button.setChecked(on)
        self._show_region()

    def _on_tool_deactivated(self) -> None:
        if self.panel.refine_button.isChecked():
            self.panel.refine_button.blockSignals(True)
            self.panel.refine_button.setChecked(False)
            self.panel.refine_button.blockSignals(False)
            self._show_region()

    def clear_region(self) -> None:
        data = self.window.current_image_data()
        self.tool.reset(data.shape if data is not None else None)

    def toggle_before_after(self) -> None:
        self.panel.preview_check.toggle()

    def schedule_preview(self) -> None:
        if self.panel.preview_check.isChecked():
            self._timer.start()
        else:
            self._timer.stop()
            self.window.canvas.set_extra_layer(PREVIEW_LAYER, None)

    def refresh_preview(self) -> None:
        """Recompute the cutout of the current image now (on the worker)."""
        doc, rgb = self.window.current_document(), self._rgb()
        if doc is None or rgb is None:
            return
        mask, source = subject_mask(doc, self.window.selected_instance_ids())
        if mask is None:
            self.panel.source_label.setText(source)
            self.window.canvas.set_extra_layer(PREVIEW_LAYER, None)
            return
        self.panel.source_label.setText(f"Subject: {source}" + (" + model soft edge" if self.soft is not None else ""))
        region = self.tool.region.copy() if self.tool.has_region else None
        soft = self.soft if self.soft is not None and self.soft.shape == mask.shape else None
        self._submit("cutout-preview", preview_job(rgb, mask, soft, region, self.panel.settings(), self.panel.background()))

    def export_to(self, path: str | Path) -> None:
        """Write the current cutout to `path` (format from the panel), with the matte if asked."""
        if self.result is None:
            self.window.status("Export: show the cutout preview first")
            return
        settings = self.panel.settings()
        path = Path(path)
        if path.suffix.lower() != f".{settings.format}":
            path = path.with_suffix(f".{settings.format}")
        data = self.window.current_image_data()
        if data is not None and path.resolve() == Path(data.path).resolve():
            self.window.status(f"{path}: is the input image; choose another name")
            return
        matte = path.with_name(f"{path.stem}_matte.png") if settings.matte else None
        self._submit("cutout-export", export_job(path, self.result.rgba, self.result.alpha, settings, matte))

    def run_batch(self, jobs, mask_source: str = "auto", replace: bool = False, project_root: Path | None = None) -> int:
        """Batch export on the worker; progress and the report arrive as signals."""
        from segstudio.cutout.batch import project_mask_lookup, run_batch

        settings = self.panel.settings()

        def job(cancel: CancelToken, progress: ProgressFn) -> BatchReport:
            saliency = self._ensure_model() if mask_source != "annotations" else None
            if project_root is None:
                return run_batch(jobs, settings, saliency, replace=replace, cancel=cancel, progress=progress)
            from segstudio.store import Project

            with Project.open(project_root) as project:  # own connection for this thread
                return run_batch(jobs, settings, saliency, replace=replace, masks=project_mask_lookup(project),
                                 mask_source=mask_source, cancel=cancel, progress=progress)

        return self._submit("cutout-batch", job)

    def cancel_batch(self) -> None:
        entry = self._jobs.get("cutout-batch")
        if entry is not None:
            self.window.worker.cancel(entry[0])

    # ------------------------------------------------------------ worker results
    def _mine(self, job_id: int, kind: str) -> bool:
        entry = self._jobs.get(kind)
        return kind in KINDS and entry is not None and entry[0] == job_id

    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if not self._mine(job_id, kind):
            return
        _, key = self._jobs.pop(kind)
        if kind == "cutout-batch":
            self.last_batch = result  # type: ignore[assignment]
            self.window.status(f"Batch cutout: {result.summary()}", 8000)  # type: ignore[attr-defined]
            self.batch_done.emit(result)
            return
        if kind == "cutout-export":
            self.window.status(f"Saved {', '.join(p.name for p in result)}", 6000)  # type: ignore[attr-defined]
            self.exported.emit(result)
            return
        if key != self._current_key():
            return  # the user moved on to another image
        if kind == "cutout-subject":
            self.soft = result  # type: ignore[assignment]
            doc = self.window.current_document()
            proposal = proposal_from_saliency(self.soft, self.panel.settings().threshold, self.window.current_category_id())
            if doc is not None:
                doc.set_proposal(proposal)
            self.panel.source_label.setText("Subject selected: Enter accepts it as an instance" if proposal
                                            else "No salient subject found")
            self.subject_ready.emit()
            self.schedule_preview()
        elif kind == "cutout-preview":
            self.result = result  # type: ignore[assignment]
            if self.panel.preview_check.isChecked():
                self._set_layer(PREVIEW_LAYER, self.result.layer)
            self.preview_ready.emit(self.result)

    def _on_failed(self, error) -> None:
        if not self._mine(error.job_id, error.kind):
            return
        self._jobs.pop(error.kind, None)
        self.panel.source_label.setText(f"{error.type}: {error.message}")
        self.window.status(f"Background removal failed: {error.message}", 8000)
        if error.kind == "cutout-batch":
            self.batch_done.emit(None)

    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if kind == "cutout-batch" and self._mine(job_id, kind):
            self._jobs.pop(kind, None)
            self.window.status("Batch cutout cancelled", 5000)
            self.batch_done.emit(None)

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if kind == "cutout-batch" and self._mine(job_id, kind):
            self.batch_progress.emit(done, total, message)
