"""CVAT for video 1.1: tracks and keyframes both ways, runs closed by outside shapes, a
hand-written fixture of the documented format, and Datumaro's CVAT reader on our files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.tools.shapes import drawn_box, drawn_polygon
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.store.project import Project
from segstudio.video.library import add_video
from tests.unit.io.reference import reference_python, run_script

H, W, N = 30, 40, 6


def frames(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for i in range(N):
        cv2.imwrite(str(folder / f"{i:05d}.png"), np.full((H, W, 3), i * 20, np.uint8))
    return folder


@pytest.fixture
def video(tmp_path):
    p = Project.create(tmp_path / "p")
    rec_id = add_video(p, frames(tmp_path / "clip")).image_id
    cat, dog = p.add_category("cat"), p.add_category("dog")
    for f in (0, 1, 2, 4):  # a cat box on frames 0-2 and 4 (a gap at 3); frame 1 interpolated
        m, d = drawn_box("rect", (2 + f, 3), (12 + f, 10), (H, W))
        attrs = {"keyframe": False} if f == 1 else {}
        p.save_instances(rec_id, [Instance(1, cat.id, m, shape=d, track_id=7, attributes=attrs)], frame=f)
    m, d = drawn_polygon(np.array([[20, 5], [35, 8], [28, 25]]), (H, W))
    p.save_instances(rec_id, [Instance(2, dog.id, m, shape=d, track_id=9)], frame=2)
    yield p, rec_id
    p.close()


def per_frame(p: Project, rec_id: int) -> dict:
    names = {c.id: c.name for c in p.categories()}
    out = {}
    for f in p.annotated_frames(rec_id):
        out[f] = [(names[i.category_id], i.mask.to_full().tobytes(), i.attributes.get("keyframe", True))
                  for i in p.load_instances(rec_id, f)]
    return out


def test_round_trip_tracks_keyframes_and_outside(video, tmp_path):
    p, rec_id = video
    rep = registry.export("cvat-video", p, tmp_path / "out" / "clip.xml")
    assert rep.lossless and rep.instances == 5, rep.text()
    xml = (tmp_path / "out" / "clip.xml").read_text()
    assert xml.count("<track ") == 2 and "<mode>interpolation</mode>" in xml
    assert 'frame="1" outside="0" keyframe="0"' in xml
    assert 'frame="3" outside="1"' in xml  # the run 0-2 ends
    assert 'frame="5" outside="1"' in xml  # and so does the run on frame 4 (of 0-5)
    assert xml.count('outside="1"') == 3  # the dog's one-frame run (2) ends on 3 as well
    assert "<source>../clip</source>" in xml
    v = registry.validate("cvat-video", tmp_path / "out" / "clip.xml")
    assert v.instances == 5 and not v.warnings
    with Project.create(tmp_path / "q") as q:
        registry.import_into("cvat-video", tmp_path / "out" / "clip.xml", q)
        (rec,) = q.images()
        assert rec.kind == "frames" and rec.frame_count == N
        assert per_frame(q, rec.id) == per_frame(p, rec_id)
        tracks = {i.track_id for f in (0, 1, 2, 4) for i in q.load_instances(rec.id, f)
                  if q.categories().get(i.category_id).name == "cat"}
        assert len(tracks) == 1  # one track across the gap
        shape = q.load_instances(rec.id, 2)[1].shape
        assert shape.kind == "polygon" and shape.coords == ((20.0, 5.0, 35.0, 8.0, 28.0, 25.0),)


FIXTURE = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>3</id><name>clip</name><size>6</size><mode>interpolation</mode><overlap>5</overlap>
      <start_frame>0</start_frame><stop_frame>5</stop_frame><frame_filter></frame_filter>
      <labels>
        <label><name>car</name><color>#ff0000</color><type>any</type>
          <attributes><attribute><name>moving</name><mutable>True</mutable><input_type>checkbox</input_type>
          <default_value>false</default_value><values>false</values></attribute></attributes></label>
      </labels>
      <original_size><width>40</width><height>30</height></original_size>
    </task>
    <source>clip</source>
  </meta>
  <track id="0" label="car" source="manual">
    <box frame="0" keyframe="1" outside="0" occluded="0" xtl="1.00" ytl="2.00" xbr="11.00" ybr="8.00" z_order="0">
      <attribute name="moving">true</attribute>
    </box>
    <box frame="1" keyframe="0" outside="0" occluded="1" xtl="2.00" ytl="2.00" xbr="12.00" ybr="8.00" z_order="0">
      <attribute name="moving">true</attribute>
    </box>
    <box frame="2" keyframe="1" outside="1" occluded="0" xtl="3.00" ytl="2.00" xbr="13.00" ybr="8.00" z_order="0">
      <attribute name="moving">false</attribute>
    </box>
  </track>
  <track id="1" label="car" source="manual">
    <mask frame="4" keyframe="1" outside="0" occluded="0" rle="0, 2, 2" left="5" top="5" width="2" height="2" z_order="1">
    </mask>
    <polygon frame="5" keyframe="1" outside="0" occluded="0" points="10,10;20,10;20,20" z_order="0">
    </polygon>
  </track>
</annotations>
"""


