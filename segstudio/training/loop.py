"""The training loop: seeded augmentation, AdamW with a step-wise schedule, per-epoch
validation, checkpoints every epoch, resume, early stopping, cooperative cancel.

Torch module: imported only inside functions.  Determinism: epoch e draws its image order
and augmentations from `default_rng([seed, e])` and the schedule is a pure function of the
step, so resuming after epoch k gives bit-for-bit the weights of an uninterrupted run
(same machine, same thread count).
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from segstudio.core.tasks import CancelToken
from segstudio.training import losses, metrics
from segstudio.training.data import TrainingData, class_frequencies
from segstudio.training.templates import Template, build_model, encoder_parameters
from segstudio.training.transforms import augment, normalise, resize_pair

EventFn = Callable[[dict[str, Any]], None]
LAST, BEST = "last.pt", "best.pt"


@dataclass
class TrainResult:
    status: str  # "done" | "early_stopped" | "cancelled"
    epochs_run: int
    best_epoch: int
    best_metric: float
    history: list[dict[str, Any]]
    checkpoint: Path
    best: Path


class RunProgress:
    """The progress events of a training run, one schema for every loop: `start` (emitted on
    construction), then per step the loss, learning rate, images per second since the start
    and the time left over the steps to go (`step`), and the timing fields of each epoch's
    record (`epoch_record`)."""

    def __init__(self, emit: EventFn, epochs: int, steps: int, train_images: int, val_images: int,
                 device: str, start_epoch: int) -> None:
        self.emit = emit
        self.steps = steps  # per epoch
        self.total_steps = epochs * steps
        self.start_epoch = start_epoch
        emit({"type": "start", "epochs": epochs, "steps_per_epoch": steps, "train_images": train_images,
              "val_images": val_images, "device": device, "start_epoch": start_epoch})
        self.t_start = self.t_epoch = time.monotonic()
        self.seen = 0  # images trained on since the start (of this process)

    def epoch_started(self) -> None:
        self.t_epoch = time.monotonic()

    def step(self, epoch: int, s: int, images: int, loss: float, lr: float) -> None:
        """Step `s` (0-based) of `epoch` (0-based) trained on `images` images."""
        self.seen += images
        step = epoch * self.steps + s
        elapsed = time.monotonic() - self.t_start
        eta = elapsed / (step + 1 - self.start_epoch * self.steps) * (self.total_steps - step - 1)
        self.emit({"type": "step", "epoch": epoch + 1, "step": s + 1, "steps": self.steps, "loss": loss,
                   "lr": lr, "images_per_s": self.seen / max(elapsed, 1e-9), "eta_s": eta})

    def epoch_record(self, epoch: int, train_loss: float, lr: float, images: int) -> dict[str, Any]:
        """The start of epoch `epoch`'s (0-based) history record: loss, rate and timing."""
        train_time = time.monotonic() - self.t_epoch
        return {"epoch": epoch + 1, "train_loss": train_loss, "lr": lr, "train_seconds": train_time,
                "images_per_s": images / max(train_time, 1e-9)}


