"""Training the click model: simulated users, batches, the loop (checkpoints, deterministic
resume, cancel) and the `click` template on a project, with a tiny stand-in network (the real
one is U²-Netp-sized; tests/unit/inference/test_click_model.py covers it)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from segstudio.core.tasks import CancelToken  # noqa: E402
from segstudio.inference import click_geometry as geo  # noqa: E402
from segstudio.training.click import simulate as sim  # noqa: E402
from segstudio.training.click.data import ClickObject  # noqa: E402
from segstudio.training.click.loop import DEFAULTS, make_batch, train_click  # noqa: E402


class TinyClickNet(torch.nn.Module):
    """Same interface as ClickNet: 6 planes in, logits out (a list in training mode)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = torch.nn.Conv2d(6, 4, 3, padding=1)
        self.c2 = torch.nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        out = self.c2(torch.relu(self.c1(x)))
        return [out, out] if self.training else out

    def prompt_parameters(self):
        return list(self.c1.parameters())


@pytest.fixture
def tiny_net(monkeypatch):
    from segstudio.inference import click_net

    monkeypatch.setattr(click_net, "_click_net_class", lambda: TinyClickNet)
    monkeypatch.setattr(click_net, "build_click_net", lambda from_saliency=True: TinyClickNet().eval())
    return TinyClickNet


