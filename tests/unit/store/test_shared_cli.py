"""The CLI on a shared project: init --db, info, and a failed init that leaves nothing behind."""

import json

import cv2
import numpy as np

from segstudio.cli.main import main
from segstudio.store import Project


def test_init_with_db_then_info_by_url(tmp_path, pg_url, capsys, monkeypatch):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for n in ("a", "b"):
        cv2.imwrite(str(folder / f"{n}.png"), np.zeros((30, 40, 3), np.uint8))
    assert main(["init", str(folder), "--db", pg_url, "--category", "cat"]) == 0
    assert "created project postgresql://" in capsys.readouterr().out
    assert not (folder / "segstudio.db").exists()  # the project is in the database, not the folder
    assert main(["info", pg_url, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["images"] == 2 and info["categories"] == {"cat": 0}
    # another machine maps the folder once, then opens by URL alone
    monkeypatch.setenv("SEGSTUDIO_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert main(["info", pg_url]) != 0
    assert "--images FOLDER" in capsys.readouterr().err
    assert main(["project", "images", pg_url, str(folder)]) == 0
    with Project.open(pg_url) as p:
        assert p.image_path(1) == (folder / "a.png").resolve()


def test_a_failed_shared_init_leaves_no_project(tmp_path, pg_url, capsys):
    folder = tmp_path / "imgs"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.zeros((30, 40, 3), np.uint8))
    assert main(["init", str(folder), "--db", pg_url, "--category", "  "]) != 0
    assert main(["info", pg_url]) != 0
    assert "no SegStudio project" in capsys.readouterr().err
