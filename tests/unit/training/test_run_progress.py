"""RunProgress: the one schema of a training run's progress events (both training loops)."""

from __future__ import annotations

import pytest

from segstudio.training import loop
from segstudio.training.loop import RunProgress


def test_step_events_give_speed_and_time_left_from_the_resumed_epoch(monkeypatch):
    clock = iter([100.0, 102.0, 104.0, 110.0])  # start, two steps, end of the epoch
    monkeypatch.setattr(loop.time, "monotonic", lambda: next(clock))
    events: list[dict] = []
    # 3 epochs of 4 steps, resumed after epoch 1: 8 steps left when it starts
    pace = RunProgress(events.append, epochs=3, steps=4, train_images=10, val_images=2, device="cpu",
                       start_epoch=1)
    assert events[0] == {"type": "start", "epochs": 3, "steps_per_epoch": 4, "train_images": 10,
                         "val_images": 2, "device": "cpu", "start_epoch": 1}
    pace.step(1, 0, images=3, loss=0.5, lr=1e-3)
    pace.step(1, 1, images=3, loss=0.25, lr=1e-3)
    first, second = events[1], events[2]
    assert first["epoch"] == 2 and first["step"] == 1 and first["steps"] == 4 and first["loss"] == 0.5
    assert first["images_per_s"] == pytest.approx(3 / 2.0)
    assert first["eta_s"] == pytest.approx(2.0 / 1 * 7)  # 2 s for the first step, 7 to go
    assert second["images_per_s"] == pytest.approx(6 / 4.0)
    assert second["eta_s"] == pytest.approx(4.0 / 2 * 6)
    record = pace.epoch_record(1, train_loss=0.375, lr=1e-3, images=10)
    assert record == {"epoch": 2, "train_loss": 0.375, "lr": 1e-3, "train_seconds": pytest.approx(10.0),
                      "images_per_s": pytest.approx(1.0)}
