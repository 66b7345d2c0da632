"""The Qt fixtures' guard finds work a test leaves running (and lets finished work pass)."""

from __future__ import annotations

import threading
import weakref

from segstudio.qt.workers import Worker

from .conftest import work_left_running


def test_a_busy_worker_and_a_live_thread_are_reported(qtbot):
    before = set(threading.enumerate())
    release = threading.Event()
    worker = Worker()
    worker.submit("slow", lambda cancel, progress: release.wait(10))
    thread = threading.Thread(target=release.wait, args=(10,), name="left-behind")
    thread.start()
    problems = work_left_running(before, [weakref.ref(worker)], grace_s=0.2)
    release.set()
    assert any("Worker still runs" in p for p in problems), problems
    assert any("'left-behind'" in p for p in problems), problems
    assert work_left_running(before, [weakref.ref(worker)], grace_s=5.0) == []
