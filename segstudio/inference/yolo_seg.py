"""Ultralytics YOLO-seg ONNX exports (YOLOv5-seg, YOLOv8/11-seg) decoded without ultralytics.

Input: `images` [1,3,S,S] RGB in [0,1], letterboxed (aspect kept, grey 114 padding, centred).
Outputs: predictions and mask prototypes [1,nm,S/4,S/4].  Predictions are [1, 4+nc+nm, N]
(v8/11: box cx,cy,w,h in input pixels, class scores, mask coefficients) or [1, N, 5+nc+nm]
(v5: with an objectness column).  Each kept detection's mask is sigmoid(coefficients ·
prototypes), sampled straight from prototype space into the box at image resolution (one affine
warp per detection, so a 1 MP image costs no full-size mask per candidate).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from segstudio.core.masks import MaskPatch
from segstudio.core.tasks import CancelToken, ProgressFn, report
from segstudio.inference.base import Detection, ModelError, SegmentationResult
from segstudio.inference.cards import ModelCard
from segstudio.inference.runtime import onnx_session


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, int, int]:
    h, w = rgb.shape[:2]
    r = min(size / h, size / w)
    nw, nh = max(1, round(w * r)), max(1, round(h * r))
    padx, pady = (size - nw) // 2, (size - nh) // 2
    out = np.full((size, size, 3), 114, np.uint8)
    out[pady : pady + nh, padx : padx + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out, r, padx, pady


def nms(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> list[int]:
    """Greedy non-maximum suppression over x0,y0,x1,y1 boxes; returns kept indices."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    areas = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.maximum(0, xx1 - xx0) * np.maximum(0, yy1 - yy0)
        iou = inter / np.maximum(areas[i] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_thr]
    return keep


