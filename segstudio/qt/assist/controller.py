"""AI assistance controller: the chosen model, the click/box tools, live proposals and the
pre-label of the current image.  Every model call runs on `window.worker`: prompts (the
current image's embedding, clicks, boxes, the next image's prefetch) on its "interactive" lane,
a thread of their own, so a click is answered while a batch pre-label runs on the main
inference thread; results for another image or an older prompt are dropped (latest request
wins)."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from segstudio.core import commands
from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.core.proposal import Proposal
from segstudio.core.tools.prompt import BoxPromptTool, PromptTool
from segstudio.inference.host import INTERACTIVE, ModelHost
from segstudio.qt.assist.embed_estimate import EmbeddingEstimates, preparing_state
from segstudio.store.status import mark_prelabelled

PREDICT, EMBED, PREFETCH, IMAGE = "assist-predict", "assist-embed", "assist-prefetch", "assist-image"
LANE = INTERACTIVE  # the worker lane of PREDICT, EMBED and PREFETCH
BATCH_LANE = "batch"  # ModelHost key of models used on the main inference thread (IMAGE)


@dataclass(frozen=True)
class PredictOutcome:
    key: tuple[int, int]
    seq: int
    tool: str
    mask: np.ndarray
    score: float
    seconds: float
    prompt: Any
    final: bool = True  # False: a quick first answer; a better one is being computed
    rank: int = 0  # which of the model's candidate masks, best score first (Prompt.mask_choice)
    n_choices: int = 1  # how many candidates the model gave for this prompt


@dataclass(frozen=True)
class Candidates:
    """The candidate masks of the proposal on show: `rank` (0 = best score) of `count`."""

    rank: int = 0
    count: int = 0  # 0: no model proposal on show
    score: float = 0.0

    @property
    def cyclable(self) -> bool:
        return self.count > 1

    def describe(self) -> str:
        if self.count == 0:
            return ""
        if self.count == 1:
            return f"one mask, score {self.score:.2f}"
        return f"mask {self.rank + 1}/{self.count}, score {self.score:.2f}"


class AssistController(QObject):
    model_changed = Signal(object)  # ModelCard | None
    latency = Signal(float)  # seconds of the last click-to-proposal
    busy_changed = Signal(bool)
    preparing = Signal(str)  # "preparing <model> for this image… N s of ~M s", "" once ready
    # estimated percent of that embedding (capped below 100 until done); -1: no estimate known
    preparing_percent = Signal(int)
    candidates_changed = Signal(object)  # Candidates of the proposal on show

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.card = None
        self.cards: list = []
        self.problems: list[str] = []
        self.host = ModelHost()
        self.click_tool = PromptTool(partial(self._request, "ai_click"))
        self.box_tool = BoxPromptTool(partial(self._request, "ai_box"))
        self._rgb: tuple[tuple[int, int], np.ndarray] | None = None
        self._doc = None
        self._sent_at: dict[int, float] = {}
        self._closing = False  # the window is closing: start no new model work
        # the prompt answer on show (cycling re-runs its prompt) and the proposal made from it
        self._shown: tuple[PredictOutcome, Proposal] | None = None
        self._cycle_to: tuple[int, int] | None = None  # (seq, rank) asked for, not shown yet
        self.candidates = Candidates()
        # prompts get a thread of their own: a click never waits for a batch pre-label
        window.worker.add_lane(LANE, (PREDICT, EMBED, PREFETCH), foreground=True)
        window.worker.finished.connect(self._on_finished)
        window.worker.failed.connect(self._on_failed)
        window.worker.cancelled.connect(lambda job_id, _kind: self._embed_done(job_id))
        # the embedding of the current image: job id and start, and a 1 s tick for the message
        self._embed_job: tuple[int, float] | None = None
        # its expected duration: last measured here for this model, else the catalogue's figure
        self.estimates = EmbeddingEstimates()
        self._embed_expected: float | None = None
        self._embed_timer = QTimer(self)
        self._embed_timer.setInterval(250)
        self._embed_timer.timeout.connect(self._tick_preparing)
        window.image_changed.connect(self._on_image_changed)
        window.installEventFilter(self)
        self.reload_cards()
        if window.current_image() is not None:  # installed after a project was opened
            self._on_image_changed(window.current_image())

    def eventFilter(self, obj, event) -> bool:
        # Why: closing shuts the worker down, then delivers the batch's last result, which
        # reloads the document; that must not queue a fresh embedding on a stopped window.
        if obj is self.window and event.type() in (QEvent.Type.Close, QEvent.Type.Show):
            self._closing = event.type() == QEvent.Type.Close
        return False

    # ------------------------------------------------------------ models
    def reload_cards(self) -> None:
        from segstudio.inference.registry import discover

        project = self.window.project
        # Models trained in the project; a project that trained none has no such folder yet.
        trained = project.root / "models" if project is not None else None
        extra = [trained] if trained is not None and trained.is_dir() else []
        self.cards, self.problems = discover(extra)
        if self.card is None or self.card.id not in {c.id for c in self.cards}:
            default = next((c for c in self.cards if c.id == "grabcut-interactive"), None)
            self.set_model(default.id if default else None)

    def set_model(self, card_id: str | None) -> None:
        card = next((c for c in self.cards if c.id == card_id), None)
        if card is self.card:
            return
        self.card = card
        for tool in (self.click_tool, self.box_tool):
            tool.reset()
        self._set_shown(None)
        self.model_changed.emit(card)
        if card is not None and card.is_prompt:
            self._prepare_current()

    def image_cards(self) -> list:
        return [c for c in self.cards if not c.is_prompt]

    def prompt_cards(self) -> list:
        return [c for c in self.cards if c.is_prompt]

    # ------------------------------------------------------------ tools
    def activate_tool(self, which: str) -> None:
        if self.card is None or not self.card.is_prompt:
            prompt = self.prompt_cards()
            if not prompt:
                self.window.status("No click/box model available")
                return
            self.set_model(prompt[0].id)
        tool = self.click_tool if which == "ai_click" else self.box_tool
        self.window.canvas.set_tool(tool)
        self._prepare_current()
        self.window.status(f"{tool.label} with {self.card.display_name}: left click adds, right/Alt "
                           "click removes, Enter accepts, Esc discards, Backspace undoes a click", 6000)

    def _current_rgb(self) -> tuple[tuple[int, int], np.ndarray] | None:
        rec, data = self.window.current_image(), self.window.current_image_data()
        if rec is None or data is None:
            return None
        key = (rec.id, self.window.current_frame())
        if self._rgb is None or self._rgb[0] != key or self._rgb[1].shape[:2] != data.data.shape[:2]:
            self._rgb = (key, np.ascontiguousarray(data.rgb8()))
        return self._rgb

    def _current_rgb_or_say(self) -> tuple[tuple[int, int], np.ndarray] | None:
        cur = self._current_rgb()
        if cur is None:
            self.window.status("The image is still loading")
        return cur

    def _request(self, tool_name: str, prompt, seq: int) -> None:
        if self._closing:
            return
        if self.card is None or not self.card.is_prompt:
            self.window.status("Choose a click/box model first (Model ▸ AI Assist panel)")
            return
        cur = self._current_rgb_or_say()
        if cur is None:
            return
        key, rgb = cur
        job = partial(self._predict_job, self.card, key, rgb, prompt, seq, tool_name)
        job_id = self.window.worker.submit(PREDICT, job)
        self._sent_at = {job_id: time.perf_counter()}  # only the latest request is ever shown
        self.busy_changed.emit(True)

    def _predict_job(self, card, key, rgb, prompt, seq, tool_name, cancel, progress) -> PredictOutcome:
        t0 = time.perf_counter()
        model = self.host.ensure_image(card, key, rgb, cancel, progress)
        # Two-stage models answer at once and then improve: the user sees the quick answer while
        # the slow stage runs as a follow-up job (which the next click supersedes).
        staged = hasattr(model, "predict_fast") and hasattr(model, "predict_refined")
        res = model.predict_fast(prompt, cancel) if staged else model.predict(prompt, cancel)
        return PredictOutcome(key, seq, tool_name, res.mask, float(res.score),
                              time.perf_counter() - t0, prompt, final=not staged,
                              rank=res.rank, n_choices=res.n_choices)

    def _refine_job(self, card, out: PredictOutcome, rgb, cancel, progress) -> PredictOutcome | None:
        t0 = time.perf_counter()
        model = self.host.ensure_image(card, out.key, rgb, cancel, progress)
        res = model.predict_refined(out.prompt, out.mask, cancel)
        if res is None:
            return None  # the quick answer stands
        return PredictOutcome(out.key, out.seq, out.tool, res.mask, float(res.score),
                              out.seconds + time.perf_counter() - t0, out.prompt)

    def _follow_up(self, out: PredictOutcome) -> None:
        """Queue the slow stage of a two-stage answer on the same lane (latest request wins)."""
        cur = self._current_rgb()
        if self._closing or self.card is None or cur is None or cur[0] != out.key:
            return
        self.window.worker.submit(PREDICT, partial(self._refine_job, self.card, out, cur[1]))
        self.busy_changed.emit(True)

    def _show(self, out: PredictOutcome, job_id: int) -> None:
        cur = self._current_rgb()
        doc = self.window.current_document()
        if cur is None or doc is None or cur[0] != out.key:
            return  # another image by now
        tool = self.click_tool if out.tool == "ai_click" else self.box_tool
        if not tool.take_result(out.seq, out.mask):
            return  # an older prompt
        sel = self.window.selected_instance_ids()
        target = sel[0] if len(sel) == 1 and self.window.controller.options.target == "selected" else None
        p = out.prompt
        proposal = Proposal(
            MaskPatch.from_full(out.mask), out.score, None, self.card.id if self.card else "",
            target, None,
            {"clicks": [(c.x, c.y, c.positive) for c in p.clicks], "box": p.box,
             "mask_choice": out.rank, "mask_choices": out.n_choices}, job_id,
        )
        self._shown = (out, proposal)  # before set_proposal: its signal must find it ours
        doc.set_proposal(proposal)
        self._set_shown((out, proposal))
        sent = self._sent_at.pop(job_id, None)
        if sent is not None:
            self.latency.emit(time.perf_counter() - sent)
        if not out.final:
            self._follow_up(out)

    # ------------------------------------------------------------ candidate masks
    def cycle_candidate(self, step: int = 1) -> None:
        """Show the next (step 1) or previous (-1) of the model's candidate masks for the prompt
        on show, best score first, wrapping around; the next click refines the one shown."""
        shown = self._shown
        if shown is None or shown[0].n_choices < 2:
            self.window.status("The proposal on show has no other candidate masks" if shown
                               else "No AI proposal to cycle: click with the AI tool first", 4000)
            return
        out = shown[0]
        cur = self._current_rgb()
        if self._closing or self.card is None or cur is None or cur[0] != out.key:
            return
        # quick presses add up: count from the candidate asked for last, not the one on show
        base = self._cycle_to[1] if self._cycle_to is not None and self._cycle_to[0] == out.seq else out.rank
        rank = (base + step) % out.n_choices
        self._cycle_to = (out.seq, rank)
        prompt = dataclasses.replace(out.prompt, mask_choice=rank)
        job = partial(self._predict_job, self.card, out.key, cur[1], prompt, out.seq, out.tool)
        job_id = self.window.worker.submit(PREDICT, job)
        self._sent_at = {job_id: time.perf_counter()}
        self.busy_changed.emit(True)

    def _set_shown(self, shown: tuple[PredictOutcome, Proposal] | None) -> None:
        self._shown = shown
        out = shown[0] if shown is not None else None
        if out is None or (out.seq, out.rank) == self._cycle_to:
            self._cycle_to = None
        cands = Candidates(out.rank, out.n_choices, out.score) if out is not None else Candidates()
        if cands != self.candidates:
            self.candidates = cands
            self.candidates_changed.emit(cands)

    # ------------------------------------------------------------ images
    def _on_image_changed(self, rec) -> None:
        if self._doc is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                self._doc.proposal_changed.disconnect(self._on_proposal_changed)
        self._doc = self.window.current_document()
        if self._doc is not None:
            self._doc.proposal_changed.connect(self._on_proposal_changed)
        for tool in (self.click_tool, self.box_tool):
            tool.reset()
        self._set_shown(None)
        self._rgb = None
        self._prepare_current()

    def _on_proposal_changed(self, proposal) -> None:
        if self._shown is not None and proposal is not self._shown[1]:
            self._set_shown(None)  # accepted, discarded or replaced by another tool's proposal
        if proposal is None:  # accepted or discarded: the next click starts a new object
            for tool in (self.click_tool, self.box_tool):
                if tool.clicks or tool.box is not None:
                    tool.reset()

    def _tool_active(self) -> bool:
        return self.window.canvas.tool in (self.click_tool, self.box_tool)

    def _embeds_on_open(self) -> bool:
        """SAM-family models take seconds per image: their embedding starts as soon as an image
        opens (and the next image's is prefetched), tool or no tool.  The built-in model's
        set-up is cheap and waits for a prompt tool (idle users cost no CPU)."""
        return self.card is not None and self.card.kind == "sam"

    def _prepare_current(self) -> None:
        """Compute the current image's embedding ahead of the first click, then prefetch the
        next image's.  Clicks made meanwhile queue behind it on the same lane and are answered
        when it is ready."""
        if self.card is None or not self.card.is_prompt or self._closing:
            return
        if not (self._tool_active() or self._embeds_on_open()):
            return
        cur = self._current_rgb()
        if cur is None:
            return
        key, rgb = cur
        card = self.card
        job_id = self.window.worker.submit(
            EMBED, partial(self._embed_job_run, card, key, rgb), priority=-1)
        self._embed_job = (job_id, time.perf_counter())
        self._embed_expected = self.estimates.expected(card.id)
        self._embed_timer.start()
        nxt = self._next_image_path()
        if nxt is not None:
            self.window.worker.submit(PREFETCH, partial(self._prefetch_job, card, nxt), priority=-2)

    def _embed_job_run(self, card, key, rgb, cancel, progress) -> tuple[str, float]:
        """The embedding job (worker thread): returns the model id and the seconds the model
        itself took, queue wait excluded, for the next estimate."""
        started = time.perf_counter()
        self.host.ensure_image(card, key, rgb, cancel, progress)
        return card.id, time.perf_counter() - started

    def _tick_preparing(self) -> None:
        if self._embed_job is None:
            self._embed_timer.stop()
            return
        waited = time.perf_counter() - self._embed_job[1]
        if waited >= 0.3 and self.card is not None:  # a cached embedding is not worth a word
            state = preparing_state(self.card.display_name, waited, self._embed_expected)
            self.preparing.emit(state.text)
            self.preparing_percent.emit(-1 if state.percent is None else state.percent)

    def _embed_done(self, job_id: int) -> None:
        if self._embed_job is not None and self._embed_job[0] == job_id:
            shown = time.perf_counter() - self._embed_job[1] >= 0.3
            self._embed_job = None
            self._embed_timer.stop()
            if shown:
                self.preparing.emit("")

    def _next_image_path(self):
        project, rec = self.window.project, self.window.current_image()
        if project is None or rec is None:
            return None
        nxt = project.next_image_id(rec.id)
        return None if nxt is None else project.image_path(nxt)

    def _prefetch_job(self, card, path, cancel, progress) -> None:
        model = self.host.model(card, LANE)
        prefetch = getattr(model, "prefetch", None)
        if prefetch is None:
            return  # models without an embedding cache have nothing to prefetch
        from segstudio.io.images import load_image

        cancel.check()
        prefetch(load_image(path).rgb8(), cancel)

    # ------------------------------------------------------------ pre-label current image
    def prelabel_current(self) -> None:
        card = self.card if self.card is not None and not self.card.is_prompt else None
        if card is None:
            cards = self.image_cards()
            card = next((c for c in cards if c.id == "u2netp-salient"), cards[0] if cards else None)
        if card is None:
            self.window.status("No image model available for pre-labelling")
            return
        cur = self._current_rgb_or_say()
        if cur is None:
            return
        key, rgb = cur
        self.window.status(f"Pre-labelling with {card.display_name}…", 0)
        self.window.worker.submit(IMAGE, partial(self._image_job, card, key, rgb))
        self.busy_changed.emit(True)

    def _image_job(self, card, key, rgb, cancel, progress):
        return key, card, self.host.model(card, BATCH_LANE).segment(rgb, cancel, progress)

    def _apply_image_result(self, key, card, result) -> None:
        cur = self._current_rgb()
        doc, project = self.window.current_document(), self.window.project
        if cur is None or doc is None or project is None or cur[0] != key:
            return
        from segstudio.inference.prelabel import (
            PrelabelOptions,
            categories_on_demand,
            result_instances,
        )

        # the batch pre-label's conversion and status rule: the model's instances replace its
        # earlier ones, and a pre-label is not work (a "prelabel" command: new -> prelabelled)
        new = result_instances(result, categories_on_demand(project), card.id,
                               PrelabelOptions(background=card.background), first_id=doc.allocate_id())
        changes: dict[int, Instance | None] = {i.id: None for i in doc.instances if i.source == "model"}
        changes.update({i.id: i for i in new})
        if changes:
            self.window.push_command(commands.edit_instances(
                doc, f"Pre-label ({card.display_name})", changes, kind="prelabel"))
        elif doc.label_set == "gt":  # nothing found: the image was pre-labelled all the same
            mark_prelabelled(project, [doc.image_id])
            self.window.refresh_image_list()
        self.window.status(f"{len(new)} instance(s) from {card.display_name}", 5000)

    def prompt_model_source(self, lane: str):
        """A function returning the chosen click model for another job's thread (loaded there on
        first use, one instance per `lane`), or None when the chosen model answers no clicks."""
        card = self.card
        if card is None or not card.is_prompt:
            return None
        return lambda: self.host.model(card, lane)

    # ------------------------------------------------------------ worker results
    def _on_finished(self, job_id: int, kind: str, result: object) -> None:
        if kind == EMBED:
            if isinstance(result, tuple):
                self.estimates.record(*result)
            self._embed_done(job_id)
        elif kind == PREDICT:
            self.busy_changed.emit(False)
            if result is not None:  # None: a slow stage that kept the quick answer
                self._show(result, job_id)  # type: ignore[arg-type]
        elif kind == IMAGE:
            self.busy_changed.emit(False)
            self._apply_image_result(*result)  # type: ignore[misc]

    def _on_failed(self, error) -> None:
        if error.kind == EMBED:
            self._embed_done(error.job_id)
        if error.kind == PREDICT:
            self._cycle_to = None
        if error.kind in (PREDICT, IMAGE, EMBED, PREFETCH):
            self.busy_changed.emit(False)
            if error.kind == PREFETCH:
                return  # a failed prefetch costs nothing; the real request reports it
            self.window.status(f"Model error: {error.message}", 10000)
