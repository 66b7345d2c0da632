import numpy as np
import pytest

torch = pytest.importorskip("torch")

from segstudio.core.tasks import CancelToken  # noqa: E402
from segstudio.training import loop  # noqa: E402
from segstudio.training.data import collect, load_pairs  # noqa: E402
from segstudio.training.templates import get_template  # noqa: E402

TINY = {"input_size": 32, "batch_size": 4, "width": 8, "depth": 2, "rotate": 0, "warmup_epochs": 0}


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)  # bit-exact comparisons need a fixed reduction order
    yield
    torch.set_num_threads(n)


def _setup(project, **over):
    t = get_template("semantic")
    hp = t.resolve(TINY | over)
    data = collect(project, seed=0, val_fraction=0.25)
    tr = load_pairs(project, data, data.train_ids, 40)
    va = load_pairs(project, data, data.val_ids, 40)
    return t, hp, data, tr, va


def test_training_learns_the_classes(tiny_project, tmp_path):
    t, hp, data, tr, va = _setup(tiny_project, epochs=15, lr=0.02, patience=0, color_jitter=0)
    events = []
    res = loop.train(tr, va, data, t, hp, tmp_path / "run", on_event=events.append)
    assert res.status == "done" and res.epochs_run == 15
    first, last = res.history[0], res.history[-1]
    assert last["train_loss"] < 0.6 * first["train_loss"]
    assert max(h["val_miou"] for h in res.history) > 0.5
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds.count("epoch") == 15 and "step" in kinds
    assert (tmp_path / "run" / "last.pt").is_file() and (tmp_path / "run" / "best.pt").is_file()


def _weights(path):
    return torch.load(path, weights_only=True)["model"]


def test_resume_after_cancel_equals_an_uninterrupted_run(tiny_project, tmp_path):
    t, hp, data, tr, va = _setup(tiny_project, epochs=2)
    straight = loop.train(tr, va, data, t, hp, tmp_path / "a")
    token = CancelToken()

    def cancel_after_first(e):
        if e["type"] == "epoch" and e["epoch"] == 1:
            token.cancel()

    part = loop.train(tr, va, data, t, hp, tmp_path / "b", cancel=token, on_event=cancel_after_first)
    assert part.status == "cancelled" and part.epochs_run == 1
    events = []
    resumed = loop.train(tr, va, data, t, hp, tmp_path / "b", resume=True, on_event=events.append)
    assert events[0] == {"type": "resumed", "epoch": 1}
    assert resumed.status == "done" and resumed.epochs_run == 2
    a, b = _weights(straight.checkpoint), _weights(resumed.checkpoint)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert straight.history[1]["train_loss"] == resumed.history[1]["train_loss"]


def test_same_seed_same_result_other_seed_differs(tiny_project, tmp_path):
    t, hp, data, tr, va = _setup(tiny_project, epochs=1)
    r1 = loop.train(tr, va, data, t, hp, tmp_path / "1")
    r2 = loop.train(tr, va, data, t, hp, tmp_path / "2")
    r3 = loop.train(tr, va, data, t, hp | {"seed": 1}, tmp_path / "3")
    assert r1.history[0]["train_loss"] == r2.history[0]["train_loss"]
    assert r1.history[0]["train_loss"] != r3.history[0]["train_loss"]


def test_early_stopping_and_frozen_encoder(tiny_project, tmp_path):
    # lr 0 never improves after epoch 1: stop after `patience` more epochs
    t, hp, data, tr, va = _setup(tiny_project, epochs=10, lr=1e-6, patience=2, freeze_encoder=True)
    model = None

    def factory():
        nonlocal model
        from segstudio.training.templates import build_model

        model = build_model(t, hp, data.num_classes)
        return model

    before = {k: v.clone() for k, v in factory().state_dict().items()}
    events = []
    res = loop.train(tr, va, data, t, hp, tmp_path / "r", on_event=events.append,
                     model_factory=lambda: model)
    assert res.status == "early_stopped" and res.epochs_run < 10
    assert any(e["type"] == "early_stop" for e in events)
    after = model.state_dict()
    enc = [k for k in after if k.startswith("encoder.") and k.endswith("weight")]
    assert enc and all(torch.equal(before[k], after[k]) for k in enc)


def test_schedules():
    hp = {"epochs": 10, "warmup_epochs": 1, "lr": 1.0, "schedule": "cosine"}
    lrs = [loop.lr_at(s, 10, hp) for s in range(100)]
    assert lrs[0] < lrs[9] <= 1.0 and lrs[-1] < 0.05
    assert loop.lr_at(99, 10, hp | {"schedule": "step"}) == pytest.approx(0.01)
    assert loop.lr_at(50, 10, hp | {"schedule": "constant"}) == 1.0
    assert np.all(np.diff([loop.lr_at(s, 10, hp | {"schedule": "poly"}) for s in range(10, 100)]) <= 0)