def test_fixture_of_the_documented_format(tmp_path):
    frames(tmp_path / "clip")
    (tmp_path / "annotations.xml").write_text(FIXTURE)
    with Project.create(tmp_path / "q") as q:
        rep = registry.import_into("cvat-video", tmp_path, q)
        (rec,) = q.images()
        assert q.annotated_frames(rec.id) == [0, 1, 4, 5]
        a0, a1 = q.load_instances(rec.id, 0)[0], q.load_instances(rec.id, 1)[0]
        assert a0.mask.bbox() == (1, 2, 10, 6) and a1.mask.bbox() == (2, 2, 10, 6)
        assert a0.attributes == {"moving": True, "keyframe": True}
        assert a1.attributes == {"moving": True, "occluded": True, "keyframe": False}
        m4 = q.load_instances(rec.id, 4)[0].mask
        assert m4.bbox() == (5, 5, 2, 1) and m4.area == 2  # rle 0,2,2: the top row
        assert a0.track_id == a1.track_id != q.load_instances(rec.id, 5)[0].track_id
    assert rep.instances == 4


def test_errors_name_the_file_and_line(tmp_path):
    frames(tmp_path / "clip")
    bad = FIXTURE.replace('<box frame="1"', '<box frame="9"')
    (tmp_path / "annotations.xml").write_text(bad)
    with Project.create(tmp_path / "q") as q, pytest.raises(FormatError) as e:
        registry.import_into("cvat-video", tmp_path, q)
    assert "annotations.xml at line 21: frame 9 is outside the task's frames" in str(e.value)


def test_datumaro_reads_our_tracks(video, tmp_path):
    py = reference_python("datumaro", "datumaro")
    p, rec_id = video
    registry.export("cvat-video", p, tmp_path / "out" / "clip.xml")
    items = run_script(py, "datumaro_cvat.py", tmp_path / "out" / "clip.xml")
    got = {}
    for item in items:
        frame = int(item["id"].split("_")[-1])
        anns = [a for a in item["annotations"] if not a["attributes"].get("outside")]
        if anns:
            got[frame] = sorted((a["label"], a["type"], a["attributes"].get("track_id")) for a in anns)
    assert sorted(got) == [0, 1, 2, 4]
    assert got[2] == [("cat", "bbox", 0), ("dog", "polygon", 1)]
    assert {a[2] for f in (0, 1, 2, 4) for a in got[f] if a[0] == "cat"} == {0}
    _ = json


def test_two_videos_with_one_name_get_one_file_each(tmp_path):
    p = Project.create(tmp_path / "p")
    for folder in ("a", "b"):
        add_video(p, frames(tmp_path / folder / "clip"))
    rep = registry.export("cvat-video", p, tmp_path / "out")
    assert sorted(Path(f).name for f in rep.files) == ["clip.xml", "clip_2.xml"]
    assert all(Path(f).is_file() for f in rep.files)
    p.close()
