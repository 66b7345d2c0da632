"""`segstudio train` and `segstudio export-model`."""

import subprocess
import sys

import pytest

from segstudio.cli.main import main
from segstudio.training.runs import get_run, list_runs

TINY = ["--set", "input_size=32", "--set", "width=4", "--set", "depth=2", "--set", "epochs=2",
        "--set", "workers=1"]


def test_list_templates(capsys):
    assert main(["train", ".", "--list-templates"]) == 0
    out = capsys.readouterr().out
    assert "semantic:" in out and "foreground:" in out and "lr=" in out and "(constant|cosine|step|poly)" in out


@pytest.mark.parametrize("args,words", [
    (["--template", "resnet"], "unknown template"),
    (["--template", "semantic", "--set", "epochs=0"], "epochs: 0 is below the minimum"),
    (["--template", "semantic", "--set", "nonsense"], "expected key=value"),
    (["--template", "semantic", "--images", "1,x"], "--images"),
    ([], "choose a template"),
    (["--resume", "42"], "no training run 42"),
])
def test_errors_are_one_line(tiny_project, capsys, args, words):
    assert main(["train", str(tiny_project.root), *args]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_missing_project(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope"), "--template", "semantic"]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.slow
def test_train_prints_table_then_export(tiny_project, tmp_path, capsys):
    root = str(tiny_project.root)
    assert main(["train", root, "--template", "semantic", *TINY, "--prelabel", "--status", "done"]) == 0
    out = capsys.readouterr().out
    assert "val mIoU" in out and "status: done" in out and "* best epoch" in out
    assert "pre-labelled 0 image(s)" in out  # every image of the tiny project is done
    run = list_runs(tiny_project)[-1]
    assert run.status == "done" and len(run.metrics) == 2
    out_dir = tmp_path / "export"
    assert main(["export-model", str(run.id), "--project", root, "--format", "onnx", "--out", str(out_dir)]) == 0
    assert (out_dir / "model.onnx").is_file() and (out_dir / "card.yaml").is_file()
    assert main(["export-model", str(tiny_project.root / "models" / f"run-{run.id}"), "--format", "torchscript",
                 "--out", str(tmp_path / "ts")]) == 0
    assert (tmp_path / "ts" / "model.ts").is_file()
    capsys.readouterr()
    assert main(["export-model", "99", "--project", root, "--format", "onnx", "--out", str(out_dir)]) == 2
    assert "run 99 has no model card" in capsys.readouterr().err
    assert get_run(tiny_project, run.id).artefacts["card"].endswith("card.yaml")


def test_training_modules_do_not_import_torch():
    code = ("import sys; import segstudio.training.templates, segstudio.training.data, "
            "segstudio.training.runner, segstudio.training.process, segstudio.training.closed_loop, "
            "segstudio.training.predict, segstudio.training.export, segstudio.training.scribble.session, "
            "segstudio.training.scribble.tool, segstudio.cli.commands.train, segstudio.cli.commands.export_model; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
