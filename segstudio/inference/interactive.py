"""The built-in interactive click/box segmenter: GrabCut with clicks as hard constraints, steered
by the U²-Netp salient-object network looking at the object ("zoomed saliency").

No interactive weights are learned; the optional saliency network is the built-in U²-Netp.

Per image (`set_image`, the "embedding"): the image is reduced so its long side is at most
`work_side` pixels and, when seeding is on, the whole-image saliency map is computed once.

Per prompt (`predict`); GrabCut's k-means is seeded, so the same clicks give the same mask:
1. first click / box: a trimap at working resolution (the salient component under the click, the
   box, or a disk), clicks as sure-label disks, GrabCut inside a region of interest, edge-aware
   upsampling.  With saliency, a first click is then re-done on a crop around that first result
   (`interactive_zoom`): if the zoomed saliency holds the click, it becomes the mask;
2. a later click that lands on an error ("refinement"):
   - zoomed saliency over the current mask and positive clicks; if it contradicts at most
     max(`zoom_tolerance`, `zoom_tolerance_frac` x clicks) clicks it becomes the new base and each
     click it contradicts is fixed by a local correction (below);
   - otherwise, when the click is deep inside a large error (farther than `global_above` x the
     long side from the label it asks for) GrabCut re-runs over the whole working image with the
     previous mask as the probable labels, so a big missed or wrong region is fixed in one click;
   - otherwise a local correction: GrabCut in a window of a few error radii around the click at
     (near) full resolution, keeping only the change connected to the click;
3. the click disks are enforced at full resolution.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference import interactive_zoom as zoom
from segstudio.inference.base import Click, Prompt, PromptResult
from segstudio.inference.mask_upsample import upsample_mask

MODEL_ID = "grabcut-interactive"


@dataclass
class GrabCutParams:
    work_side: int = 320  # long side of the working image
    click_radius: float = 0.012  # hard-constraint disk radius, fraction of the working long side
    seed_disk: float = 0.06  # first-click disk (no saliency), fraction of the working long side
    roi_margin: float = 0.25  # ROI margin around probable foreground, fraction of its size
    roi_min: float = 0.15  # ...but at least this fraction of the working long side
    iterations_first: int = 2
    iterations_refine: int = 1
    iterations_global_refine: int = 4
    # later clicks: "hybrid" (local, or global when the error is large), "local" or "global"
    refine: str = "hybrid"
    global_above: float = 0.03  # hybrid: global re-run when the error radius exceeds this x long side
    zoom: bool = True  # use zoomed saliency (needs the saliency model)
    zoom_margin: float = 0.3  # crop margin around the object, fraction of its size
    zoom_box_margin: float = 0.1  # crop margin around a box prompt (a box is already tight)
    zoom_threshold: float = 0.5
    # other thresholds to try; the clicks pick the one they contradict least (ties: the first)
    zoom_alt_thresholds: tuple[float, ...] = ()
    zoom_tolerance: int = 1  # a zoomed mask may contradict this many clicks...
    zoom_tolerance_frac: float = 0.25  # ...or this fraction of them, whichever is more
    local_refine: bool = True  # keep only changes connected to the newest click
    local_window: float = 2.5  # refinement window half-size, in units of the error radius d
    local_flip: float = 1.0  # disk of radius local_flip*d becomes probably the clicked label
    local_cap: float = 0.06  # cap of d, fraction of the image long side
    local_min_half: float = 0.03  # minimum window half-size, fraction of the image long side
    local_side: int = 256
    sure_frac: float = 0.7  # disk of radius sure_frac*d around a refinement click is sure
    guided: bool = True  # edge-aware upsampling of the working-resolution mask
    max_growth: float = 6.0  # a kept change may cover at most this many error disks (pi d^2)  # refinement windows larger than this are reduced
    saliency_threshold: float = 0.5
    max_salient_fraction: float = 0.7  # a salient "object" larger than this is not a seed


class GrabCutInteractive:
    """PromptSegmenter: `set_image` once, then `predict` with clicks, a box and the last mask."""

    model_id = MODEL_ID

    def __init__(self, saliency=None, params: GrabCutParams | None = None) -> None:
        """`saliency`: an object with `saliency(rgb, cancel=None) -> float32 HxW` (the built-in
        SalientSegmenter) or None for pure GrabCut."""
        self.params = params or GrabCutParams()
        self._saliency_model = saliency
        self._lock = threading.Lock()
        self._full_shape: tuple[int, int] = (0, 0)
        self._work: np.ndarray | None = None
        self._image: np.ndarray | None = None
        self._sal: np.ndarray | None = None
        self._scale = 1.0
        self._zoomed = zoom.ZoomedSaliency(saliency.saliency) if saliency is not None else None

    # ----------------------------------------------------------------- per image
    def set_image(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image HxWx3, got {rgb.dtype} {rgb.shape}")
        report(progress, 0, 2, "preparing image")
        h, w = rgb.shape[:2]
        scale = min(1.0, self.params.work_side / max(h, w))
        wh, ww = max(1, round(h * scale)), max(1, round(w * scale))
        work = rgb if scale == 1.0 else cv2.resize(rgb, (ww, wh), interpolation=cv2.INTER_AREA)
        # GrabCut's colour models expect BGR order only by convention; RGB works the same.
        work = np.ascontiguousarray(work)
        sal = None
        if self._saliency_model is not None:
            if cancel is not None:
                cancel.check()
            s = self._saliency_model.saliency(work)
            sal = cv2.resize(s, (ww, wh), interpolation=cv2.INTER_LINEAR) if s.shape != (wh, ww) else s
        with self._lock:
            self._full_shape = (h, w)
            self._scale = (wh / h, ww / w)
            self._work = work
            self._image = rgb
            self._sal = sal
            if self._zoomed is not None:
                self._zoomed.clear()
        report(progress, 2, 2, "image ready")

    @property
    def image_shape(self) -> tuple[int, int]:
        return self._full_shape

    # ----------------------------------------------------------------- per prompt
    def predict(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        """The final answer: the zoomed-saliency stage where it applies, else the fast stage."""
        fast = self.predict_fast(prompt, cancel)
        better = self.predict_refined(prompt, fast.mask, cancel)
        return better if better is not None else fast

    def _state(self):
        with self._lock:
            if self._work is None:
                raise RuntimeError("set_image must be called before predict")
            return self._image, self._work, self._sal, self._scale

    def _check_prev(self, prompt: Prompt) -> None:
        prev = prompt.prev_mask
        if prev is not None and prev.shape != self._full_shape:
            raise ValueError(f"previous mask {prev.shape} does not fit the image {self._full_shape}")

    def _is_refinement(self, prompt: Prompt) -> bool:
        prev = prompt.prev_mask
        return prev is not None and bool(prev.any()) and bool(prompt.clicks) and self.params.refine != "global"

    def predict_fast(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        """Stage 1, tens of milliseconds: GrabCut only.  The GUI shows it at once."""
        image, work, sal, scale = self._state()
        H, W = self._full_shape
        if prompt.is_empty:
            return PromptResult(np.zeros((H, W), bool), 0.0)
        self._check_prev(prompt)
        cv2.setRNGSeed(0x5E65)  # GrabCut's k-means start: the same clicks give the same mask
        if self._is_refinement(prompt):
            mask = self._refine(image, work, scale, prompt.prev_mask, prompt.clicks, cancel)
        else:
            # The saliency seed helps the first click; on later global re-runs it would re-impose
            # a salient region the user has been correcting, so only clicks seed those.
            seed_sal = sal if len(prompt.clicks) <= 1 else None
            mask = self._global(work, seed_sal, scale, prompt, cancel)
        self._enforce_clicks(mask, prompt.clicks, max(H, W))
        return PromptResult(mask, 1.0)

    def predict_refined(
        self, prompt: Prompt, fast: np.ndarray, cancel: CancelToken | None = None
    ) -> PromptResult | None:
        """Stage 2, one salient-object pass (~0.3 s on 2 cores): the zoomed-saliency answer, or
        None when it does not apply or is not trusted (the fast answer stands)."""
        if not self._use_zoom() or prompt.is_empty:
            return None
        image, _work, _sal, _scale = self._state()
        self._check_prev(prompt)
        clicks = prompt.clicks
        cv2.setRNGSeed(0x5E65)
        if prompt.box is not None:
            mask = self._zoom_box_prompt(image, prompt, cancel)
            if mask is None:
                return None
            self._enforce_clicks(mask, clicks, max(self._full_shape))
            return PromptResult(mask, 1.0)
        if not any(c.positive for c in clicks):
            return None
        if self._is_refinement(prompt):
            mask = self._zoom_refine(image, prompt.prev_mask, clicks, cancel)
        elif len(clicks) == 1:
            mask = self._zoom_first(image, fast, clicks, cancel)
        else:
            mask = None
        if mask is None:
            return None
        self._enforce_clicks(mask, clicks, max(self._full_shape))
        return PromptResult(mask, 1.0)

    def _use_zoom(self) -> bool:
        return self._zoomed is not None and self.params.zoom

    def _zoom_first(self, image, mask: np.ndarray, clicks, cancel) -> np.ndarray | None:
        """Re-look at the first result's surroundings: the zoomed saliency wins if it holds the
        click (it follows the object's edges far better than colour GrabCut)."""
        if not mask.any():
            return None
        z = self._zoom_candidate(image, mask, clicks, cancel)
        if z is None or not z.any() or zoom.violated(z, clicks):
            return None
        return self._zoom_correct(image, z, clicks)

    def _zoom_box_prompt(self, image, prompt: Prompt, cancel) -> np.ndarray | None:
        """A box says where the object is: the saliency of the box (plus a small margin) is the
        object's mask, its largest part (and the parts that hold positive clicks) inside the box;
        the clicks it contradicts are corrected locally."""
        H, W = self._full_shape
        x0, y0, x1, y1 = prompt.box
        bx0, bx1 = sorted((int(np.clip(np.floor(x0), 0, W)), int(np.clip(np.ceil(x1), 0, W))))
        by0, by1 = sorted((int(np.clip(np.floor(y0), 0, H)), int(np.clip(np.ceil(y1), 0, H))))
        if bx1 - bx0 < 4 or by1 - by0 < 4:
            return None
        inside = np.zeros((H, W), bool)
        inside[by0:by1, bx0:bx1] = True
        m = self.params.zoom_box_margin
        mx, my = round(m * (bx1 - bx0)) + 4, round(m * (by1 - by0)) + 4
        crop = (max(0, bx0 - mx), max(0, by0 - my), min(W, bx1 + mx), min(H, by1 + my))
        if cancel is not None:
            cancel.check()
        prob = self._zoomed(image, crop, cancel)
        z = np.zeros((H, W), bool)
        z[crop[1] : crop[3], crop[0] : crop[2]] = prob > self.params.zoom_threshold
        z &= inside
        n, labels, stats, _ = cv2.connectedComponentsWithStats(z.astype(np.uint8), connectivity=8)
        if n <= 1 or stats[1:, cv2.CC_STAT_AREA].max() < 0.02 * (bx1 - bx0) * (by1 - by0):
            return None  # nothing salient in the box: GrabCut's answer stands
        keep = {1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))}
        keep |= {int(labels[zoom.row(c, H), zoom.col(c, W)]) for c in prompt.clicks if c.positive} - {0}
        z = np.isin(labels, list(keep))
        return self._zoom_correct(image, z, prompt.clicks) & inside

    def _zoom_refine(self, image, prev: np.ndarray, clicks, cancel) -> np.ndarray | None:
        """A click on an error: the zoomed saliency over the current object, trusted when it
        contradicts at most a few of the clicks (each one it contradicts is then corrected)."""
        p = self.params
        if not zoom.violated(prev, clicks[-1:]):
            return None  # the click is on no error: the fast answer (the last mask) stands
        z = self._zoom_candidate(image, prev, clicks, cancel)
        if z is None:
            return None
        if len(zoom.violated(z, clicks)) > max(p.zoom_tolerance, p.zoom_tolerance_frac * len(clicks)):
            return None
        return self._zoom_correct(image, z, clicks)

    def _zoom_candidate(self, image, around: np.ndarray, clicks, cancel) -> np.ndarray | None:
        box = zoom.zoom_box(around, clicks, self.params.zoom_margin)
        if box is None or box[2] - box[0] < 4 or box[3] - box[1] < 4:
            return None
        if cancel is not None:
            cancel.check()
        prob = self._zoomed(image, box, cancel)
        best: tuple[int, np.ndarray] | None = None
        for t in (self.params.zoom_threshold, *self.params.zoom_alt_thresholds):
            z = zoom.candidate(prob, box, around.shape, clicks, t)
            bad = len(zoom.violated(z, clicks))
            if best is None or bad < best[0]:
                best = (bad, z)
        return best[1] if best is not None else None

    def _zoom_correct(self, image, base: np.ndarray, clicks) -> np.ndarray:
        return zoom.correct(base, clicks, lambda m, cl: self._local(image, m, cl, None))

    def _refine(self, image, work, scale, prev: np.ndarray, clicks, cancel) -> np.ndarray:
        """A click on an error of the previous mask: a global re-run for a large error, a local
        correction for a small one (`_local`, which also answers a click that is no error)."""
        p = self.params
        hit = _click_on_error(prev, clicks[-1])
        if hit is not None and p.refine == "hybrid":
            H, W = prev.shape
            cx, cy, want = hit
            d = self._distance_to_label(prev, cx, cy, want, cap=0.5 * max(H, W))
            if d > p.global_above * max(H, W):
                return self._global_prev(work, scale, prev, clicks, d, cancel)
        return self._local(image, prev, clicks, cancel)

    def _global_prev(self, work, scale, prev: np.ndarray, clicks, d: float, cancel) -> np.ndarray:
        """GrabCut over the working image with the previous mask as probable labels, a disk of the
        error radius around the new click as probably its label, and every click sure."""
        H, W = self._full_shape
        sy, sx = scale
        h, w = work.shape[:2]
        pm = cv2.resize(prev.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) > 0.5
        tri = np.where(pm, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        c = clicks[-1]
        label = int(cv2.GC_PR_FGD if c.positive else cv2.GC_PR_BGD)
        cv2.circle(tri, (round(c.x * sx), round(c.y * sy)), max(2, round(d * sx)), label, -1)
        rc = max(2, round(self.params.click_radius * max(h, w)))
        scaled = []
        for k in clicks:
            x, y = min(max(k.x * sx, 0), w - 1), min(max(k.y * sy, 0), h - 1)
            scaled.append((x, y, k.positive))
            cv2.circle(tri, (round(x), round(y)), rc, int(cv2.GC_FGD if k.positive else cv2.GC_BGD), -1)
        if cancel is not None:
            cancel.check()
        fg = self._grabcut(work, tri, None, self.params.iterations_global_refine)
        fg = self._keep_clicked_parts(fg, scaled)
        return self._upsample(fg, H, W, self._image if self.params.guided else None)

    def _global(self, work, sal, scale, prompt: Prompt, cancel) -> np.ndarray:
        """First result: GrabCut over the reduced image, seeded by saliency, a box or a disk."""
        H, W = self._full_shape
        sy, sx = scale
        h, w = work.shape[:2]
        rc = max(2, round(self.params.click_radius * max(h, w)))
        clicks = [(c.x * sx, c.y * sy, c.positive) for c in prompt.clicks]
        clicks = [(min(max(x, 0), w - 1), min(max(y, 0), h - 1), pos) for x, y, pos in clicks]
        box = None
        if prompt.box is not None:
            x0, y0, x1, y1 = prompt.box
            box = (
                int(np.clip(np.floor(min(x0, x1) * sx), 0, w - 1)),
                int(np.clip(np.floor(min(y0, y1) * sy), 0, h - 1)),
                int(np.clip(np.ceil(max(x0, x1) * sx), 1, w)),
                int(np.clip(np.ceil(max(y0, y1) * sy), 1, h)),
            )
        tri = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        tri[self._seed(sal, clicks, box, h, w)] = cv2.GC_PR_FGD
        if box is not None:
            outside = np.ones((h, w), bool)
            outside[box[1] : box[3], box[0] : box[2]] = False
            tri[outside] = cv2.GC_BGD
        hard = np.zeros((h, w), np.uint8)  # 1 = sure fg, 2 = sure bg
        for x, y, pos in clicks:
            cv2.circle(hard, (round(x), round(y)), rc, 1 if pos else 2, -1)
        tri[hard == 1] = cv2.GC_FGD
        tri[hard == 2] = cv2.GC_BGD
        if cancel is not None:
            cancel.check()
        fg = self._grabcut(work, tri, box, self.params.iterations_first)
        fg = self._keep_clicked_parts(fg, clicks)
        return self._upsample(fg, H, W, self._image if self.params.guided else None)

    def _local(self, image, prev: np.ndarray, clicks, cancel) -> np.ndarray:
        """Refinement: GrabCut in a window around the newest click, at (near) full resolution.

        The click sits inside the error it corrects; its distance to the nearest pixel of the
        label it asks for (d) estimates the error's size, so a disk of radius ~d around it becomes
        *probably* the clicked label and colour decides; the window spans a few d.  Only changes
        connected to the click are kept."""
        p = self.params
        H, W = prev.shape
        hit = _click_on_error(prev, clicks[-1])
        if hit is None:
            return prev.copy()  # nothing to correct
        cx, cy, want = hit
        d = self._distance_to_label(prev, cx, cy, want, cap=p.local_cap * max(H, W))
        half = int(max(p.local_min_half * max(H, W), p.local_window * d))
        x0, y0 = max(0, cx - half), max(0, cy - half)
        x1, y1 = min(W, cx + half + 1), min(H, cy + half + 1)
        win_prev = prev[y0:y1, x0:x1]
        img = image[y0:y1, x0:x1]
        ws = min(1.0, p.local_side / max(y1 - y0, x1 - x0))
        wh, ww = max(2, round((y1 - y0) * ws)), max(2, round((x1 - x0) * ws))
        if ws < 1.0:
            img = cv2.resize(img, (ww, wh), interpolation=cv2.INTER_AREA)
            pm = cv2.resize(win_prev.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) > 0.5
        else:
            pm = win_prev
        tri = np.where(pm, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        lx, ly = (cx - x0) * ws, (cy - y0) * ws
        flip = np.zeros((wh, ww), np.uint8)
        cv2.circle(flip, (round(lx), round(ly)), max(1, round(p.local_flip * d * ws)), 1, -1)
        tri[flip.astype(bool)] = cv2.GC_PR_FGD if want else cv2.GC_PR_BGD
        if p.sure_frac > 0:
            sure = np.zeros((wh, ww), np.uint8)
            cv2.circle(sure, (round(lx), round(ly)), max(1, round(p.sure_frac * d * ws)), 1, -1)
            tri[sure.astype(bool)] = cv2.GC_FGD if want else cv2.GC_BGD
        # The window frame keeps the previous labels for sure, so a change cannot leak out.
        frame = np.zeros((wh, ww), bool)
        frame[0, :] = frame[-1, :] = frame[:, 0] = frame[:, -1] = True
        if x0 == 0:
            frame[:, 0] = False
        if y0 == 0:
            frame[0, :] = False
        if x1 == W:
            frame[:, -1] = False
        if y1 == H:
            frame[-1, :] = False
        tri[frame & pm] = cv2.GC_FGD
        tri[frame & ~pm] = cv2.GC_BGD
        rc = max(2, round(p.click_radius * max(H, W) * ws))
        for k in clicks:
            kx, ky = (k.x - x0) * ws, (k.y - y0) * ws
            if -rc <= kx < ww + rc and -rc <= ky < wh + rc:
                cv2.circle(tri, (round(kx), round(ky)), rc, int(cv2.GC_FGD if k.positive else cv2.GC_BGD), -1)
        if cancel is not None:
            cancel.check()
        fg = self._grabcut(img, tri, None, p.iterations_refine, roi=False)
        if ws < 1.0:
            fg = self._upsample(fg, y1 - y0, x1 - x0, image[y0:y1, x0:x1] if p.guided else None)
        new = prev.copy()
        new[y0:y1, x0:x1] = fg
        if p.local_refine:
            change = (new ^ prev)[y0:y1, x0:x1]
            change[max(0, cy - y0 - 1) : cy - y0 + 2, max(0, cx - x0 - 1) : cx - x0 + 2] = True
            _, labels = cv2.connectedComponents(change.astype(np.uint8), connectivity=8)
            keep = labels == labels[cy - y0, cx - x0]
            # A correction far larger than the error it was aimed at means the colour models
            # were fooled: fall back to the click's own disk (enforced by the caller).
            if np.count_nonzero(keep) > p.max_growth * np.pi * max(d, 4.0) ** 2:
                return prev.copy()
            new[y0:y1, x0:x1] = np.where(keep, fg, win_prev)
        return new

    @staticmethod
    def _distance_to_label(prev, cx, cy, want: bool, cap: float) -> float:
        """Distance from (cx, cy) to the nearest pixel whose label is `want`, capped."""
        r = int(cap)
        H, W = prev.shape
        y0, y1, x0, x1 = max(0, cy - r), min(H, cy + r + 1), max(0, cx - r), min(W, cx + r + 1)
        other = prev[y0:y1, x0:x1] != want  # pixels not yet of the wanted label
        if other.all():
            return cap
        dist = cv2.distanceTransform(other.astype(np.uint8), cv2.DIST_L2, 3)
        return float(min(cap, dist[cy - y0, cx - x0]))

    def _enforce_clicks(self, mask: np.ndarray, clicks, long_side: int) -> None:
        # Click disks are promises to the user: they hold at full resolution.
        r = max(1, round(self.params.click_radius * min(long_side, self.params.work_side)))
        for c in clicks:
            disk = np.zeros(mask.shape, np.uint8)
            cv2.circle(disk, (round(c.x), round(c.y)), r, 1, -1)
            mask[disk.astype(bool)] = c.positive

    # ----------------------------------------------------------------- steps
    def _seed(self, sal, clicks, box, h, w) -> np.ndarray:
        p = self.params
        seed = np.zeros((h, w), bool)
        pos = [(x, y) for x, y, ok in clicks if ok]
        if sal is not None:
            salient = sal >= p.saliency_threshold
            if box is not None:
                inbox = np.zeros_like(salient)
                inbox[box[1] : box[3], box[0] : box[2]] = True
                salient &= inbox
            n, labels = cv2.connectedComponents(salient.astype(np.uint8), connectivity=8)
            keep = set()
            for x, y in pos:
                k = labels[int(y), int(x)]
                if k > 0:
                    keep.add(int(k))
            if not pos and box is not None and n > 1:
                keep = set(range(1, n))
            if keep:
                cand = np.isin(labels, list(keep))
                if cand.sum() <= p.max_salient_fraction * h * w:
                    seed |= cand
        if box is not None and not seed.any():
            seed[box[1] : box[3], box[0] : box[2]] = True
        if not seed.any():
            r = max(3, round(p.seed_disk * max(h, w)))
            m = np.zeros((h, w), np.uint8)
            for x, y in pos:
                cv2.circle(m, (round(x), round(y)), r, 1, -1)
            seed |= m.astype(bool)
        return seed

    def _grabcut(self, work, tri, box, iters: int, roi: bool = True) -> np.ndarray:
        p = self.params
        h, w = tri.shape
        fgish = (tri == cv2.GC_FGD) | (tri == cv2.GC_PR_FGD)
        ys, xs = np.nonzero(fgish)
        if ys.size == 0:
            return np.zeros((h, w), bool)
        if not roi:
            x0, y0, x1, y1 = 0, 0, w, h
        elif box is not None:
            bx0, by0, bx1, by1 = box
            m = max(4, round(0.05 * max(bx1 - bx0, by1 - by0)))
            x0, y0, x1, y1 = bx0 - m, by0 - m, bx1 + m, by1 + m
        else:
            x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
            m = max(8, round(p.roi_margin * max(x1 - x0, y1 - y0)), round(p.roi_min * max(h, w)))
            x0, y0, x1, y1 = x0 - m, y0 - m, x1 + m, y1 + m
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        sub = tri[y0:y1, x0:x1].copy()
        # GrabCut needs both colour models: make sure some background is in the ROI.
        if not np.isin(sub, (cv2.GC_BGD, cv2.GC_PR_BGD)).any():
            sub[0, :] = sub[-1, :] = cv2.GC_PR_BGD
            sub[:, 0] = sub[:, -1] = cv2.GC_PR_BGD
        img = np.ascontiguousarray(work[y0:y1, x0:x1])
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        # Degenerate colour statistics (e.g. a flat image) make OpenCV raise: keep the trimap.
        with contextlib.suppress(cv2.error):
            cv2.grabCut(img, sub, None, bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
        out = np.zeros((h, w), bool)
        out[y0:y1, x0:x1] = (sub == cv2.GC_FGD) | (sub == cv2.GC_PR_FGD)
        return out

    @staticmethod
    def _keep_clicked_parts(fg: np.ndarray, clicks) -> np.ndarray:
        pos = [(int(y), int(x)) for x, y, ok in clicks if ok]
        if pos and fg.any():
            _, labels = cv2.connectedComponents(fg.astype(np.uint8), connectivity=8)
            keep = {int(labels[y, x]) for y, x in pos} - {0}
            if keep:
                fg = np.isin(labels, list(keep))
        return fg

    _upsample = staticmethod(upsample_mask)


def _click_on_error(prev: np.ndarray, c: Click) -> tuple[int, int, bool] | None:
    """(x, y, label asked for) of a click that lands on a pixel of the other label, else None."""
    H, W = prev.shape
    cx, cy = int(np.clip(round(c.x), 0, W - 1)), int(np.clip(round(c.y), 0, H - 1))
    want = bool(c.positive)
    return None if prev[cy, cx] == want else (cx, cy, want)


def make_click_session(model: GrabCutInteractive):
    """Adapter for the NoC protocol: clicks (x, y, positive) + previous mask -> mask."""

    def predict(clicks, prev_mask):
        prompt = Prompt(tuple(Click(x + 0.0, y + 0.0, pos) for x, y, pos in clicks), None, prev_mask)
        return model.predict(prompt).mask

    return predict
