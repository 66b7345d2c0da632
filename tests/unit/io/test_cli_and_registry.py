"""CLI commands and the registry's generic machinery (options, atomic writes, plug-in discovery)."""

import json

import pytest

from segstudio.cli.main import main
from segstudio.io import registry
from segstudio.io.atomic import StagedOutput, atomic_file, write_files_atomically
from segstudio.io.errors import FormatError, JsonReader
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project


def test_formats_are_discovered():
    names = set(registry.formats())
    assert {"coco", "labelme", "voc", "yolo", "labelmap", "cutout"} <= names
    assert registry.get_format("COCO").name == "coco"
    assert not registry.get_format("cutout").can_import
    with pytest.raises(KeyError, match="unknown format 'nope'"):
        registry.get_format("nope")


def test_options_are_checked():
    spec = registry.get_format("coco")
    opts = registry.resolve_options(spec.all_export_options(), {"segmentation": "rle"})
    assert opts["segmentation"] == "rle" and opts["label_set"] == "gt"
    with pytest.raises(ValueError, match="not one of"):
        registry.resolve_options(spec.all_export_options(), {"segmentation": "zip"})
    with pytest.raises(ValueError, match="unknown option"):
        registry.resolve_options(spec.all_export_options(), {"colour": "red"})
    assert registry.resolve_options(spec.all_import_options(), {"require_images": "no"})["require_images"] is False


def test_atomic_helpers_leave_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), atomic_file(tmp_path / "a.json", "w") as f:
        f.write("half")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("old")
    with pytest.raises(RuntimeError), StagedOutput(tmp_path / "out") as out:
        out.write_text("keep.txt", "new")
        raise RuntimeError
    assert (tmp_path / "out" / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with StagedOutput(tmp_path / "out") as out:
        out.write_text("keep.txt", "new")
        out.write_text("sub/x.txt", "x")
    assert (tmp_path / "out" / "keep.txt").read_text() == "new" and (tmp_path / "out/sub/x.txt").exists()
    write_files_atomically({tmp_path / "d1" / "a": b"1", tmp_path / "d2" / "b": b"2"})
    assert (tmp_path / "d2" / "b").read_bytes() == b"2"


def test_json_reader_paths(tmp_path):
    r = JsonReader(tmp_path / "f.json", {"images": [{"id": "x"}]})
    with pytest.raises(FormatError, match=r"f\.json at images\[0\]\.id: expected an integer, found a string"):
        r.items("images")[0].get("id", int)
    with pytest.raises(FormatError, match="missing required key 'annotations'"):
        r.get("annotations", list)


def test_cli_import_export_convert_validate(tmp_path, capsys):
    p = make_project(tmp_path, n_images=2, per_image=2, splits=("train",))
    p.close()
    proj = str(tmp_path / "project")
    assert main(["export", "coco", proj, str(tmp_path / "c.json"), "--rle"]) == 0
    out = capsys.readouterr().out
    assert "exported 2 images, 4 instances as coco" in out and "no information lost" in out
    data = json.loads((tmp_path / "c.json").read_text())
    assert all(isinstance(a["segmentation"], dict) for a in data["annotations"])
    assert main(["validate", "coco", str(tmp_path / "c.json")]) == 0
    assert "2 images, 4 instances" in capsys.readouterr().out
    q = str(tmp_path / "q")
    assert main(["import", "coco", str(tmp_path / "c.json"), q, "--create", "--dry-run"]) == 2
    assert "no such folder" in capsys.readouterr().err  # --dry-run never creates a project
    Project.create(q).close()
    # file_name is relative to the JSON: found without telling where the images are
    assert main(["import", "coco", str(tmp_path / "c.json"), q, "--dry-run"]) == 0
    assert "would import 2 images" in capsys.readouterr().out
    assert Project.open(q).image_count() == 0
    assert main(["import", "coco", str(tmp_path / "c.json"), q]) == 0
    assert Project.open(q).image_count() == 2
    assert main(["convert", "coco", str(tmp_path / "c.json"), "labelme", str(tmp_path / "lm"),
                 "--polygons"]) == 0
    assert len(list((tmp_path / "lm").glob("*.json"))) == 2
    assert main(["export", "voc", proj, str(tmp_path / "v"), "--rle"]) == 2
    assert "do not apply" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{")
    assert main(["validate", "coco", str(tmp_path / "bad.json")]) == 1
    assert "bad.json at line 1 column 2: invalid JSON" in capsys.readouterr().out
    assert main(["import", "nope", str(tmp_path / "bad.json"), q]) == 2
    assert main(["validate", "--list-formats"]) == 0
    assert "segmentation=auto" in capsys.readouterr().out
