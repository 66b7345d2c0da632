"""Ignore regions are a category flag, read and written in each format's own way: LabelMe's
`__ignore__` label, COCO crowd annotations, VOC's and label maps' 255, CVAT and Label Studio
by label name."""

from __future__ import annotations

import json

import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.io import registry
from segstudio.io.formats._maps import load_label_map
from segstudio.store.project import Project
from tests.unit.io.helpers import make_project

SHAPE = (40, 50)


@pytest.fixture
def project(tmp_path):
    p = make_project(tmp_path, n_images=1, per_image=0, shape=SHAPE)
    cat = p.categories().by_name("cat")
    dc = p.add_category("dontcare", ignore=True)
    a = np.zeros(SHAPE, bool)
    a[5:15, 5:15] = True
    b = np.zeros(SHAPE, bool)
    b[20:35, 25:45] = True
    p.replace_instances(p.images()[0].id, [Instance(1, cat.id, MaskPatch.from_full(a)),
                                           Instance(2, dc.id, MaskPatch.from_full(b))])
    yield p, a, b
    p.close()


def flagged(q: Project) -> dict[str, bool]:
    return {c.name: c.ignore for c in q.categories()}


def test_labelme_writes_and_reads_the_ignore_label(project, tmp_path):
    p, a, b = project
    registry.export("labelme", p, tmp_path / "lm")
    doc = json.loads((tmp_path / "lm" / "img000.json").read_text())
    assert [s["label"] for s in doc["shapes"]] == ["cat", "__ignore__"]
    with Project.create(tmp_path / "q") as q:
        registry.import_into("labelme", tmp_path / "lm", q)
        assert flagged(q) == {"cat": False, "__ignore__": True}


def test_coco_writes_ignore_regions_as_crowd(project, tmp_path):
    p, a, b = project
    registry.export("coco", p, tmp_path / "c.json")
    anns = json.loads((tmp_path / "c.json").read_text())["annotations"]
    assert [x["iscrowd"] for x in anns] == [0, 1]


@pytest.mark.parametrize("fmt, maps", [("voc", "SegmentationClass"), ("labelmap", "semantic")])
def test_void_255_both_ways(project, tmp_path, fmt, maps):
    p, a, b = project
    registry.export(fmt, p, tmp_path / fmt)
    m = load_label_map(next((tmp_path / fmt / maps).glob("*.png")), single_channel=True)
    assert (m[b] == 255).all() and (m[a] == 1).all()
    names = (tmp_path / fmt / ("class_names.txt" if fmt == "voc" else "classes.txt")).read_text()
    assert "dontcare" not in names
    with Project.create(tmp_path / "q") as q:
        registry.import_into(fmt, tmp_path / fmt, q)
        assert flagged(q)["__ignore__"] is True
        insts = q.load_instances(q.images()[0].id)
        names = {c.id: c.name for c in q.categories()}
        region = [i for i in insts if names[i.category_id] == "__ignore__"]
        assert len(region) == 1 and np.array_equal(region[0].mask.to_full(), b)


@pytest.mark.parametrize("fmt, dst", [("cvat", "x.xml"), ("label-studio", "x.json")])
def test_cvat_and_label_studio_by_name(project, tmp_path, fmt, dst):
    p, a, b = project
    p.update_category(p.categories().by_name("dontcare").renamed("ignore"))
    registry.export(fmt, p, tmp_path / dst)
    with Project.create(tmp_path / "q") as q:
        registry.import_into(fmt, tmp_path / dst, q)
        got = flagged(q)
        assert got["ignore"] is True and got["cat"] is False
