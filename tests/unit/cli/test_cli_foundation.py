import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from segstudio.cli.main import build_parser, main


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "segstudio", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_init_and_info(tmp_path, capsys):
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for i in range(3):
        cv2.imwrite(str(imgs / f"{i}.png"), np.zeros((8, 8, 3), np.uint8))
    (imgs / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["init", str(imgs), "--project", str(tmp_path / "proj"), "--category", "cat"]) == 0
    out = capsys.readouterr().out
    assert "3 images" in out and "broken.png" in out
    assert main(["info", str(tmp_path / "proj"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 3 and info["status"]["new"] == 3 and info["categories"] == {"cat": 0}


def test_errors_are_one_line_with_nonzero_exit(tmp_path):
    r = run_cli("info", tmp_path / "nope")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "no such folder" in r.stderr
    r = run_cli("init", tmp_path / "missing")
    assert r.returncode == 2 and "missing: no such folder" in r.stderr


def test_every_command_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # the registered subcommands
    assert {"init", "info", "open"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0


def test_init_adds_videos_when_asked(tmp_path, capsys):
    folder = tmp_path / "media"
    folder.mkdir()
    cv2.imwrite(str(folder / "still.png"), np.zeros((16, 16, 3), np.uint8))
    writer = cv2.VideoWriter(str(folder / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
    for i in range(5):
        writer.write(np.full((24, 32, 3), i * 40, np.uint8))
    writer.release()
    assert main(["init", str(folder), "--videos"]) == 0
    assert "added video clip.avi: 5 frames at 10 fps" in capsys.readouterr().out
    assert main(["info", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["images"] == 2


def test_progress_eta_is_this_runs_own_rate_on_a_resumed_job(monkeypatch):
    """A job resumed at 90 of 100 that does 5 images in 10 s has 5 left: ETA 10 s (counting
    the 90 done before as this run's work said under a second)."""
    import io

    from segstudio.cli import progress

    clock = [1000.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    bar = progress.ProgressBar(0, "prelabel", stream=out, lines_every=1.0)
    clock[0] += 30  # start-up before the first report (a cluster starting) is not work
    bar(90, 100, "resumed")
    assert bar.eta() is None  # no rate yet
    clock[0] += 10
    bar(95, 100)
    assert bar.eta() == pytest.approx(10.0)
    assert out.getvalue().splitlines()[-1].startswith("prelabel: 95/100 (95%)")
    assert "ETA 10 s" in out.getvalue()