def _objects(n=6, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = 60 + 10 * (i % 3), 80
        img = rng.integers(40, 90, (h, w, 3), dtype=np.uint8)
        yy, xx = np.mgrid[:h, :w]
        m = (yy - h / 2) ** 2 + (xx - 25 - 5 * i) ** 2 < (8 + i) ** 2
        img[m] = (200, 60, 50)
        out.append(ClickObject(f"o{i}", img, m, f"g{i}"))
    return out


def test_simulated_clicks_and_wrong_masks():
    rng = np.random.default_rng(0)
    gt = _objects(1)[0].mask
    for _ in range(20):
        x, y, pos = sim.first_click(gt, rng)
        assert pos and gt[int(y), int(x)]
        for cx, cy, cpos in sim.extra_clicks(gt, rng):
            assert gt[int(cy), int(cx)] == cpos
        bad = sim.corrupt(gt, rng)
        c = sim.error_click(bad, gt, rng)
        if c is not None:  # a correcting click sits on an error, with the label it asks for
            cx, cy, cpos = c
            assert bad[int(cy), int(cx)] != cpos and gt[int(cy), int(cx)] == cpos
    assert sim.error_click(gt, gt, rng) is None
    x0, y0, x1, y1 = sim.jitter_box(gt, rng)
    ys, xs = np.nonzero(gt)
    assert abs(x0 - xs.min()) < 5 and abs(y1 - ys.max() - 1) < 5


@pytest.mark.parametrize("iterative", [0.0, 1.0])
def test_batches_put_clicks_on_the_object_they_describe(tiny_net, iterative):
    objs = _objects()
    hp = DEFAULTS | {"iterative_p": iterative, "box_p": 0.0, "paste_p": 0.0, "bf16": False}
    x, y = make_batch(tiny_net().train(), objs, [0, 1, 2, 3], np.random.default_rng(1), hp)
    assert x.shape == (4, 6, geo.VIEW, geo.VIEW) and y.shape == (4, geo.VIEW, geo.VIEW)
    for k in range(4):
        assert y[k].sum() > 0
        pos, neg = x[k, 4], x[k, 5]
        assert pos.sum() > 0 and (pos * y[k]).sum() > 0.5 * pos.sum() or (pos * y[k]).sum() > 20
        if neg.sum():
            assert (neg * (1 - y[k])).sum() > 0


def test_loop_checkpoints_and_resumes_to_the_same_weights(tiny_net, tmp_path):
    objs = _objects()
    hp = {"epochs": 2, "batch_size": 3, "bf16": False, "val_max_clicks": 2, "seed": 3, "workers": 1}
    events = []
    full = train_click(objs[:4], objs[4:], hp, tmp_path / "a", on_event=events.append)
    assert full.status == "done" and full.epochs_run == 2 and (tmp_path / "a" / "last.pt").is_file()
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds.count("epoch") == 2 and "step" in kinds
    epoch = next(e for e in events if e["type"] == "epoch")
    assert {"val_noc90", "val_miou1", "val_miou", "train_loss"} <= set(epoch)
    cancel = CancelToken()

    def stop_after_first_epoch(e):
        if e["type"] == "epoch":
            cancel.cancel()

    part = train_click(objs[:4], objs[4:], hp, tmp_path / "b", cancel=cancel, on_event=stop_after_first_epoch)
    assert part.status == "cancelled" and part.epochs_run == 1
    resumed = train_click(objs[:4], objs[4:], hp, tmp_path / "b", resume=True)
    assert resumed.status == "done" and resumed.epochs_run == 2
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    from segstudio.inference.click_net import load_click_net

    assert isinstance(load_click_net(full.best), TinyClickNet)


def test_a_run_stopped_after_an_epoch_keeps_the_full_schedule(tiny_net, tmp_path):
    objs = _objects()
    hp = {"epochs": 3, "batch_size": 3, "bf16": False, "val_max_clicks": 2, "seed": 3, "workers": 1}
    full = train_click(objs[:4], objs[4:], hp, tmp_path / "a")
    events: list[dict] = []
    short = train_click(objs[:4], objs[4:], hp | {"stop_after": 2}, tmp_path / "b", on_event=events.append)
    assert short.status == "done" and short.epochs_run == 2 and full.epochs_run == 3
    # progress counts the epochs this run trains: 2, and nothing is left at its last step
    assert next(e for e in events if e["type"] == "start")["epochs"] == 2
    assert [e for e in events if e["type"] == "step"][-1]["eta_s"] == 0
    assert "val_noc90" in short.history[-1]  # the last epoch run is validated
    # same learning rates as the first two epochs of the full run: the schedule spans 3 epochs
    assert [h["lr"] for h in short.history] == [h["lr"] for h in full.history[:2]]
    assert short.history[-1]["train_loss"] == full.history[1]["train_loss"]
    again = train_click(objs[:4], objs[4:], hp | {"stop_after": 2}, tmp_path / "b", resume=True)
    assert again.epochs_run == 2  # resuming a run that already reached its stop trains nothing


def test_click_template_trains_on_project_instances_and_adds_a_picker_card(tiny_net, tmp_path, monkeypatch):
    from segstudio.inference import registry
    from segstudio.inference.base import Click, Prompt
    from segstudio.inference.click_model import LearnedClickSegmenter
    from segstudio.store import Project
    from segstudio.training import runner
    from segstudio.training.runs import get_run
    from tests.unit.training.conftest import build_project

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    build_project(tmp_path / "proj", n=6, done=5).close()
    with Project.open(tmp_path / "proj") as p:
        run_id = runner.start_run(p, "click", {"epochs": 1, "start": "saliency", "val_max_clicks": 2,
                                               "batch_size": 4})
    events = []
    final = runner.execute(tmp_path / "proj", run_id, on_event=events.append)
    assert final["status"] == "done" and final["card"].endswith("card.yaml")
    start = next(e for e in events if e["type"] == "start")
    assert start["train_images"] == 8 and start["val_images"] == 2  # 2 instances on each of 4 + 1 images
    with Project.open(tmp_path / "proj") as p:
        rec = get_run(p, run_id)
        assert rec.status == "done" and rec.metrics and "val_noc90" in rec.metrics[0]
    cards, problems = registry.discover([tmp_path / "proj" / "models"], user_dir=tmp_path / "none")
    card = next(c for c in cards if c.id == f"proj-run-{run_id}")
    assert card.kind == "interactive" and card.framework == "clicknet" and not problems
    model = registry.load(card)
    assert isinstance(model, LearnedClickSegmenter)
    model.set_image(np.zeros((32, 32, 3), np.uint8))
    assert model.predict(Prompt((Click(10, 10),))).mask.shape == (32, 32)
    from segstudio.training.cards import project_cards

    assert project_cards(tmp_path / "proj") == []  # not a pre-label model


def test_click_template_needs_instances(tiny_net, tmp_path):
    from segstudio.store import Project
    from segstudio.training import runner
    from segstudio.training.data import DataError
    from tests.unit.training.conftest import build_project

    build_project(tmp_path / "proj", n=3, done=0).close()  # no instances saved
    with Project.open(tmp_path / "proj") as p:
        for rec in p.images():
            p.set_status(rec.id, "done")
        run_id = runner.start_run(p, "click", {"epochs": 1, "start": "saliency"})
    with pytest.raises(DataError, match="no instances"):
        runner.execute(tmp_path / "proj", run_id)


def test_a_partly_applied_correction_fixes_the_error_around_the_click():
    rng = np.random.default_rng(2)
    gt = np.zeros((60, 80), bool)
    gt[10:50, 10:70] = True
    prev = gt.copy()
    prev[10:50, 40:70] = False  # the right half missed
    c = sim.error_click(prev, gt, rng)
    assert c[2] is True
    fixed = sim.apply_partly(prev, gt, c, rng)
    assert fixed[int(c[1]), int(c[0])] and fixed.sum() > prev.sum() and not (fixed & ~gt).any()
    assert (sim.apply_partly(prev, gt, (15.0, 15.0, True), rng) == prev).all()  # no error there