def decode(
    pred: np.ndarray,
    protos: np.ndarray,
    image_shape: tuple[int, int],
    size: int,
    r: float,
    padx: int,
    pady: int,
    class_names: list[str],
    conf: float = 0.25,
    iou_thr: float = 0.45,
    max_det: int = 300,
) -> list[Detection]:
    """Raw outputs -> detections with masks at image resolution (class-aware NMS)."""
    if pred.ndim != 3 or protos.ndim != 4:
        raise ModelError(f"unexpected YOLO-seg output shapes {pred.shape} and {protos.shape}")
    nm, mh, mw = protos.shape[1:]
    p = pred[0]
    rows, cols = p.shape
    ncls = len(class_names)
    if ncls and rows == 4 + ncls + nm:
        layout = "v8"
    elif ncls and cols == 4 + ncls + nm:
        layout = "v8-rows"  # [N, 4 + nc + nm] (transposed v8 export)
    elif ncls and cols == 5 + ncls + nm:
        layout = "v5"
    else:  # no names to check against: candidates outnumber columns in every real export
        layout = "v8" if rows < cols else "v5"
    if layout.startswith("v8"):
        if layout == "v8":
            p = p.T  # N x (4 + nc + nm)
        nc = p.shape[1] - 4 - nm
        boxes, cls_scores, coefs = p[:, :4], p[:, 4 : 4 + nc], p[:, 4 + nc :]
    else:
        nc = p.shape[1] - 5 - nm
        boxes, coefs = p[:, :4], p[:, 5 + nc :]
        cls_scores = p[:, 5 : 5 + nc] * p[:, 4:5]
    if nc <= 0:
        raise ModelError(f"YOLO-seg output has no class columns ({p.shape[1]} columns, {nm} mask coefficients)")
    cls = np.argmax(cls_scores, axis=1)
    score = cls_scores[np.arange(len(cls)), cls]
    sel = np.flatnonzero(score >= conf)
    if sel.size == 0:
        return []
    cx, cy, bw, bh = boxes[sel].T
    xyxy = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
    # class-aware NMS: offset boxes per class so different classes never suppress each other
    off = cls[sel][:, None] * (4.0 * size)
    keep = nms(xyxy + off, score[sel], iou_thr)[:max_det]
    H, W = image_shape
    proto_flat = protos[0].reshape(nm, -1)
    out = []
    for k in keep:
        i = sel[k]
        # box in image coordinates
        x0 = int(np.clip(np.floor((xyxy[k, 0] - padx) / r), 0, W))
        y0 = int(np.clip(np.floor((xyxy[k, 1] - pady) / r), 0, H))
        x1 = int(np.clip(np.ceil((xyxy[k, 2] - padx) / r), 0, W))
        y1 = int(np.clip(np.ceil((xyxy[k, 3] - pady) / r), 0, H))
        if x1 <= x0 or y1 <= y0:
            continue
        logits = (coefs[i] @ proto_flat).reshape(mh, mw).astype(np.float32)
        # image pixel (x0 + j) centre -> letterbox -> prototype pixel coordinate
        sx, sy = mw / size, mh / size
        M = np.array(
            [
                [r * sx, 0, ((x0 + 0.5) * r + padx) * sx - 0.5],
                [0, r * sy, ((y0 + 0.5) * r + pady) * sy - 0.5],
            ],
            np.float64,
        )
        win = cv2.warpAffine(
            logits, M, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        m = win > 0.0  # sigmoid(x) > 0.5
        patch = MaskPatch.from_window(m, y0, x0, (H, W))
        if patch.is_empty:
            continue
        c = int(cls[i])
        name = class_names[c] if c < len(class_names) else f"class_{c}"
        out.append(Detection(patch, name, float(score[i]), c))
    return out


class YoloSegOnnx:
    def __init__(self, model_id: str, session: Any, class_names: list[str], conf: float = 0.25,
                 iou: float = 0.45, size: int | None = None, source: str = "") -> None:
        self.model_id = model_id
        self._sess = session
        self.class_names = list(class_names)
        self.conf = conf
        self.iou = iou
        inp = session.get_inputs()[0]
        self._input = inp.name
        shp = inp.shape
        static = isinstance(shp[-1], int) and shp[-1] > 0
        self.size = int(shp[-1]) if static else int(size or 640)
        outs = session.get_outputs()
        if len(outs) < 2:
            raise ModelError(f"{source}: a YOLO-seg export has two outputs (predictions, prototypes), "
                             f"this one has {len(outs)}")

    @classmethod
    def from_card(cls, card: ModelCard) -> YoloSegOnnx:
        path = card.file("model")
        sess = onnx_session(path)
        names = list(card.class_names)
        if not names:  # Ultralytics writes the class names into the ONNX metadata
            meta = sess.get_modelmeta().custom_metadata_map
            if "names" in meta:
                import ast

                try:
                    d = ast.literal_eval(meta["names"])
                    names = [d[k] for k in sorted(d)] if isinstance(d, dict) else list(d)
                except (ValueError, SyntaxError):
                    names = []
        size = card.input_size[1] if card.input_size else None
        return cls(
            card.id, sess, names, float(card.options.get("confidence_threshold", 0.25)),
            float(card.options.get("nms_threshold", 0.45)), size, str(path),
        )

    def segment(
        self,
        rgb: np.ndarray,
        cancel: CancelToken | None = None,
        progress: ProgressFn | None = None,
    ) -> SegmentationResult:
        report(progress, 0, 2, "detecting")
        lb, r, padx, pady = letterbox(rgb, self.size)
        x = (lb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        outs = self._sess.run(None, {self._input: np.ascontiguousarray(x)})
        if cancel is not None:
            cancel.check()
        pred, protos = outs[0], outs[1]
        if pred.ndim == 4 and protos.ndim == 3:  # some exports list prototypes first
            pred, protos = protos, pred
        dets = decode(pred, protos, rgb.shape[:2], self.size, r, padx, pady, self.class_names,
                      self.conf, self.iou)
        report(progress, 2, 2, "detecting")
        names = self.class_names or sorted({d.class_name for d in dets})
        return SegmentationResult(instances=dets, class_names=names)
