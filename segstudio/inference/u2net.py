"""U²-Netp (Qin et al. 2020, "U²-Net: Going deeper with nested U-structure for salient object
detection") reimplemented in torch, so it can be fine-tuned, plus the built-in salient-object
segmenter that runs it.

The built-in weights were converted from `rembg/u2netp.onnx` (see scripts/convert_u2netp.py); the
ONNX file has batch norm folded into the convolutions, so the converted state dict carries the
folded conv weights and identity batch-norm layers (running_var = 1 - eps).  When fine-tuning with
small batches, keep the batch-norm layers in eval mode (`freeze_batchnorm(model)`) or the batch
statistics replace the identity and the pretrained behaviour is lost.

torch is imported lazily: `import segstudio.inference.u2net` stays cheap; `build_u2netp()` and the
segmenter import torch on first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference import runtime

INPUT_SIZE = 320
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
BUILTIN_WEIGHTS = Path(__file__).resolve().parent.parent / "resources" / "models" / "u2netp.pt"
MODEL_ID = "u2netp-salient"
# One export at a time per process: the interactive model's saliency seed and a batch
# pre-label each own a SalientSegmenter and may export the same cache file (same .tmp path)
# on two threads at once.


def _classes() -> dict[str, Any]:
    """Build the nn.Module classes on first use so that importing this module never imports torch."""
    global _CLASSES
    if _CLASSES is not None:
        return _CLASSES
    import torch
    from torch import nn
    from torch.nn import functional as F

    class ConvBnRelu(nn.Module):
        """3x3 convolution (dilated), batch norm, ReLU: the unit every RSU block is made of."""

        def __init__(self, cin: int, cout: int, dilation: int = 1) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation)
            self.bn = nn.BatchNorm2d(cout)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.relu(self.bn(self.conv(x)))

    def upsample_to(x: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=ref.shape[2:], mode="bilinear", align_corners=False)

    class RSU(nn.Module):
        """Residual U-block of height `height`.

        With `dilated` False the encoder halves the resolution between levels (max-pool, ceil mode)
        and the decoder upsamples back; the bottom level uses dilation 2.  With `dilated` True
        (RSU-4F) the resolution stays fixed and the dilation doubles per level instead.
        """

        def __init__(self, height: int, cin: int, mid: int, cout: int, dilated: bool = False):
            super().__init__()
            self.height = height
            self.dilated = dilated
            dil = [2 ** i if dilated else 1 for i in range(height)]
            bottom = 2 ** (height - 1) if dilated else 2
            self.conv_in = ConvBnRelu(cin, cout)
            self.enc = nn.ModuleList(
                [ConvBnRelu(cout if i == 0 else mid, mid, dil[i]) for i in range(height - 1)]
            )
            self.bottom = ConvBnRelu(mid, mid, bottom)
            # dec[i] merges level i's encoder output with the level below; dec[0] gives cout.
            self.dec = nn.ModuleList(
                [ConvBnRelu(2 * mid, cout if i == 0 else mid, dil[i]) for i in range(height - 1)]
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            hin = self.conv_in(x)
            feats = []
            h = hin
            for i, conv in enumerate(self.enc):
                if i > 0 and not self.dilated:
                    h = F.max_pool2d(h, 2, stride=2, ceil_mode=True)
                h = conv(h)
                feats.append(h)
            d = self.bottom(h)
            for i in range(self.height - 2, -1, -1):
                d = self.dec[i](torch.cat((d, feats[i]), 1))
                if i > 0 and not self.dilated:
                    d = upsample_to(d, feats[i - 1])
            return d + hin

    class U2Netp(nn.Module):
        """The small (1.1 M parameter) U²-Net: six encoder stages, five decoder stages, six side
        outputs fused by a 1x1 convolution.  `forward` returns the seven sigmoid maps
        (fused first) in training mode and only the fused map in eval mode."""

        def __init__(self, in_ch: int = 3, out_ch: int = 1) -> None:
            super().__init__()
            mid, ch = 16, 64
            self.en1 = RSU(7, in_ch, mid, ch)
            self.en2 = RSU(6, ch, mid, ch)
            self.en3 = RSU(5, ch, mid, ch)
            self.en4 = RSU(4, ch, mid, ch)
            self.en5 = RSU(4, ch, mid, ch, dilated=True)
            self.en6 = RSU(4, ch, mid, ch, dilated=True)
            self.de5 = RSU(4, 2 * ch, mid, ch, dilated=True)
            self.de4 = RSU(4, 2 * ch, mid, ch)
            self.de3 = RSU(5, 2 * ch, mid, ch)
            self.de2 = RSU(6, 2 * ch, mid, ch)
            self.de1 = RSU(7, 2 * ch, mid, ch)
            self.side = nn.ModuleList([nn.Conv2d(ch, out_ch, 3, padding=1) for _ in range(6)])
            self.fuse = nn.Conv2d(6 * out_ch, out_ch, 1)

        def forward(self, x: torch.Tensor) -> Any:
            maps = self.forward_logits(x)
            if self.training:
                return [torch.sigmoid(t) for t in maps]
            return torch.sigmoid(maps[0])

        def forward_logits(self, x: torch.Tensor) -> list[torch.Tensor]:
            """[fused, side1..side6] logits at input resolution (before the sigmoid)."""

            def pool(t: torch.Tensor) -> torch.Tensor:
                return F.max_pool2d(t, 2, stride=2, ceil_mode=True)

            h1 = self.en1(x)
            h2 = self.en2(pool(h1))
            h3 = self.en3(pool(h2))
            h4 = self.en4(pool(h3))
            h5 = self.en5(pool(h4))
            h6 = self.en6(pool(h5))
            d5 = self.de5(torch.cat((upsample_to(h6, h5), h5), 1))
            d4 = self.de4(torch.cat((upsample_to(d5, h4), h4), 1))
            d3 = self.de3(torch.cat((upsample_to(d4, h3), h3), 1))
            d2 = self.de2(torch.cat((upsample_to(d3, h2), h2), 1))
            d1 = self.de1(torch.cat((upsample_to(d2, h1), h1), 1))
            sides = [self.side[0](d1)]
            for conv, d in zip(self.side[1:], (d2, d3, d4, d5, h6)):
                sides.append(upsample_to(conv(d), d1))
            return [self.fuse(torch.cat(sides, 1)), *sides]

    _CLASSES = {"U2Netp": U2Netp, "RSU": RSU, "ConvBnRelu": ConvBnRelu}
    return _CLASSES


_CLASSES: dict[str, Any] | None = None


def build_u2netp(in_ch: int = 3, out_ch: int = 1) -> Any:
    """A randomly initialised U²-Netp (torch nn.Module)."""
    return _classes()["U2Netp"](in_ch, out_ch)


def load_u2netp(path: str | Path) -> Any:
    """U²-Netp with weights from a state-dict file, loaded without unpickling arbitrary objects."""
    state = runtime.torch_weights(path)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    model = build_u2netp()
    try:
        model.load_state_dict(state)
    except Exception as exc:
        raise ValueError(f"{path}: weights do not fit U²-Netp ({exc})") from exc
    model.eval()
    return model


def load_builtin_u2netp() -> Any:
    """U²-Netp with the built-in converted weights, in eval mode."""
    return load_u2netp(BUILTIN_WEIGHTS)


def freeze_batchnorm(model: Any) -> None:
    """Keep batch-norm layers in eval mode with frozen affine parameters (for fine-tuning)."""
    from torch import nn

    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)


def preprocess(rgb: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 3xSxS network input (the U²-Net recipe: scale by the image
    maximum, then ImageNet mean/std)."""
    import cv2

    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an RGB image HxWx3, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    interp = cv2.INTER_AREA if h > size or w > size else cv2.INTER_LINEAR
    x = cv2.resize(rgb, (size, size), interpolation=interp).astype(np.float32)
    peak = float(x.max())
    x *= 1.0 / (peak if peak > 0 else 1.0)
    x -= np.asarray(MEAN, np.float32)
    x *= np.asarray([1.0 / s for s in STD], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def export_onnx(model: Any, path: Path) -> Path:
    """Export U²-Netp (eval mode, dynamic batch) to ONNX for onnxruntime inference."""
    return runtime.export_onnx(model, (1, 3, INPUT_SIZE, INPUT_SIZE), path, "image", "saliency")


class SalientSegmenter:
    """Built-in salient-object / foreground model: RGB uint8 image -> float32 saliency in [0,1]
    at image size.  Thread-safe (one lock around the network).

    The network of record is the torch module (fine-tunable); inference runs on onnxruntime
    when it is installed, from an ONNX export of the same weights cached under
    ~/.cache/segstudio/onnx keyed by the weights' hash (measured: half the CPU time of torch
    eager for this network of many small dilated convolutions).  backend: auto | torch | onnx."""

    model_id = MODEL_ID

    def __init__(self, model: Any = None, weights: str | Path | None = None, backend: str = "auto") -> None:
        self._runtime = runtime.OnnxOrTorch(backend)  # raises ValueError on an unknown backend
        self._model = model
        self._weights = Path(weights) if weights is not None else None
        self._lock = threading.Lock()

    def _net(self) -> Any:
        if self._model is None:
            self._model = (
                load_u2netp(self._weights) if self._weights is not None else load_builtin_u2netp()
            )
        return self._model

    def _ort(self) -> Any:
        """An onnxruntime session for the current weights, or None (torch then)."""

        def make() -> Any:
            import hashlib

            if self._model is not None:  # an in-memory (e.g. fine-tuned) module: export it as is
                import io

                import torch

                buf = io.BytesIO()
                torch.save(self._model.state_dict(), buf)
                digest = hashlib.sha1(buf.getvalue()).hexdigest()[:16]
            else:
                src = self._weights if self._weights is not None else BUILTIN_WEIGHTS
                digest = hashlib.sha1(Path(src).read_bytes()).hexdigest()[:16]
            path = runtime.cached_onnx("u2netp", digest, lambda p: export_onnx(self._net(), p))
            return runtime.onnx_session(path, threads=0)

        # no onnxruntime or no writable cache: torch it is
        return self._runtime.session(make)

    def saliency_small(
        self, images: list[np.ndarray], cancel: CancelToken | None = None
    ) -> np.ndarray:
        """Saliency at network resolution (N x 320 x 320 float32) for a batch of RGB images."""
        if cancel is not None:
            cancel.check()
        batch = np.stack([preprocess(im) for im in images])
        with self._lock:
            sess = self._ort()
            if sess is not None:
                out = self._run_ort(sess, batch, cancel)
                return out[:, 0].astype(np.float32, copy=False)
            import torch

            with torch.inference_mode():
                out = self._net()(torch.from_numpy(batch))
        return out[:, 0].numpy().astype(np.float32, copy=False)

    @staticmethod
    def _run_ort(sess: Any, batch: np.ndarray, cancel: CancelToken | None) -> np.ndarray:
        """One forward pass; a cancel stops it between layers."""
        return runtime.run_onnx(sess, {"image": batch}, cancel)[0]

    def saliency(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """Saliency map in [0,1], float32, same height and width as `rgb`."""
        import cv2

        report(progress, 0, 2, "salient object")
        small = self.saliency_small([rgb], cancel)[0]
        if cancel is not None:
            cancel.check()
        h, w = rgb.shape[:2]
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        np.clip(out, 0.0, 1.0, out=out)
        report(progress, 2, 2, "salient object")
        return out
