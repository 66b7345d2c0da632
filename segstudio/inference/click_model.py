"""The learned click/box model (a PromptSegmenter): clicks, a box and the previous mask -> mask.

Per prompt (see click_geometry for the views and encodings):
* first click(s), no mask yet: the whole image is the view; then a second pass zooms onto the
  box of that answer (small objects get the network's full resolution).  The GUI shows the
  first pass at once (`predict_fast`) and the zoomed one when it arrives (`predict_refined`);
* a click on an existing mask: one pass on the zoom box around the mask and the clicks; the
  mask outside that box is kept (RITM's zoom-in);
* a box: the filled box is the previous mask, the view the box grown by 40 %.

Inference runs on onnxruntime from an ONNX export of the weights, cached by their hash under
~/.cache/segstudio/onnx (as U²-Netp does); torch is the fallback and the path for in-memory
networks during training.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference import click_geometry as geo
from segstudio.inference import runtime
from segstudio.inference.base import ModelError, Prompt, PromptResult

MODEL_ID = "clicknet"
FIRST_ZOOM_MAX = 0.7  # the first answer is re-looked at zoomed when its box is below this share of the image


class LearnedClickSegmenter:
    """Thread-safe; one image at a time (`set_image`, then any number of `predict`)."""

    def __init__(
        self,
        weights: str | Path | None = None,
        *,
        net: Any = None,
        onnx: str | Path | None = None,
        backend: str = "auto",
        model_id: str = MODEL_ID,
        enforce_clicks: bool = True,
    ) -> None:
        """`weights`: a clicknet .pt file (default: the built-in one); `net`: an in-memory
        ClickNet (training); `onnx`: an exported network to run as it is (validation)."""
        if backend not in runtime.OnnxOrTorch.BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        from segstudio.inference.click_net import BUILTIN_CLICK_WEIGHTS

        self.model_id = model_id
        self.enforce_clicks = enforce_clicks
        self._weights = Path(weights) if weights is not None else BUILTIN_CLICK_WEIGHTS
        self._net = net
        self._lock = threading.Lock()
        self._image: np.ndarray | None = None
        if onnx is not None:
            self._runtime = runtime.OnnxOrTorch("onnx", _session(Path(onnx)))
        else:
            self._runtime = runtime.OnnxOrTorch("torch" if net is not None and backend == "auto" else backend)
            if net is None and not self._weights.is_file():
                raise ModelError(f"{self._weights}: click-model weights not found")
        self._backend = self._runtime.backend

    # ----------------------------------------------------------------- runtime
    def _torch_net(self) -> Any:
        if self._net is None:
            from segstudio.inference.click_net import load_click_net

            try:
                self._net = load_click_net(self._weights)
            except (ValueError, FileNotFoundError) as e:
                raise ModelError(str(e)) from None
        return self._net

    def _ort(self) -> Any:
        def make() -> Any:
            from segstudio.inference.click_net import export_onnx

            digest = hashlib.sha1(self._weights.read_bytes()).hexdigest()[:16]
            path = runtime.cached_onnx("clicknet", digest, lambda p: export_onnx(self._torch_net(), p))
            return _session(path)

        return self._runtime.session(make, fatal=(ModelError,))

    def run_net(self, batch: np.ndarray, cancel: CancelToken | None = None) -> np.ndarray:
        """N x 6 x VIEW x VIEW inputs -> N x VIEW x VIEW logits."""
        if cancel is not None:
            cancel.check()
        with self._lock:
            sess = self._ort()
            if sess is not None:
                return _run_ort(sess, batch, cancel)[:, 0]
            import torch

            net = self._torch_net()
            with torch.inference_mode():
                out = net(torch.from_numpy(batch))
            return out[:, 0].float().numpy()

    # ----------------------------------------------------------------- per image
    def set_image(
        self, rgb: np.ndarray, cancel: CancelToken | None = None, progress: ProgressFn | None = None
    ) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image HxWx3, got {rgb.dtype} {rgb.shape}")
        report(progress, 0, 1, "preparing image")
        self._ort() if self._backend != "torch" else self._torch_net()  # load before the first click
        self._image = np.ascontiguousarray(rgb)
        report(progress, 1, 1, "image ready")

    @property
    def image_shape(self) -> tuple[int, int]:
        if self._image is None:
            raise RuntimeError("set_image must be called before predict")
        return self._image.shape[:2]

    # ----------------------------------------------------------------- per prompt
    def predict(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        fast = self.predict_fast(prompt, cancel)
        better = self.predict_refined(prompt, fast.mask, cancel)
        return better if better is not None else fast

    def predict_fast(self, prompt: Prompt, cancel: CancelToken | None = None) -> PromptResult:
        """One network pass: what the GUI shows at once."""
        image = self._state(prompt)
        h, w = image.shape[:2]
        if prompt.is_empty:
            return PromptResult(np.zeros((h, w), bool), 0.0)
        clicks = [(c.x, c.y, c.positive) for c in prompt.clicks]
        prev = prompt.prev_mask
        if prev is not None and prev.any():
            view = geo.box_view(*geo.mask_box(prev, clicks), h, w)
            return PromptResult(self._pass(image, view, prev, clicks, prev, cancel))
        if prompt.box is not None:
            prior = geo.box_prior(prompt.box, h, w)
            x0, y0, x1, y1 = prompt.box
            view = geo.box_view(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), h, w)
            base = np.zeros((h, w), bool)
            return PromptResult(self._pass(image, view, prior, clicks, base, cancel))
        view = geo.whole_view(h, w)
        return PromptResult(self._pass(image, view, None, clicks, np.zeros((h, w), bool), cancel))

    def predict_refined(
        self, prompt: Prompt, fast: np.ndarray, cancel: CancelToken | None = None
    ) -> PromptResult | None:
        """The zoomed second look after a first click on the whole image; None elsewhere."""
        prev = prompt.prev_mask
        if prompt.is_empty or prompt.box is not None or (prev is not None and prev.any()):
            return None
        image = self._state(prompt)
        h, w = image.shape[:2]
        clicks = [(c.x, c.y, c.positive) for c in prompt.clicks]
        box = geo.mask_box(fast, clicks)
        if box is None:
            return None
        view = geo.box_view(*box, h, w)
        if view.side >= FIRST_ZOOM_MAX * max(h, w):
            return None  # the first pass already saw the object at (nearly) this scale
        return PromptResult(self._pass(image, view, fast, clicks, fast, cancel))

    def _state(self, prompt: Prompt) -> np.ndarray:
        image = self._image
        if image is None:
            raise RuntimeError("set_image must be called before predict")
        prev = prompt.prev_mask
        if prev is not None and prev.shape != image.shape[:2]:
            raise ValueError(f"previous mask {prev.shape} does not fit the image {image.shape[:2]}")
        return image

    def _pass(self, image, view: geo.View, prev, clicks, base, cancel) -> np.ndarray:
        x = geo.net_input(
            geo.crop(image, view, geo.PAD_RGB),
            None if prev is None else geo.crop(prev.astype(np.float32), view),
            geo.view_clicks(clicks, view),
        )
        logits = self.run_net(x[None], cancel)[0]
        mask = geo.paste(logits, view, base)
        if self.enforce_clicks:
            enforce_clicks(mask, clicks, view)
        return mask


def enforce_clicks(mask: np.ndarray, clicks, view: geo.View) -> None:
    """Every click holds its label on a small disk around it (a third of the disk the network
    was shown), later clicks winning: a click the network overlooked is still answered, so the
    next correction does not land on the same spot again."""
    import cv2

    r = max(1, int(round(geo.CLICK_RADIUS / geo.VIEW * view.side / 3)))
    h, w = mask.shape
    for x, y, positive in clicks:
        cx, cy = int(round(x)), int(round(y))
        if not (0 <= cx < w and 0 <= cy < h):
            continue
        x0, y0 = max(0, cx - r), max(0, cy - r)
        patch = np.zeros((min(h, cy + r + 1) - y0, min(w, cx + r + 1) - x0), np.uint8)
        cv2.circle(patch, (cx - x0, cy - y0), r, 1, -1)
        region = mask[y0 : y0 + patch.shape[0], x0 : x0 + patch.shape[1]]
        region[patch.astype(bool)] = positive


def _session(path: Path) -> Any:
    return runtime.onnx_session(path, threads=0)


def _run_ort(sess: Any, batch: np.ndarray, cancel: CancelToken | None) -> np.ndarray:
    return runtime.run_onnx(sess, {"input": batch}, cancel)[0]


