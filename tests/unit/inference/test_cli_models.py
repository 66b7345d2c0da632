"""CLI: models, segment, prelabel, eval-interactive (tiny inputs, no built-in weights run)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from segstudio.cli.main import main


@pytest.fixture
def disk_png(tmp_path, disk_image):
    img, gt = disk_image
    path = tmp_path / "disk.png"
    cv2.imwrite(str(path), img[..., ::-1])
    return path, gt


@pytest.fixture
def sem_card(tmp_path, onnx_export):
    torch = pytest.importorskip("torch")

    class Reds(torch.nn.Module):
        def forward(self, x):  # 2 classes: background / red
            r = x[:, 0:1] - 0.5 * (x[:, 1:2] + x[:, 2:3]) - 0.3
            return torch.cat([-r, r], 1)

    onnx_export(Reds(), (torch.zeros(1, 3, 16, 16),), tmp_path / "reds.onnx", ["x"], ["y"],
                {"x": {2: "h", 3: "w"}, "y": {2: "h", 3: "w"}})
    card = tmp_path / "reds.yaml"
    card.write_text("id: reds\nkind: semantic\nfiles: {model: reds.onnx}\n"
                    "normalization: {scale: 255}\nclass_names: [background, red]\nbackground: [background]\n")
    return card


def test_models_lists_builtin_and_extra(tmp_path, sem_card, capsys, monkeypatch):
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(tmp_path / "none"))
    assert main(["models", "--models-dir", str(sem_card.parent), "--json"]) == 0
    data = json.loads(capsys.readouterr().out.split("\nwarning")[0])
    ids = {d["id"]: d for d in data}
    assert {"grabcut-interactive", "u2netp-salient", "reds"} <= set(ids)
    assert ids["reds"]["classes"] == ["background", "red"]


def test_models_lists_a_broken_card_with_its_reason_and_the_others(tmp_path, sem_card, capsys, monkeypatch):
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(tmp_path / "none"))
    (sem_card.parent / "bad.yaml").write_text("id: bad\nkind: salient\nnormalization: {mean: 5}\n")
    assert main(["models", "--models-dir", str(sem_card.parent)]) == 0
    out = capsys.readouterr().out.splitlines()
    broken = [line for line in out if "bad.yaml" in line]
    assert len(broken) == 1 and "(broken)" in broken[0] and "'mean' must be three numbers" in broken[0]
    assert any(line.startswith("reds ") for line in out) and any(line.startswith("u2netp-salient") for line in out)
    assert main(["models", "--models-dir", str(sem_card.parent), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)  # stdout is JSON only
    assert [r["card"] for r in rows if r["broken"]] == [str(sem_card.parent / "bad.yaml")]
    assert {"reds", "u2netp-salient"} <= {r["id"] for r in rows if not r["broken"]}



def test_a_broken_user_card_leaves_builtin_models_working(tmp_path, disk_png, monkeypatch):
    user = tmp_path / "user-models"
    user.mkdir()
    (user / "bad.yaml").write_text("id: bad\nkind: salient\nbackground: 5\n")
    monkeypatch.setenv("SEGSTUDIO_MODELS", str(user))
    path, _gt = disk_png
    out = tmp_path / "m.png"
    assert main(["segment", str(path), "--model", "grabcut-plain", "--point", "70,60", "--out", str(out)]) == 0
    assert out.is_file()


def test_segment_with_clicks_and_with_an_image_model(tmp_path, disk_png, sem_card):
    path, gt = disk_png
    out = tmp_path / "m.png"
    assert main(["segment", str(path), "--model", "grabcut-plain", "--point", "70,60", "--out", str(out)]) == 0
    m = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE) > 0
    assert np.count_nonzero(m & gt) / np.count_nonzero(m | gt) > 0.85
    out2 = tmp_path / "s.png"
    assert main(["segment", str(path), "--model", str(sem_card), "--out", str(out2)]) == 0
    s = cv2.imread(str(out2), cv2.IMREAD_GRAYSCALE) > 0
    assert np.count_nonzero(s & gt) / np.count_nonzero(s | gt) > 0.9


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "nope", "--point", "1,1"], "unknown model 'nope'"),
        (["--model", "grabcut-plain", "--point", "999,1"], "outside"),
        (["--model", "grabcut-plain"], "needs --point"),
    ],
)
def test_segment_errors_are_one_line(tmp_path, disk_png, capsys, extra, message):
    path, _ = disk_png
    assert main(["segment", str(path), "--out", str(tmp_path / "o.png"), *extra]) != 0
    assert message in capsys.readouterr().err


def test_segment_missing_image(tmp_path, capsys):
    rc = main(["segment", str(tmp_path / "ghost.jpg"), "--model", "grabcut-plain", "--point", "1,1",
               "--out", str(tmp_path / "o.png")])
    assert rc != 0 and "ghost.jpg" in capsys.readouterr().err


def test_prelabel_project(tmp_path, disk_png, sem_card, capsys):
    from segstudio.store import Project

    path, gt = disk_png
    proj = tmp_path / "proj"
    with Project.create(proj) as p:
        p.add_folder(path.parent)
    assert main(["prelabel", str(proj), "--model", str(sem_card), "--only-unlabelled"]) == 0
    assert "pre-labelled 1 images (1 instances)" in capsys.readouterr().out
    with Project.open(proj) as p:
        rec = p.images()[0]
        inst = p.load_instances(rec.id)
        assert rec.status == "prelabelled" and len(inst) == 1 and inst[0].source == "model"
        assert p.categories().get(inst[0].category_id).name == "red"
    assert main(["prelabel", str(proj), "--model", "grabcut-plain"]) != 0


def test_eval_interactive(tmp_path, disk_image, capsys):
    img, gt = disk_image
    (tmp_path / "ds" / "images").mkdir(parents=True)
    (tmp_path / "ds" / "masks").mkdir()
    for k in range(2):
        cv2.imwrite(str(tmp_path / "ds" / "images" / f"{k}.png"), img[..., ::-1])
        cv2.imwrite(str(tmp_path / "ds" / "masks" / f"{k}.png"), gt.astype(np.uint8) * 255)
    csv = tmp_path / "rows.csv"
    assert main(["eval-interactive", str(tmp_path / "ds"), "--model", "grabcut-plain",
                 "--max-clicks", "5", "--csv", str(csv)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "images 2" in out and "NoC@90" in out and "mIoU@5" in out and "rule distance" in out
    assert "ms/click" in out and "setup" in out
    assert len(csv.read_text().splitlines()) == 3
    # not a terminal: progress comes as plain lines on stderr
    assert "eval grabcut-plain: 2/2 (100%)" in captured.err
    assert main(["eval-interactive", str(tmp_path), "--model", "grabcut-plain"]) != 0
    assert "no known layout" in capsys.readouterr().err


def test_eval_interactive_subset_size_and_warnings(tmp_path, disk_image, capsys):
    img, gt = disk_image
    ds = tmp_path / "ds"
    (ds / "img").mkdir(parents=True)
    (ds / "gt").mkdir()
    for k in range(6):
        cv2.imwrite(str(ds / "img" / f"{k}.png"), img[..., ::-1])
        cv2.imwrite(str(ds / "gt" / f"{k}.png"), gt.astype(np.uint8) * (1 if k == 0 else 255))
    cv2.imwrite(str(ds / "img" / "lonely.png"), img[..., ::-1])
    cv2.imwrite(str(ds / "gt" / "stray.png"), gt.astype(np.uint8) * 255)
    csv = tmp_path / "rows.csv"
    assert main(["eval-interactive", str(ds), "--model", "grabcut-plain", "--max-clicks", "3",
                 "--every", "2", "--limit", "2", "--max-side", "32", "--csv", str(csv)]) == 0
    captured = capsys.readouterr()
    assert "images 2" in captured.out and "long side <= 32" in captured.out
    assert [r.split(",")[0] for r in csv.read_text().splitlines()[1:]] == ["0", "2"]
    err = captured.err
    assert "1 images without a mask (skipped): lonely.png" in err
    assert "1 masks without an image (skipped): stray.png" in err
    assert "0.png: values 1 besides 0/128/255" in err
    assert main(["eval-interactive", str(ds), "--model", "grabcut-plain", "--every", "0"]) != 0
