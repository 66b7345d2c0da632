import json

import cv2
import numpy as np
import pytest

from segstudio.core.instance import Instance
from segstudio.core.masks import MaskPatch
from segstudio.io import registry
from segstudio.io.errors import FormatError
from segstudio.io.formats.davis import decode_ids, encode_indexed_png
from segstudio.store import Project
from segstudio.store.tracks import Track, list_tracks, track_presence
from segstudio.video.library import add_video

from .synth import moving_object, write_video


def disc(shape, cx, cy, r):
    m = np.zeros(shape, np.uint8)
    cv2.circle(m, (cx, cy), r, 1, -1)
    return MaskPatch.from_full(m > 0)


@pytest.fixture
def annotated(tmp_path):
    """A project with a video file (2 tracks, one with a hole) and a frame folder (1 track +
    an untracked instance)."""
    frames, _ = moving_object(6, h=60, w=80)
    video = write_video(tmp_path / "data" / "clip.avi", frames) if (tmp_path / "data").mkdir() is None else None
    folder = tmp_path / "data" / "seq"
    folder.mkdir()
    for i, f in enumerate(frames[:4]):
        cv2.imwrite(str(folder / f"img{i + 1}.jpg"), f[:, :, ::-1])
    p = Project.create(tmp_path / "proj")
    ball, dog = p.add_category("ball").id, p.add_category("dog").id
    v1 = add_video(p, video).image_id
    v2 = add_video(p, folder).image_id
    from segstudio.video.edits import VideoEdit

    VideoEdit(p, v1, "t", {}, {}, {}, {10: Track(10, v1, ball, "red"), 11: Track(11, v1, dog, None)}).do()
    VideoEdit(p, v2, "t", {}, {}, {}, {12: Track(12, v2, dog, "d")}).do()
    ring = disc((60, 80), 40, 30, 12).subtract(disc((60, 80), 40, 30, 4))
    for f in range(1, 5):
        p.save_instances(v1, [Instance(1, ball, disc((60, 80), 10 + 5 * f, 10, 5), track_id=10),
                              Instance(2, dog, ring, track_id=11)], frame=f)
    p.save_instances(v2, [Instance(1, dog, disc((60, 80), 30, 30, 9), track_id=12)], frame=2)
    p.save_instances(v2, [Instance(1, dog, disc((60, 80), 32, 30, 9), track_id=12),
                          Instance(2, ball, disc((60, 80), 60, 40, 5))], frame=3)
    yield p, v1, v2
    p.close()


def content(project, image_id):
    out = {}
    for f in project.annotated_frames(image_id):
        for inst in project.load_instances(image_id, f):
            out.setdefault(f, []).append(inst)
    return out


def assert_same_videos(a, av, b, bv, tracked_only=False):
    ca, cb = content(a, av), content(b, bv)
    assert sorted(ca) == sorted(cb)
    cats_a = {c.id: c.name for c in a.categories()}
    cats_b = {c.id: c.name for c in b.categories()}
    for f in ca:
        xa = sorted((cats_a[i.category_id], i.mask.bbox(), i.area) for i in ca[f])
        xb = sorted((cats_b[i.category_id], i.mask.bbox(), i.area) for i in cb[f])
        assert xa == xb, f
        for ia in ca[f]:
            match = [ib for ib in cb[f] if ib.mask.equals(ia.mask)]
            assert match and match[0].track_id is not None
    # Same partition of instances into tracks.
    pa = sorted(tuple(v) for v in track_presence(a, av).values())
    pb = sorted(tuple(v) for v in track_presence(b, bv).values())
    if not tracked_only:
        assert pa == pb


@pytest.mark.parametrize("fmt", ["youtube-vis", "coco-video"])
def test_json_round_trip(annotated, tmp_path, fmt):
    p, v1, v2 = annotated
    dst = tmp_path / "data" / "out.json"
    rep = registry.export(fmt, p, dst)
    assert rep.images == 2
    assert "instances without a track exported as one-frame tracks" in rep.losses
    data = json.loads(dst.read_text())
    assert len(data["videos"]) == 2
    q = Project.create(tmp_path / "proj2")
    irep = registry.import_into(fmt, dst, q)
    assert irep.images == 2 and irep.images_added == 2
    recs = {r.kind: r for r in q.images()}
    assert recs["video"].frame_count == 6 and recs["frames"].frame_count == 4
    assert_same_videos(p, v1, q, recs["video"].id)
    assert_same_videos(p, v2, q, recs["frames"].id, tracked_only=True)
    if fmt == "youtube-vis":
        names = {t.name for t in list_tracks(q, recs["video"].id)}
        assert "red" in names
    # Importing again appends new tracks with fresh ids, never reusing the first import's.
    registry.import_into(fmt, dst, q)
    ids = [t.id for r in q.images() for t in list_tracks(q, r.id)]
    assert len(ids) == len(set(ids))
    q.close()


