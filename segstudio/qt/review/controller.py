"""Review mode state and actions: comparison job, queue, live per-image items, canvas layers.

The ground truth is the window's current document (edited with the normal tools);
the prediction set of the same image is a second document kept here, one per
(image, frame) for the whole review, so commands in the ground-truth history that
touch it stay valid across navigation.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal

from segstudio.core.document import ImageDocument
from segstudio.eval import review_layers as layers
from segstudio.eval.compare import EvalOptions, EvalResult, ImageEval
from segstudio.eval.queue import ReviewQueue
from segstudio.eval.review_items import (
    REVIEW_KEY,
    ReviewItem,
    accept_command,
    evaluate_document,
    image_items,
    reject_command,
)
from segstudio.qt.workers import Worker
from segstudio.store import Project

MODES = ("overlay", "difference", "split")
LAYER_NAMES = ("review_pred", "review_diff", "review_split", "review_focus")
JOB_KIND = "review-eval"
LIVE_KIND = "review-live"


def _compare_job(root, gt: str, pred: str, options: EvalOptions):
    def job(cancel, progress):
        from segstudio.eval.project_eval import compare_label_sets

        with Project.open(root) as p:  # a connection of our own: this runs on a worker thread
            return compare_label_sets(p, gt, pred, options, cancel=cancel, progress=progress)

    return job


class ReviewController(QObject):
    result_ready = Signal(object)  # EvalResult
    failed = Signal(str)
    progress = Signal(int, int, str)
    queue_changed = Signal()  # order, statuses or cursor
    queue_row_changed = Signal(int)  # one row's figures changed after an edit
    items_changed = Signal()  # the current image's items or live metrics
    view_changed = Signal()  # mode, visibility, opacity

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.gt_set = "gt"
        self.pred_set: str | None = None
        self.options = EvalOptions()
        self.result: EvalResult | None = None
        self.queue: ReviewQueue | None = None
        self.mode = "overlay"
        self.gt_visible = True
        self.pred_visible = True
        self.pred_opacity = 0.9
        self.split_x: float | None = None
        self.items: list[ReviewItem] = []
        self.item_index = -1
        self.image_eval: ImageEval | None = None  # instance matching, updated at once
        self.pixel_eval: ImageEval | None = None  # + IoU/Dice/boundary F, computed in the background
        self._pixel_key: tuple | None = None
        self._pred_pages: dict[tuple[str, int, int], tuple[ImageDocument, object]] = {}
        self._pred_doc: ImageDocument | None = None
        self.shown_layers: dict[str, object] = {}  # name -> the RGBA array last given to the canvas
        self._job: int | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(0)
        self._refresh.timeout.connect(self.refresh_image)
        window.image_changed.connect(self._on_image_changed)
        window.document_changed.connect(lambda _change: self._refresh.start())
        window.project_opened.connect(self._forget_pages)
        # A worker of our own: the window's I/O pool hands every result to the window's
        # image loader too, which expects only its own kinds.
        self.worker = Worker(threads=1, parent=self)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.progress.connect(self._on_progress)

    # ------------------------------------------------------------ lifecycle
    @property
    def active(self) -> bool:
        return self.result is not None and self.pred_set is not None

    def start(self, gt: str, pred: str, options: EvalOptions | None = None) -> None:
        """Compare `pred` with `gt` on a background thread; `result_ready` fires when done."""
        project = self.window.project
        if project is None:
            return
        self.stop()
        self.gt_set, self.pred_set = gt, pred
        self.options = options or self.options
        self._job = self.worker.submit(JOB_KIND, _compare_job(project.root, gt, pred, self.options))

    def _forget_pages(self, _project=None) -> None:
        """A new project: the prediction documents of the old one go (their persisters too)."""
        for _doc, persister in self._pred_pages.values():
            persister.detach()
        self._pred_pages.clear()
        self.stop()

    def stop(self) -> None:
        """Leave review mode.  Prediction documents stay cached (and persisted): the ground-truth
        histories may hold accept/reject commands that refer to them."""
        self._pred_doc = None
        if self._job is not None:
            self.worker.cancel(self._job)
            self._job = None
        self.result, self.queue, self.items, self.item_index, self.image_eval = None, None, [], -1, None
        self.pixel_eval, self._pixel_key = None, None
        canvas = self.window.canvas
        for name in LAYER_NAMES:
            canvas.set_extra_layer(name, None)
        canvas.set_overlay_style(visible=True)
        self.queue_changed.emit()
        self.items_changed.emit()

    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if kind == LIVE_KIND:
            key, ev = result  # type: ignore[misc]
            if key == self._pixel_key:
                self.pixel_eval = ev
                self.items_changed.emit()
            return
        if kind != JOB_KIND or job_id != self._job:
            return
        self._job = None
        project = self.window.project
        statuses = {r.id: r.review_status for r in project.images()} if project else {}
        self.result = result  # type: ignore[assignment]
        self.queue = ReviewQueue(self.result, "disagreement", statuses, skip_accepted=False)
        self.result_ready.emit(self.result)
        self.queue_changed.emit()
        first = self.queue.current
        if first is not None:
            self.window.go_to_image(first.image_id, first.frame)
        self.item_index = -1
        self.refresh_image()
        self._select_unresolved_from(0, quiet=True)

    def _on_failed(self, error) -> None:
        if error.kind == JOB_KIND:
            self._job = None
            self.failed.emit(f"{error.type}: {error.message}")

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if kind == JOB_KIND:
            self.progress.emit(done, total, message)

    # ------------------------------------------------------------ the current image
    def pred_document(self) -> ImageDocument | None:
        return self._pred_doc

    def _on_image_changed(self, rec) -> None:
        if not self.active or rec is None:
            return
        if self.queue is not None:
            self.queue.go_to(rec.id, self.window.current_frame())
            self.queue_changed.emit()
        self.item_index = -1
        self.refresh_image()
        self._select_unresolved_from(0, quiet=True)  # arrive on the first disagreement

    def _pred_page(self, image_id: int, frame: int) -> ImageDocument:
        key = (self.pred_set, image_id, frame)
        page = self._pred_pages.get(key)
        if page is None:
            project = self.window.project
            doc = project.load_document(image_id, frame, self.pred_set)
            page = (doc, project.attach(doc, mark_in_progress=False))
            doc.changed.connect(lambda _c: self._refresh.start())
            self._pred_pages[key] = page
        return page[0]

    def refresh_image(self) -> None:
        """Re-evaluate the current image live and redraw the review layers."""
        gt_doc = self.window.current_document()
        if not self.active or gt_doc is None:
            self.items, self.image_eval = [], None
            self.items_changed.emit()
            return
        self._pred_doc = self._pred_page(gt_doc.image_id, gt_doc.frame)
        pred_doc, cats, opts = self._pred_doc, self.result.categories, self.options
        ignore = self.result.ignore
        self.image_eval = evaluate_document(gt_doc, pred_doc, cats, opts, pixel=False, ignore=ignore)
        if self.queue is not None:
            e = self.image_eval
            row = self.queue.update(gt_doc.image_id, gt_doc.frame, e.agreement, e.tp, e.fp, e.fn)
            if row >= 0:
                self.queue_row_changed.emit(row)
        key = (gt_doc.image_id, gt_doc.frame, gt_doc.revision, pred_doc.revision)
        if key != self._pixel_key:  # pixel metrics off the GUI thread, latest edit wins
            self._pixel_key, self.pixel_eval = key, None
            gt_snap, pred_snap, shape = list(gt_doc), list(pred_doc), gt_doc.image_shape
            self.worker.submit(LIVE_KIND, lambda cancel, progress: (key, evaluate_document(
                gt_snap, pred_snap, cats, opts, shape=shape, image_id=key[0], ignore=ignore)))
        pred = {i.id: i for i in self._pred_doc}
        self.items = image_items(self.image_eval, pred, {i.id: i for i in gt_doc})
        if self.item_index >= len(self.items):
            self.item_index = len(self.items) - 1
        self.items_changed.emit()
        self.render()

    def current_item(self) -> ReviewItem | None:
        return self.items[self.item_index] if 0 <= self.item_index < len(self.items) else None

    # ------------------------------------------------------------ drawing
    def _show(self, name: str, rgba, opacity: float) -> None:
        self.window.canvas.set_extra_layer(name, rgba, opacity)
        self.shown_layers[name] = rgba

    def render(self) -> None:
        canvas = self.window.canvas
        gt_doc, pred_doc = self.window.current_document(), self._pred_doc
        for name in LAYER_NAMES:
            canvas.set_extra_layer(name, None)
        self.shown_layers.clear()
        if not self.active or gt_doc is None or pred_doc is None:
            return
        shape = gt_doc.image_shape
        rejected = {i.id for i in pred_doc if i.attributes.get(REVIEW_KEY) == "rejected"}
        shown = [i for i in pred_doc if i.id not in rejected]
        canvas.set_overlay_style(visible=self.gt_visible and self.mode == "overlay")
        if self.mode == "overlay" and self.pred_visible:
            self._show("review_pred", layers.prediction_layer(shape, shown), self.pred_opacity)
        elif self.mode == "difference":
            gt = list(gt_doc) if self.gt_visible else []
            pred = shown if self.pred_visible else []
            self._show("review_diff", layers.difference_layer(shape, gt, pred), self.pred_opacity)
        elif self.mode == "split":
            colors = {c.id: c.color for c in self.window.project.categories()}
            left = layers.fill_layer(shape, gt_doc if self.gt_visible else [], colors)
            right = layers.fill_layer(shape, shown if self.pred_visible else [], colors, by_score=True)
            x = shape[1] / 2 if self.split_x is None else self.split_x
            self._show("review_split", layers.split_layer(left, right, x), self.pred_opacity)
        item = self.current_item()
        if item is not None:
            focus = [d.get(i) for d, i in ((gt_doc, item.gt_id), (pred_doc, item.pred_id)) if i is not None and i in d]
            self._show("review_focus", layers.focus_layer(shape, focus), 1.0)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown review view {mode!r}")
        self.mode = mode
        self.view_changed.emit()
        self.render()

    def cycle_mode(self) -> None:
        self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])

    def set_visibility(self, gt: bool | None = None, pred: bool | None = None) -> None:
        if gt is not None:
            self.gt_visible = gt
        if pred is not None:
            self.pred_visible = pred
        self.view_changed.emit()
        self.render()

    def set_opacity(self, gt: float | None = None, pred: float | None = None) -> None:
        if gt is not None:
            self.window.canvas.set_overlay_style(opacity=max(0.0, min(1.0, gt)))
        if pred is not None:
            self.pred_opacity = max(0.0, min(1.0, pred))
        self.view_changed.emit()
        self.render()

    def set_split(self, x: float) -> None:
        self.split_x = float(x)
        if self.mode == "split":
            self.render()

    # ------------------------------------------------------------ review actions
    def select_item(self, index: int) -> ReviewItem | None:
        if not 0 <= index < len(self.items):
            return None
        self.item_index = index
        item = self.items[index]
        gt_doc = self.window.current_document()
        if item.gt_id is not None and gt_doc is not None and item.gt_id in gt_doc:
            self.window.select_instances([item.gt_id])
            box = gt_doc.get(item.gt_id).mask
        else:
            self.window.select_instances([])
            box = self._pred_doc.get(item.pred_id).mask if self._pred_doc and item.pred_id in self._pred_doc else None
        if box is not None and box.data.size:
            self.window.canvas.centerOn((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        self.items_changed.emit()
        self.render()
        return item

    def next_item(self, step: int = 1) -> ReviewItem | None:
        """The next unresolved item (wrapping once around the image)."""
        n = len(self.items)
        for k in range(1, n + 1):
            idx = (self.item_index + step * k) % n
            if not self.items[idx].resolved:
                return self.select_item(idx)
        self.window.status("Every item of this image is reviewed: G goes to the next image")
        return None

    def accept_current(self) -> bool:
        item = self.current_item()
        gt_doc = self.window.current_document()
        if item is None or item.pred_id is None or gt_doc is None or self._pred_doc is None:
            self.window.status("Nothing to accept here: the model missed this object (draw it with the tools)")
            return False
        matched = item.gt_id if item.kind == "match" else None
        at = self.item_index
        self.window.push_command(accept_command(gt_doc, self._pred_doc, item.pred_id, matched, self.pred_set))
        self.refresh_image()
        self._select_unresolved_from(at)
        return True

    def reject_current(self) -> bool:
        item = self.current_item()
        if item is None or item.pred_id is None or self._pred_doc is None:
            self.window.status("Nothing to reject here: this is ground truth the model missed")
            return False
        at = self.item_index
        self.window.push_command(reject_command(self._pred_doc, item.pred_id))
        self.refresh_image()
        self._select_unresolved_from(at)
        return True

    def _select_unresolved_from(self, start: int, quiet: bool = False) -> ReviewItem | None:
        """Select the first unresolved item at or after `start` (wrapping): after an accept or
        reject the list is re-sorted, so the next thing to look at may sit where the old one was."""
        n = len(self.items)
        for k in range(n):
            idx = (max(start, 0) + k) % n
            if not self.items[idx].resolved:
                return self.select_item(idx)
        if n and not quiet:
            self.window.status("Every disagreement of this image is reviewed: Shift+Enter marks it OK")
        return None

    def go_queue(self, step: int = 1) -> bool:
        if self.queue is None:
            return False
        item = self.queue.next(skip=("accepted",)) if step > 0 else self.queue.previous()
        if item is None:
            self.window.status("End of the review queue" if step > 0 else "Start of the review queue")
            return False
        self.queue_changed.emit()
        return self.window.go_to_image(item.image_id, item.frame)

    def set_status(self, status: str | None, advance: bool = True) -> None:
        rec = self.window.current_image()
        project = self.window.project
        if rec is None or project is None or self.queue is None:
            return
        project.set_review_status(rec.id, status)
        self.queue.set_status(rec.id, status)
        self.window.refresh_image_list()
        self.queue_changed.emit()
        if advance:
            self.go_queue(1)

    def set_hide_accepted(self, hide: bool) -> None:
        if self.queue is not None:
            self.queue.skip_accepted = hide
            self.queue.resort()
            self.queue_changed.emit()

    def set_order(self, order: str) -> None:
        if self.queue is not None:
            self.queue.resort(order)
            self.queue_changed.emit()

    def live_agreement(self) -> float:
        e = self.image_eval
        return e.agreement if e is not None else math.nan