def lr_at(step: int, steps_per_epoch: int, hp: dict[str, Any]) -> float:
    """Linear warm-up, then constant / cosine / step (x0.1 at 60 % and 85 %) / poly(0.9)."""
    total = max(1, hp["epochs"] * steps_per_epoch)
    warm = min(hp["warmup_epochs"] * steps_per_epoch, total - 1)
    base = hp["lr"]
    if step < warm:
        return base * (step + 1) / (warm + 1)
    t = (step - warm) / max(1, total - warm)
    sched = hp["schedule"]
    if sched == "cosine":
        return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))
    if sched == "step":
        return base * (0.1 ** ((t >= 0.6) + (t >= 0.85)))
    if sched == "poly":
        return base * max(0.01, (1 - t) ** 0.9)
    return base


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(
    pairs_train: list[tuple[np.ndarray, np.ndarray]],
    pairs_val: list[tuple[np.ndarray, np.ndarray]],
    data: TrainingData,
    template: Template,
    hp: dict[str, Any],
    run_dir: Path,
    *,
    resume: bool = False,
    cancel: CancelToken | None = None,
    on_event: EventFn | None = None,
    device: str | None = None,
    model_factory: Callable[[], torch.nn.Module] | None = None,
) -> TrainResult:
    """Train on in-memory (image, label) pairs; checkpoints go to `run_dir`."""
    emit = on_event or (lambda e: None)
    run_dir.mkdir(parents=True, exist_ok=True)
    if hp.get("workers"):
        torch.set_num_threads(int(hp["workers"]))
    seed_everything(int(hp["seed"]))
    dev = torch.device(device) if device else pick_device()
    model = model_factory() if model_factory else build_model(template, hp, data.num_classes)
    model.to(dev)
    if hp["freeze_encoder"]:
        for p in encoder_parameters(model):
            p.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=hp["lr"], weight_decay=hp["weight_decay"])
    weight = _class_weights(pairs_train, data, hp, dev)
    loss_fn = losses.make_loss(hp["loss"], weight, hp["focal_gamma"])

    start_epoch, history, best_metric, best_epoch, bad = 0, [], -math.inf, -1, 0
    last, best = run_dir / LAST, run_dir / BEST
    if resume and last.is_file():
        ck = torch.load(last, map_location=dev, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_epoch, history = int(ck["epoch"]), list(ck["history"])
        best_metric, best_epoch, bad = float(ck["best_metric"]), int(ck["best_epoch"]), int(ck["bad_epochs"])
        emit({"type": "resumed", "epoch": start_epoch})

    n = len(pairs_train)
    bs = int(hp["batch_size"])
    steps = max(1, math.ceil(n / bs))
    pace = RunProgress(emit, hp["epochs"], steps, n, len(pairs_val), str(dev), start_epoch)
    status = "done"
    for epoch in range(start_epoch, hp["epochs"]):
        rng = np.random.default_rng([int(hp["seed"]), epoch])
        torch.manual_seed(int(hp["seed"]) * 7919 + epoch)
        model.train()
        order = rng.permutation(n)
        pace.epoch_started()
        loss_sum = 0.0
        for s in range(steps):
            if cancel is not None and cancel.cancelled:
                status = "cancelled"
                break
            idx = order[s * bs : (s + 1) * bs]
            batch = [augment(*pairs_train[i], rng, hp) for i in idx]
            x = torch.from_numpy(normalise(np.stack([b[0] for b in batch]))).to(dev)
            y = torch.from_numpy(np.stack([b[1] for b in batch]).astype(np.int64)).to(dev)
            step = epoch * steps + s
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps, hp)
            opt.zero_grad(set_to_none=True)
            loss = _supervised_loss(loss_fn, model(x), y)
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach())
            pace.step(epoch, s, len(idx), float(loss.detach()), opt.param_groups[0]["lr"])
        if status == "cancelled":
            break
        record = pace.epoch_record(epoch, loss_sum / steps, opt.param_groups[0]["lr"], n)
        record |= evaluate(model, pairs_val, data.class_names, int(hp["input_size"]), loss_fn, dev)
        criterion = record["val_miou"] if pairs_val else -record["train_loss"]
        improved = criterion > best_metric
        if improved:
            best_metric, best_epoch, bad = criterion, epoch + 1, 0
            _atomic_save({"model": model.state_dict(), "epoch": epoch + 1}, best)
        else:
            bad += 1
        history.append(record)
        _atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                      "history": history, "best_metric": best_metric, "best_epoch": best_epoch,
                      "bad_epochs": bad}, last)
        emit({"type": "epoch", **record, "best_epoch": best_epoch, "improved": improved})
        if hp["patience"] and bad >= hp["patience"] and epoch + 1 < hp["epochs"]:
            status = "early_stopped"
            emit({"type": "early_stop", "epoch": epoch + 1, "best_epoch": best_epoch})
            break
    return TrainResult(status, len(history), best_epoch, best_metric, history, last, best)


def _supervised_loss(loss_fn, out: Any, y: torch.Tensor) -> torch.Tensor:
    """Deep supervision: the fused map's loss plus the mean loss of the side maps."""
    if isinstance(out, (list, tuple)):
        main = loss_fn(out[0], y)
        if len(out) > 1:
            main = main + sum(loss_fn(o, y) for o in out[1:]) / (len(out) - 1)
        return main
    return loss_fn(out, y)


def _main_output(out: Any) -> torch.Tensor:
    """Networks with deep supervision return several maps; the first is the fused output."""
    return out[0] if isinstance(out, (list, tuple)) else out


def _class_weights(pairs, data: TrainingData, hp: dict[str, Any], dev) -> torch.Tensor | None:
    mode = hp["class_weights"]
    if mode == "none":
        return None
    freq = class_frequencies(pairs, data.num_classes)
    freq = freq / max(freq.sum(), 1.0)
    w = 1.0 / np.maximum(freq, 1e-4)
    if mode == "sqrt_inverse_frequency":
        w = np.sqrt(w)
    w = w / w[freq > 0].mean() if (freq > 0).any() else w
    return torch.tensor(w, dtype=torch.float32, device=dev)


@torch.no_grad()
def predict_logits(model, image: np.ndarray, input_size: int, out_size: tuple[int, int], dev=None) -> torch.Tensor:
    """Stretch to the square input, run, bilinearly resize logits to (h, w): 1 x C x h x w."""
    img, _ = resize_pair(image, None, (input_size, input_size))
    x = torch.from_numpy(normalise(img))
    if dev is not None:
        x = x.to(dev)
    out = _main_output(model(x))
    return F.interpolate(out, size=out_size, mode="bilinear", align_corners=False)


@torch.no_grad()
def evaluate(model, pairs, class_names: list[str], input_size: int, loss_fn=None, dev=None) -> dict[str, Any]:
    """Validation at the cached label resolution: loss, mIoU, foreground IoU, per-class IoU."""
    if not pairs:
        return {}
    model.eval()
    c = len(class_names)
    conf = np.zeros((c, c), np.int64)
    loss_sum = 0.0
    for img, lbl in pairs:
        logits = predict_logits(model, img, input_size, lbl.shape[:2], dev)
        if loss_fn is not None:
            loss_sum += float(loss_fn(logits, torch.from_numpy(lbl.astype(np.int64))[None].to(logits.device)))
        pred = (logits[0, 0] > 0).long() if logits.shape[1] == 1 else logits[0].argmax(0)
        conf += metrics.confusion(pred.cpu().numpy(), lbl, c)
    s = metrics.summary(conf, class_names)
    out = {"val_miou": s["miou"], "val_fg_iou": s["fg_iou"], "val_accuracy": s["accuracy"],
           "val_iou": {k[4:]: (v if v == v else None) for k, v in s.items() if k.startswith("iou/")}}
    if loss_fn is not None:
        out["val_loss"] = loss_sum / len(pairs)
    return out
