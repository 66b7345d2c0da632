"""The video feature's behaviour: navigation, playback, tracks, propagation and interpolation.

Everything goes through the main window's public API (`go_to_image(id, frame)`,
`push_command`, `worker`, `image_changed`, `document_changed`, menus and docks).  Multi-frame
edits are `segstudio.video.edits.VideoEdit`s pushed on the current frame's history (undo them
from that frame); they change documents the app already holds through those documents
(`_document_for`), so no open page keeps stale instances.  Propagation runs on `window.worker`
(its default thread; AI clicks have their own) with progress and cancel; cancelling keeps the frames already done.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMessageBox

from segstudio.core.categories import default_color
from segstudio.qt.actions import feature_action
from segstudio.qt.video.panel import TracksPanel, VideoPanel
from segstudio.qt.video.timeline import TrackRow
from segstudio.store.tracks import list_tracks, track_frames
from segstudio.video import tracks as T
from segstudio.video.library import format_timestamp, video_fps

VIDEO_KINDS = ("video", "frames")
JOB_KIND = "video-propagate"
REFINE_LANE = "video-refine"  # the model host's key of the refiner's model (the propagation's thread)

ACTIONS = (  # name, text, shortcuts
    ("play", "Play", ("K",)),
    ("back1", "−1", ("Left", ",")),
    ("fwd1", "+1", ("Right", ".")),
    ("back10", "−10", ("Shift+Left", "<")),
    ("fwd10", "+10", ("Shift+Right", ">")),
    ("first", "|◀", ("Home",)),
    ("last", "▶|", ("End",)),
    ("goto", "Go to Frame…", ("Ctrl+G",)),
    ("propagate_fwd", "Forward ▶", ("Ctrl+Shift+Right",)),
    ("propagate_back", "◀ Backward", ("Ctrl+Shift+Left",)),
    ("interpolate", "Interpolate", ("Ctrl+I",)),
    ("new_track", "New Track", ("Ctrl+T",)),
    ("split_track", "Split Here", ()),
    ("merge_tracks", "Merge", ()),
    ("delete_track", "Delete", ()),
)


class VideoController(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.record = None
        self.frame = 0
        self.fps: float | None = None
        self.label_set = "gt"
        self.actions: dict[str, QAction] = {}
        for name, text, keys in ACTIONS:
            self.actions[name] = feature_action(window, f"video_{name}", text, keys)
        self.actions["play"].setCheckable(True)
        self.panel = VideoPanel(self.actions)
        self.tracks_panel = TracksPanel(self.actions)
        self.play_timer = QTimer(self)
        self.play_timer.timeout.connect(self._tick)
        self._refresh_timer = QTimer(self, singleShot=True, interval=120)
        self._refresh_timer.timeout.connect(self.refresh_tracks)
        self._job: int | None = None
        self._plan = None
        self._selected_track: int | None = None
        self._wire()
        self._set_enabled(False)

    # ----------------------------------------------------------------- wiring
    def _wire(self) -> None:
        a, w = self.actions, self.window
        a["play"].toggled.connect(self.set_playing)
        a["back1"].triggered.connect(lambda: self.step(-1))
        a["fwd1"].triggered.connect(lambda: self.step(1))
        a["back10"].triggered.connect(lambda: self.step(-10))
        a["fwd10"].triggered.connect(lambda: self.step(10))
        a["first"].triggered.connect(lambda: self.go(0))
        a["last"].triggered.connect(lambda: self.go(self.frame_count - 1))
        a["goto"].triggered.connect(self.ask_frame)
        a["propagate_fwd"].triggered.connect(lambda: self.propagate(1))
        a["propagate_back"].triggered.connect(lambda: self.propagate(-1))
        a["interpolate"].triggered.connect(self.interpolate)
        a["new_track"].triggered.connect(self.new_track)
        a["split_track"].triggered.connect(self.split_track)
        a["merge_tracks"].triggered.connect(self.merge_tracks)
        a["delete_track"].triggered.connect(self.delete_track)
        self.panel.frame_entered.connect(self.go)
        self.panel.timeline.frame_requested.connect(self.go)
        self.panel.timeline.track_clicked.connect(self.select_track)
        self.panel.cancel.clicked.connect(self.cancel)
        self.tracks_panel.track_selected.connect(lambda tid: self.select_track(tid, from_list=True))
        self.tracks_panel.track_renamed.connect(self.rename_track)
        w.image_changed.connect(self.on_image_changed)
        w.document_changed.connect(lambda change: self._refresh_timer.start())
        w.worker.finished.connect(self._on_finished)
        w.worker.failed.connect(self._on_failed)
        w.worker.cancelled.connect(self._on_cancelled)
        w.worker.progress.connect(self._on_progress)

    @property
    def frame_count(self) -> int:
        return self.record.frame_count if self.record is not None else 0

    @property
    def project(self):
        return self.window.project

    def _set_enabled(self, on: bool) -> None:
        for act in self.actions.values():
            act.setEnabled(on)
        self.panel.setEnabled(on)
        self.tracks_panel.setEnabled(on)

    # ----------------------------------------------------------------- navigation
    def on_image_changed(self, rec) -> None:
        is_video = rec is not None and rec.kind in VIDEO_KINDS
        new_video = is_video and (self.record is None or self.record.id != rec.id)
        if not is_video:
            self.set_playing(False)
            self.record = None
            self._set_enabled(False)
            self.panel.set_video(0)
            self.tracks_panel.set_tracks([])
            self.status_label.setText("")
            return
        self._set_enabled(True)
        self.record = rec
        self.frame = self.window.current_frame()
        if new_video:
            self.fps = video_fps(self.project, rec.id)
            self.panel.set_video(rec.frame_count)
            self.refresh_tracks()
        stamp = format_timestamp(self.frame / self.fps) if self.fps else ""
        self.panel.set_frame(self.frame, stamp)
        self.status_label.setText(
            f"frame {self.frame} / {rec.frame_count - 1}" + (f"  ·  {stamp}" if stamp else ""))

    def go(self, frame: int) -> None:
        if self.record is None:
            return
        frame = min(max(int(frame), 0), self.frame_count - 1)
        if frame != self.frame or self.window.current_frame() != frame:
            self.window.go_to_image(self.record.id, frame)

    def step(self, delta: int) -> None:
        self.go(self.frame + delta)

    def ask_frame(self) -> None:
        if self.record is None:
            return
        f, ok = QInputDialog.getInt(self.window, "Go to frame", f"Frame (0–{self.frame_count - 1}):",
                                    self.frame, 0, self.frame_count - 1)
        if ok:
            self.go(f)

    def set_playing(self, on: bool) -> None:
        if on and self.record is None:
            on = False
        if self.actions["play"].isChecked() != on:
            self.actions["play"].setChecked(on)
            return
        self.actions["play"].setText("Pause" if on else "Play")
        if on:
            self.play_timer.start(int(1000 / (self.fps or 25.0)))
        else:
            self.play_timer.stop()

    def _tick(self) -> None:
        if self.record is None or self.frame >= self.frame_count - 1:
            self.set_playing(False)
            return
        self.go(self.frame + 1)

    # ----------------------------------------------------------------- tracks
    def refresh_tracks(self) -> None:
        p, rec = self.project, self.record
        if p is None or rec is None:
            return
        self.panel.timeline.set_marks(p.annotated_frames(rec.id, self.label_set))
        frames = track_frames(p, rec.id, self.label_set)
        cats = p.categories()
        named = {t.id: t for t in list_tracks(p, rec.id)}
        rows, items = [], []
        for tid in sorted(set(frames) | set(named)):
            t = named.get(tid)
            cat = cats.get(t.category_id) if t is not None and t.category_id is not None else None
            color = tuple(cat.color) if cat is not None else default_color(tid)
            label = t.label if t is not None else f"track {tid}"
            fr = frames.get(tid, {})
            rows.append(TrackRow(tid, label, color, fr))
            span = f"{min(fr)}–{max(fr)} ({len(fr)})" if fr else "—"
            items.append((tid, label, cat.name if cat is not None else "", color, span))
        self.panel.timeline.set_tracks(rows)
        self.tracks_panel.set_tracks(items)

    def select_track(self, track_id: int, from_list: bool = False) -> None:
        self._selected_track = track_id
        self.panel.timeline.set_selected_track(track_id)
        if not from_list:  # the list keeps its own (possibly multiple) selection
            self.tracks_panel.select(track_id)
        doc = self.window.current_document()
        if doc is not None:
            ids = [i.id for i in doc if i.track_id == track_id]
            if ids:
                self.window.select_instances(ids)

    def _selected_tracks(self) -> list[int]:
        ids = self.tracks_panel.selected_ids()
        if not ids:
            doc = self.window.current_document()
            ids = [doc.get(i).track_id for i in self.window.selected_instance_ids()
                   if doc is not None and i in doc and doc.get(i).track_id is not None]
        if not ids and self._selected_track is not None:
            ids = [self._selected_track]
        return list(dict.fromkeys(ids))

    def _document_for(self, frame: int):
        """The document the app holds for a frame of this video, if any (see module doc)."""
        rec = self.record
        session = self.window.session
        if session is not None and rec is not None:
            page = session.pages.get((rec.id, frame, self.label_set))
            if page is not None:
                return page.document
        doc = self.window.current_document()
        return doc if doc is not None and doc.frame == frame else None

    def _push(self, build, *args, **kw):
        """Build a track edit (TrackError -> status message) and push it."""
        try:
            result = build(self.project, self.record.id, *args, label_set=self.label_set,
                           documents=self._document_for, **kw)
        except T.TrackError as e:
            self.window.status(str(e), 6000)
            return None
        edit = result[0] if isinstance(result, tuple) else result
        self.window.push_command(edit)
        self.refresh_tracks()
        return result

    def new_track(self) -> None:
        ids = self.window.selected_instance_ids()
        if self.record is None or len(ids) != 1:
            self.window.status("Select one instance to start a track from", 5000)
            return
        res = self._push(T.new_track, self.frame, ids)
        if res is not None:
            self.select_track(res[1])

    def split_track(self) -> None:
        tracks = self._selected_tracks()
        if self.record is None or len(tracks) != 1:
            self.window.status("Select one track to split at the current frame", 5000)
            return
        res = self._push(T.split_track, tracks[0], self.frame)
        if res is not None:
            self.window.status(f"Track split at frame {self.frame}: frames from here are track {res[1]}")

    def merge_tracks(self) -> None:
        tracks = sorted(self._selected_tracks())
        if len(tracks) < 2:
            self.window.status("Select two or more tracks to merge", 5000)
            return
        self._push(T.merge_tracks, tracks[0], tracks[1:])

    def delete_track(self) -> None:
        tracks = self._selected_tracks()
        if self.record is None or not tracks:
            return
        answer = QMessageBox.question(
            self.window, "Delete track",
            f"Delete {len(tracks)} track(s)? 'Yes' deletes their masks on every frame, "
            "'No' keeps the masks without a track.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
            | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Cancel:
            return
        for tid in tracks:
            self._push(T.delete_track, tid, delete_instances=answer == QMessageBox.StandardButton.Yes)

    def rename_track(self, track_id: int, name: str) -> None:
        if self.record is not None:
            self._push(T.update_track, track_id, name=name)

    # ----------------------------------------------------------------- propagation
    def propagate(self, step: int) -> None:
        from segstudio.video.ops import plan_propagation, run_plan

        if self.record is None or self.project is None:
            return
        if self._job is not None:
            self.window.status("A propagation is already running (Cancel it first)", 5000)
            return
        ids = self.window.selected_instance_ids()
        if not ids:
            self.window.status("Select the instances to propagate", 5000)
            return
        count = self.panel.count_box.value() or None
        try:
            plan = plan_propagation(self.project, self.record.id, self.frame, ids, step=step,
                                    count=count, label_set=self.label_set)
        except T.TrackError as e:
            self.window.status(str(e), 6000)
            return
        make_refiner = self._refiner_factory()
        self._plan = plan
        self.set_playing(False)

        def job(cancel, progress):  # the refiner's model loads here, never on the GUI thread
            return run_plan(plan, refiner=make_refiner(), cancel=cancel, progress=progress)

        self._job = self.window.worker.submit(JOB_KIND, job, supersede=False)
        last = self.frame_count - 1 if step > 0 else 0
        if count:
            last = self.frame + step * count
        self.panel.timeline.set_busy(self.frame, min(max(last, 0), self.frame_count - 1))
        self.panel.set_running(True)
        self.window.status("Propagating… (Cancel keeps the frames already done)")

    def _refiner_factory(self):
        """What refines each propagated mask, as a function to call on the worker's thread.
        "interactive" uses the click model chosen in AI Assist (its own instance: the
        propagation's crops never disturb the image AI Assist holds), else the built-in one."""
        from segstudio.video.refine import GrabCutRefiner, NoRefiner, PromptModelRefiner

        kind = self.panel.refiner.currentData()
        if kind == "none":
            return NoRefiner
        if kind != "interactive":
            return GrabCutRefiner
        assist = self.window.features.assist
        chosen = assist.controller.prompt_model_source(REFINE_LANE) if assist is not None else None

        def make():
            model = chosen() if chosen is not None else None
            if model is None:
                from segstudio.inference.interactive import GrabCutInteractive

                model = GrabCutInteractive()
            return PromptModelRefiner(model)

        return make

    def cancel(self) -> None:
        if self._job is not None:
            self.window.worker.cancel(self._job)

    def _done(self) -> None:
        self._job = None
        self.panel.set_running(False)
        self.panel.timeline.set_busy(None)

    def _on_progress(self, job_id: int, kind: str, done: int, total: int, message: str) -> None:
        if job_id == self._job:
            self.panel.show_progress(done, total)

    def _on_finished(self, job_id: int, kind: str, outcome) -> None:
        if job_id != self._job:
            return
        from segstudio.video.ops import propagation_edit

        plan, self._plan = self._plan, None
        self._done()
        if self.project is None or outcome is None:
            return
        edit = propagation_edit(self.project, plan, outcome,
                                documents=lambda f: self._document_for_image(plan.image_id, f))
        self.window.push_command(edit)
        rep = outcome.report
        why = {"done": "done", "end_of_video": "end of the video", "keyframe": "reached a keyframe",
               "low_confidence": "confidence dropped", "lost": "object lost",
               "cancelled": "cancelled"}.get(rep.reason, rep.reason)
        self.window.status(f"Propagated {len(rep.frames)} frames ({why}, {rep.fps:.1f} frames/s)", 8000)
        self.refresh_tracks()

    def _document_for_image(self, image_id: int, frame: int):
        if self.record is None or self.record.id != image_id:
            return None  # the user moved to another item: write through the store
        return self._document_for(frame)

    def _on_failed(self, error) -> None:
        if error.job_id == self._job:
            self._done()
            self._plan = None
            QMessageBox.warning(self.window, "Propagation failed", f"{error.type}: {error.message}")

    def _on_cancelled(self, job_id: int, kind: str) -> None:
        if job_id == self._job:
            self._done()
            self._plan = None

    # ----------------------------------------------------------------- interpolation
    def interpolate(self) -> None:
        from segstudio.video.ops import interpolation_edit

        tracks = self._selected_tracks()
        if self.record is None or len(tracks) != 1:
            self.window.status("Select one instance (or track) whose keyframes to interpolate", 5000)
            return
        try:
            edit = interpolation_edit(self.project, self.record.id, tracks[0], label_set=self.label_set,
                                      documents=self._document_for)
        except T.TrackError as e:
            self.window.status(str(e), 6000)
            return
        self.window.push_command(edit)
        self.window.status(f"Interpolated {len(edit.frames)} frames of track {tracks[0]}")
        self.refresh_tracks()
