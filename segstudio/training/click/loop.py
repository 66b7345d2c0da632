"""Training loop of the click model: simulated users, mixed iterative training, checkpoints,
resume, cancel, and NoC validation through the very inference code the app runs.

Each batch is one of (RITM's iterative training, with cheap synthetic variants mixed in):
* **iterative** (the real pipeline): a first click (or a box) on the whole image, then 0-3
  no-grad passes of the current network, each followed (mostly) by the NoC protocol's next
  click on its error, each view chosen exactly as `LearnedClickSegmenter` chooses it; the
  network is then trained on the last state;
* **synthetic**: a corrupted ground truth as the previous mask (grown, shrunk, blurred, a blob
  added or cut away) and a correcting click on its error, seen in a jittered zoom box.

Determinism: epoch e draws everything from `default_rng([seed, e])` and torch's seed
`seed * 7919 + e`; the learning rate is a function of the step, so a run resumed after epoch k
gives the weights of an uninterrupted run (same machine, same thread count).

Torch module: imported only by the click template's runner, the script and tests.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F  # noqa: N812

from segstudio.core.tasks import CancelToken
from segstudio.inference import click_geometry as geo
from segstudio.inference.click_model import enforce_clicks
from segstudio.training.click import simulate as sim
from segstudio.training.click.data import ClickObject, augment
from segstudio.training.loop import BEST, LAST, EventFn, RunProgress, lr_at
from segstudio.training.loop import TrainResult as ClickTrainResult  # its status: done | cancelled

DEFAULTS: dict[str, Any] = {
    "epochs": 30, "lr": 3e-4, "schedule": "cosine", "warmup_epochs": 1, "weight_decay": 1e-4,
    "batch_size": 4, "seed": 0, "iterative_p": 0.6, "box_p": 0.1, "paste_p": 0.15,
    "val_every": 1, "val_max_clicks": 20, "workers": 0, "bf16": True, "aux_weight": 0.4,
    "prompt_lr_mult": 10.0, "error_weight": 4.0, "prev_dropout": 0.15,
    # clicks hold their label on a small disk in the simulated answers and in validation, as the
    # app's LearnedClickSegmenter answers (the shipped weights were trained before this: false)
    "enforce_clicks": True,
    # end the run after this epoch (0: after `epochs`); the schedule still spans `epochs`, so a
    # run stopped early on a slow machine is reproducible without changing its learning rate
    "stop_after": 0,
}


# ----------------------------------------------------------------------------- batches
@dataclass
class _State:
    image: np.ndarray
    gt: np.ndarray
    clicks: list[sim.ClickT]
    prev: np.ndarray | None  # full-size bool (a box prompt: the filled box)


def _view(st: _State, rng: np.random.Generator | None) -> geo.View:
    h, w = st.gt.shape
    box = geo.mask_box(st.prev, st.clicks) if st.prev is not None and st.prev.any() else None
    if box is None:
        return geo.whole_view(h, w)
    if rng is None:
        return geo.box_view(*box, h, w)
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    dx, dy = rng.uniform(-0.1, 0.1) * bw, rng.uniform(-0.1, 0.1) * bh
    expand = geo.EXPAND if rng.random() < 0.5 else rng.uniform(1.15, 2.2)
    return geo.box_view(x0 + dx, y0 + dy, x1 + dx, y1 + dy, h, w, expand)


def _inputs(states: Sequence[_State], views: Sequence[geo.View]) -> np.ndarray:
    return np.stack([
        geo.net_input(
            geo.crop(st.image, v, geo.PAD_RGB),
            None if st.prev is None else geo.crop(st.prev.astype(np.float32), v),
            geo.view_clicks(st.clicks, v),
        )
        for st, v in zip(states, views)
    ])


def _forward(model, x: np.ndarray, bf16: bool) -> Any:
    t = torch.from_numpy(x).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        return model(t)


def make_batch(
    model, objects: Sequence[ClickObject], idx: Sequence[int], rng: np.random.Generator, hp: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray]:
    """(inputs N x 6 x S x S, targets N x S x S) for one step."""
    states = []
    for i in idx:
        img, gt = augment(objects[i], rng, objects, hp["paste_p"])
        if rng.random() < hp["box_p"]:
            st = _State(img, gt, [], geo.box_prior(sim.jitter_box(gt, rng), *gt.shape))
        else:
            st = _State(img, gt, [sim.first_click(gt, rng), *sim.extra_clicks(gt, rng)], None)
        states.append(st)
    if rng.random() < hp["iterative_p"]:
        k = int(rng.choice(4, p=[0.35, 0.3, 0.2, 0.15]))
        if k:
            was_training = model.training
            model.eval()
            with torch.no_grad():
                for _ in range(k):
                    views = [_view(st, None) for st in states]
                    logits = _forward(model, _inputs(states, views), hp["bf16"])[:, 0].float().numpy()
                    for st, v, lg in zip(states, views, logits):
                        base = st.prev if st.prev is not None and not _is_box_only(st) else np.zeros_like(st.gt)
                        st.prev = geo.paste(lg, v, base)
                        if hp["enforce_clicks"]:
                            enforce_clicks(st.prev, st.clicks, v)  # as LearnedClickSegmenter answers
                        if rng.random() < 0.85:
                            c = sim.error_click(st.prev, st.gt, rng)
                            if c is not None:
                                st.clicks.append(c)
            model.train(was_training)
    else:
        for st in states:
            if st.prev is None and rng.random() < 0.85:
                # a wrong mask and 1-3 correcting clicks; all but the newest already (partly)
                # answered in the mask the network is shown, as in a real session
                prev = sim.corrupt(st.gt, rng)
                n = int(rng.integers(1, 4))
                for j in range(n):
                    c = sim.error_click(prev, st.gt, rng)
                    if c is None:
                        break
                    st.clicks.append(c)
                    if j < n - 1:
                        prev = sim.apply_partly(prev, st.gt, c, rng)
                st.prev = prev
    views = [_view(st, rng) for st in states]
    x = _inputs(states, views)
    for k, st in enumerate(states):
        # sometimes hide the previous mask of a refinement: the clicks and the image must do
        # the work (a network shown the mask learns to copy it long before it learns clicks)
        if hp["prev_dropout"] and st.prev is not None and st.clicks and rng.random() < hp["prev_dropout"]:
            x[k, 3] = 0.0
    y = np.stack([geo.crop(st.gt.astype(np.float32), v) for st, v in zip(states, views)])
    return x, (y > 0.5).astype(np.float32)


def error_weights(x: np.ndarray, y: np.ndarray, weight: float) -> np.ndarray:
    """Per-pixel loss weights: 1, plus `weight` where the previous mask (the box of a box
    prompt, nothing for a first click) disagrees with the target, i.e. where the answer must
    change.  Copying the previous mask then costs what it should."""
    return 1.0 + weight * ((x[:, 3] > 0.5) != (y > 0.5)).astype(np.float32)


def _is_box_only(st: _State) -> bool:
    """A box prompt before its first answer: the filled box is a prompt, not a mask to keep."""
    return not st.clicks


def click_loss(outs: Sequence[torch.Tensor], y: torch.Tensor, aux_weight: float,
               w: torch.Tensor | None = None) -> torch.Tensor:
    """BCE (weighted by `w`, normalised to mean 1) + soft IoU on the fused map, plus BCE on
    the side maps (deep supervision)."""
    y = y[:, None]
    if w is not None:
        w = (w / w.mean())[:, None]

    def bce(o: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(o.float(), y, weight=w)

    p = torch.sigmoid(outs[0].float())
    inter = (p * y).sum((1, 2, 3))
    union = (p + y - p * y).sum((1, 2, 3))
    soft_iou = 1 - (inter + 1) / (union + 1)
    loss = bce(outs[0]) + soft_iou.mean()
    if len(outs) > 1 and aux_weight:
        loss = loss + aux_weight * sum(bce(o) for o in outs[1:]) / (len(outs) - 1)
    return loss


# ----------------------------------------------------------------------------- validation
def validate(model, objects: Sequence[ClickObject], max_clicks: int = 20,
             onnx_path: Path | None = None, enforce: bool = True) -> dict[str, Any]:
    """NoC protocol (RITM distance rule) through LearnedClickSegmenter on the objects: on the
    ONNX export the app runs when `onnx_path` is given (fast, faithful), else torch fp32."""
    from segstudio.eval import noc
    from segstudio.inference.click_model import LearnedClickSegmenter

    if not objects:
        return {}
    was_training = model.training
    model.eval()
    if onnx_path is not None:
        from segstudio.inference.click_net import export_onnx

        export_onnx(model, onnx_path)
        seg = LearnedClickSegmenter(onnx=onnx_path, enforce_clicks=enforce)
    else:
        seg = LearnedClickSegmenter(net=model, backend="torch", enforce_clicks=enforce)
    runs = []
    for o in objects:
        seg.set_image(o.image)

        def predict(clicks, prev):
            from segstudio.inference.base import Click, Prompt

            return seg.predict(Prompt(tuple(Click(float(x), float(y), bool(p)) for x, y, p in clicks), None, prev)).mask

        runs.append(noc.run_image(predict, o.mask, None, max_clicks, 0.90, 5, "distance", o.name))
    model.train(was_training)
    s = noc.summarize(runs, max_clicks)
    miou = {k: float(np.mean([r.iou_at(k) for r in runs])) for k in (1, 3, 5)}
    return {"val_noc85": s.noc85, "val_noc90": s.noc90, "val_miou1": miou[1], "val_miou3": miou[3],
            "val_miou5": miou[5], "val_fail90": s.failures90,
            # the keys the training dialog plots for every template
            "val_miou": miou[3], "val_fg_iou": miou[1]}


def _criterion(record: dict[str, Any]) -> float:
    """Higher is better: fewer clicks to 90 %, then a better first click."""
    return -record["val_noc90"] + 0.01 * record["val_miou1"]


# ----------------------------------------------------------------------------- the loop
def _atomic_save(obj: Any, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_click(
    train_objs: Sequence[ClickObject],
    val_objs: Sequence[ClickObject],
    hp: dict[str, Any],
    run_dir: Path,
    *,
    init: str | Path | None = None,
    resume: bool = False,
    cancel: CancelToken | None = None,
    on_event: EventFn | None = None,
    model_factory: Callable[[], Any] | None = None,
) -> ClickTrainResult:
    """Train; `init` = weights to start from (a clicknet file), else the saliency weights."""
    from segstudio.inference.click_net import build_click_net, load_click_net, save_click_net

    hp = DEFAULTS | dict(hp)
    emit = on_event or (lambda e: None)
    run_dir.mkdir(parents=True, exist_ok=True)
    if hp.get("workers"):
        torch.set_num_threads(int(hp["workers"]))
    torch.manual_seed(int(hp["seed"]))
    if model_factory is not None:
        model = model_factory()
    elif init is not None:
        model = load_click_net(init)
    else:
        model = build_click_net(from_saliency=True)
    model.train()
    model.to(memory_format=torch.channels_last)  # bf16 convolutions ~1.8x faster on CPU
    prompt = {id(p) for p in model.prompt_parameters()}
    groups = [
        {"params": [p for p in model.parameters() if p.requires_grad and id(p) not in prompt], "mult": 1.0},
        {"params": model.prompt_parameters(), "mult": float(hp["prompt_lr_mult"])},
    ]
    opt = torch.optim.AdamW(groups, lr=hp["lr"], weight_decay=hp["weight_decay"])
    start_epoch, history, best_metric, best_epoch = 0, [], -math.inf, 0
    last, best = run_dir / LAST, run_dir / BEST
    if resume and last.is_file():
        ck = torch.load(last, map_location="cpu", weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start_epoch, history = int(ck["epoch"]), list(ck["history"])
        best_metric, best_epoch = float(ck["best_metric"]), int(ck["best_epoch"])
        emit({"type": "resumed", "epoch": start_epoch})

    n, bs = len(train_objs), int(hp["batch_size"])
    if n == 0:
        raise ValueError("no training objects")
    steps = max(1, math.ceil(n / bs))
    end = min(int(hp["stop_after"]) or int(hp["epochs"]), int(hp["epochs"]))
    # progress and ETA count the epochs this run trains (a `stop_after` ends it early)
    pace = RunProgress(emit, end, steps, n, len(val_objs), "cpu", start_epoch)
    status = "done"
    for epoch in range(start_epoch, end):
        rng = np.random.default_rng([int(hp["seed"]), epoch])
        torch.manual_seed(int(hp["seed"]) * 7919 + epoch)
        order = rng.permutation(n)
        pace.epoch_started()
        loss_sum, done = 0.0, 0
        for s in range(steps):
            if cancel is not None and cancel.cancelled:
                status = "cancelled"
                break
            idx = order[s * bs : (s + 1) * bs]
            x, y = make_batch(model, train_objs, idx, rng, hp)
            step = epoch * steps + s
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps, hp) * g["mult"]
            opt.zero_grad(set_to_none=True)
            w = torch.from_numpy(error_weights(x, y, float(hp["error_weight"])))
            loss = click_loss(_forward(model, x, hp["bf16"]), torch.from_numpy(y), hp["aux_weight"], w)
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach())
            done += 1
            pace.step(epoch, s, len(idx), float(loss.detach()), opt.param_groups[0]["lr"])
        if status == "cancelled":
            break
        record = pace.epoch_record(epoch, loss_sum / max(done, 1), opt.param_groups[0]["lr"], n)
        last_epoch = epoch + 1 == end
        if val_objs and ((epoch + 1) % max(1, int(hp["val_every"])) == 0 or last_epoch):
            t_val = time.monotonic()
            record |= validate(model, val_objs, int(hp["val_max_clicks"]), run_dir / "val.onnx",
                               bool(hp["enforce_clicks"]))
            record["val_seconds"] = time.monotonic() - t_val
        improved = False
        if "val_noc90" in record:
            crit = _criterion(record)
            improved = crit > best_metric
        elif not val_objs:
            crit, improved = -record["train_loss"], True  # no validation: the latest is the best
        if improved:
            best_metric, best_epoch = crit, epoch + 1
            save_click_net(model, best, {"epoch": epoch + 1, "seed": hp["seed"]})
        history.append(record)
        _atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": epoch + 1,
                      "history": history, "best_metric": best_metric, "best_epoch": best_epoch}, last)
        emit({"type": "epoch", **record, "best_epoch": best_epoch, "improved": improved})
    if status == "done" and best_epoch == 0:  # validation never ran: keep the last weights
        save_click_net(model, best, {"epoch": len(history), "seed": hp["seed"]})
        best_epoch = len(history)
    return ClickTrainResult(status, len(history), best_epoch, best_metric, history, last, best)