def test_youtube_vis_frame_names_point_at_real_frames(annotated, tmp_path):
    p, _, v2 = annotated
    dst = tmp_path / "data" / "ytvis.json"
    registry.export("youtube-vis", p, dst, {"write_frames": True})
    data = json.loads(dst.read_text())
    by_name = {v["name"]: v for v in data["videos"]}
    assert by_name["seq"]["file_names"] == [f"seq/img{i}.jpg" for i in range(1, 5)]
    clip = by_name["clip"]
    assert clip["segstudio_video"] == "clip.avi"
    for name in clip["file_names"]:
        assert (dst.parent / name).is_file()
    ann = [a for a in data["annotations"] if a["video_id"] == v2]
    segs = [a["segmentations"] for a in ann]
    assert all(len(s) == 4 for s in segs) and segs[0][0] is None and segs[0][2] is not None


def test_davis_round_trip_and_palette(annotated, tmp_path):
    p, v1, v2 = annotated
    dst = tmp_path / "davis"
    rep = registry.export("davis", p, dst, {"write_frames": True})
    assert not rep.losses.get("overlapping pixels given to the topmost object")
    assert (dst / "Annotations" / "clip" / "00000.png").is_file()
    assert (dst / "JPEGImages" / "clip" / "00003.jpg").is_file()
    assert (dst / "Annotations" / "seq" / "img3.png").is_file()
    ids = decode_ids(dst / "Annotations" / "clip" / "00002.png")
    assert set(np.unique(ids)) == {0, 1, 2}
    assert rep.images == 2
    q = Project.create(tmp_path / "proj3")
    irep = registry.import_into("davis", dst, q)
    assert irep.images == 2
    by_name = {r.name: r for r in q.images()}
    assert_same_videos(p, v1, q, by_name["clip"].id)
    assert {c.name for c in q.categories()} == {"ball", "dog"}  # from the sidecar
    q.close()
    # Overlaps cannot be represented: the topmost object keeps the pixels, and it is reported.
    p.save_instances(v1, [Instance(3, 1, disc((60, 80), 40, 30, 3), track_id=10)], frame=5)
    p.save_instances(v1, [Instance(4, 2, disc((60, 80), 40, 30, 6), track_id=11)], frame=5)
    rep = registry.export("davis", p, tmp_path / "davis2", {"frames": "annotated"})
    assert rep.losses["overlapping pixels given to the topmost object"] == 1
    ids = decode_ids(tmp_path / "davis2" / "Annotations" / "clip" / "00005.png")
    assert (ids == 2).sum() == disc((60, 80), 40, 30, 6).area
    assert not (tmp_path / "davis2" / "Annotations" / "clip" / "00000.png").exists()


def test_indexed_png_is_a_real_palette_png(tmp_path):
    ids = np.zeros((7, 9), np.uint8)
    ids[2:5, 3:6] = 1
    ids[0, 0] = 2
    path = tmp_path / "m.png"
    path.write_bytes(encode_indexed_png(ids))
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert tuple(bgr[3, 4]) == (0, 0, 128)  # DAVIS object 1 is dark red
    assert np.array_equal(decode_ids(path), ids)


def test_davis_grey_masks_and_errors(tmp_path):
    frames = tmp_path / "JPEGImages" / "cow"
    masks = tmp_path / "Annotations" / "cow"
    frames.mkdir(parents=True)
    masks.mkdir(parents=True)
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:05d}.jpg"), np.full((20, 30, 3), 90, np.uint8))
        m = np.zeros((20, 30), np.uint8)
        m[5:10, 5 + i:15 + i] = 255  # DAVIS-2016 style: one object, 0/255 grey
        cv2.imwrite(str(masks / f"{i:05d}.png"), m)
    q = Project.create(tmp_path / "p")
    rep = registry.import_into("davis", tmp_path, q, {"category": "cow"})
    assert rep.instances == 3
    (rec,) = q.images()
    assert rec.kind == "frames" and rec.frame_count == 3
    assert list(track_presence(q, rec.id).values()) == [[0, 1, 2]]
    cv2.imwrite(str(masks / "00001.png"), np.zeros((21, 30), np.uint8))
    with pytest.raises(FormatError, match="00001.png"):
        registry.import_into("davis", tmp_path, q)
    with pytest.raises(FormatError, match="not a DAVIS folder"):
        registry.import_into("davis", frames.parent, q)
    q.close()


def test_malformed_json_is_a_clear_error(tmp_path, annotated):
    p, _, _ = annotated
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"videos": [{"id": 1, "width": 80, "height": 60, "length": 2,
                                           "file_names": ["a/1.jpg", "a/2.jpg"]}],
                               "categories": [{"id": 1, "name": "x"}],
                               "annotations": [{"video_id": 1, "category_id": 1,
                                                "segmentations": [{"size": [5, 5], "counts": "00"}]}]}))
    with pytest.raises(FormatError, match=r"bad.json at annotations\[0\].segmentations\[0\]"):
        registry.import_into("youtube-vis", bad, p, {"require_images": False})
    bad.write_text("{")
    with pytest.raises(FormatError, match="invalid JSON"):
        registry.import_into("youtube-vis", bad, p)
