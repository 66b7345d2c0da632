"""CVAT images whose shapes are all polygons take the column path (`_cvat_polygons`): drawn
block by block, inline or in worker processes.  It stores what the general path stores --
pycocotools' mask on the whole image, the polygon as drawn, attributes, z order, category ids
-- and refuses or clips bad polygons with their line, as the general path does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as cmask

from segstudio.core.drawn import DrawnShape
from segstudio.io import parallel, registry
from segstudio.io.errors import FormatError
from segstudio.io.formats import _cvat_polygons
from segstudio.store.project import Project

H, W = 30, 40


def polygon(label: str, points: str, z: int | None = None, extra: str = "", body: str = "") -> str:
    zs = f' z_order="{z}"' if z is not None else ""
    return f'<polygon label="{label}" occluded="0" points="{points}"{zs}{extra}>{body}</polygon>'


def write(path, images: list[list[str]]) -> None:
    """A CVAT for images 1.1 file, one <image> per list of shape elements (one per line)."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<annotations>", "<version>1.1</version>",
             "<meta><task><labels>",
             "<label><name>cat</name><attributes><attribute><name>tame</name><input_type>checkbox"
             "</input_type><values>false</values></attribute></attributes></label>",
             "</labels></task></meta>"]
    for k, shapes in enumerate(images):
        lines.append(f'<image id="{k}" name="im{k}.png" width="{W}" height="{H}">')
        lines.extend(shapes)
        lines.append("</image>")
    lines.append("</annotations>")
    path.write_text("\n".join(lines) + "\n")


def random_points(rng: np.random.Generator) -> str:
    n = int(rng.integers(3, 12))
    if rng.random() < 0.5:  # CVAT's two decimals
        xs, ys = rng.uniform(-1, W + 1, n).round(2), rng.uniform(-1, H + 1, n).round(2)
        return ";".join(f"{x:.2f},{y:.2f}" for x, y in zip(xs, ys))
    xs, ys = rng.integers(-10, 10 * W + 10, n) / 10, rng.integers(-10, 10 * H + 10, n) / 10
    return ";".join(f"{x!r},{y!r}" for x, y in zip(xs.tolist(), ys.tolist()))


def stored(project: Project) -> list[tuple]:
    return project.conn.execute(
        "SELECT m.path, i.id, i.z, c.name, i.rle, i.y0, i.x0, i.h, i.w, i.area, i.bbox_x, i.bbox_y,"
        " i.bbox_w, i.bbox_h, i.attributes, i.crowd, i.shape, i.source, i.frame, i.track_id, i.score"
        " FROM instances i JOIN images m ON m.id = i.image_id JOIN categories c ON c.id = i.category_id"
        " ORDER BY m.path, i.z").fetchall()


def use_pool(monkeypatch, on: bool) -> None:
    monkeypatch.setenv(parallel.WORKERS_ENV, "2" if on else "0")
    monkeypatch.setattr(_cvat_polygons, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(_cvat_polygons, "BLOCK", 7)
    monkeypatch.setattr(_cvat_polygons, "SUB_BLOCK", 3)


@pytest.fixture
def many(tmp_path):
    rng = np.random.default_rng(5)
    images = []
    for k in range(6):
        shapes = [polygon("dog" if j % 3 else "cat", random_points(rng), z=int(rng.integers(0, 3)))
                  for j in range(int(rng.integers(1, 9)))]
        if k == 2:  # attributes, occluded, group and source as the general path reads them
            shapes.append(polygon("cat", "1,1;9,1;9,9", z=5, extra=' group_id="4" source="auto"',
                                  body='<attribute name="tame">true</attribute>').replace(
                                      'occluded="0"', 'occluded="1"'))
        if k == 4:  # covers no pixel: skipped as such
            shapes.append(polygon("dog", "5,5;5.1,5;5.1,5.1"))
        images.append(shapes)
    write(tmp_path / "a.xml", images)
    return tmp_path / "a.xml", images


@pytest.mark.parametrize("pool", [False, True])
def test_polygons_are_stored_as_pycocotools_draws_them_and_as_drawn(many, tmp_path, monkeypatch, pool):
    xml, images = many
    use_pool(monkeypatch, pool)
    with Project.create(tmp_path / "q") as q:
        cpu = parallel.worker_cpu_seconds()
        rep = registry.import_into("cvat", xml, q, {"require_images": False})
        assert (parallel.worker_cpu_seconds() > cpu) == pool  # the workers did the drawing
        cats = {c.id: c.name for c in q.categories()}
        assert [c.name for c in q.categories()] == ["cat", "dog"]
        assert rep.skipped == [("im4.png (dog)", "shape covers no pixel")]
        for rec in q.images():
            k = int(rec.name[2:-4])
            elements = sorted(images[k], key=lambda e: int(e.split('z_order="')[1][0]) if "z_order" in e else 0)
            want = []
            for e in elements:
                pts = e.split('points="')[1].split('"')[0]
                flat = [float(v) for v in pts.replace(";", ",").split(",")]
                m = cmask.decode(cmask.frPyObjects([flat], H, W)[0]).astype(bool)
                if m.any():
                    want.append((e.split('label="')[1].split('"')[0], m, flat))
            got = q.load_instances(rec.id)
            assert [(cats[i.category_id], i.mask.to_full().tobytes()) for i in got] == \
                [(c, m.tobytes()) for c, m, _ in want]
            assert [i.shape for i in got] == [DrawnShape("polygon", (tuple(f),), "coco", 0.0, int(m.sum()))
                                             for _, m, f in want]
            if k == 2:
                assert got[-1].attributes == {"tame": True, "occluded": True, "group_id": 4, "source": "auto"}
        assert rep.instances == sum(len(v) for v in images) - 1


def test_pool_and_inline_store_the_same_rows(many, tmp_path, monkeypatch):
    xml, _ = many
    got = []
    for on in (False, True):
        use_pool(monkeypatch, on)
        with Project.create(tmp_path / f"q{on}") as q:
            rep = registry.import_into("cvat", xml, q, {"require_images": False})
            got.append((stored(q), rep.to_dict()))
    assert got[0] == got[1]
    rows = got[0][0]
    assert all(r[-4:] == ("import", 0, None, None) and r[10:14] == (r[6], r[5], r[8], r[7]) for r in rows)
    assert all(json.loads(r[16])["kind"] == "polygon" for r in rows)


def test_same_rows_as_the_general_path(many, tmp_path, monkeypatch):
    """An image with any other shape takes the general path (`cvat.ShapeReader`): a box added to
    every image (then removed from the rows) must leave the polygons' rows unchanged."""
    xml, images = many
    use_pool(monkeypatch, False)
    write(tmp_path / "b.xml", [[*shapes, '<box label="cat" xtl="1" ytl="1" xbr="3" ybr="3" z_order="9"></box>']
                               for shapes in images])
    out = []
    for src in (xml, tmp_path / "b.xml"):
        with Project.create(tmp_path / src.stem) as q:
            registry.import_into("cvat", src, q, {"require_images": False})
            out.append([r for r in stored(q) if json.loads(r[16])["kind"] == "polygon"])
    assert out[0] == out[1]


@pytest.mark.parametrize("pool", [False, True])
@pytest.mark.parametrize("points, message", [
    ("1,1;9,1", "line 11: a polygon needs at least 3 points, found 2"),
    ("1,1;9,x;9,9", "line 11: points"),
    ("1,1;9,nan;9,9", "line 11: points must be finite"),
])
def test_a_bad_polygon_is_refused_with_its_line(tmp_path, monkeypatch, pool, points, message):
    use_pool(monkeypatch, pool)
    write(tmp_path / "a.xml", [[polygon("cat", "1,1;9,1;9,9")], [polygon("cat", points)]])
    with Project.create(tmp_path / "q") as q:
        with pytest.raises(FormatError) as e:
            registry.import_into("cvat", tmp_path / "a.xml", q, {"require_images": False})
        assert message in str(e.value), str(e.value)
        assert q.image_count() == 0  # nothing half-imported


@pytest.mark.parametrize("pool", [False, True])
def test_a_far_polygon_is_clipped_and_reported_with_its_line(tmp_path, monkeypatch, pool):
    use_pool(monkeypatch, pool)
    write(tmp_path / "a.xml", [[polygon("cat", "2,2;1e12,2;20,20"), polygon("cat", "1,1;9,1;9,9")]])
    with Project.create(tmp_path / "q") as q:
        rep = registry.import_into("cvat", tmp_path / "a.xml", q, {"require_images": False})
        assert rep.instances == 2
        assert rep.losses == {"shapes reaching outside the image (the part outside dropped)": 1}
        first = q.load_instances(q.images()[0].id)[0]
        assert first.mask.to_full()[2:19, 30:].any() and first.shape.coords[0][2] < 1e6


def test_categories_are_numbered_in_the_files_order(tmp_path, monkeypatch):
    """z_order puts the 'zebra' polygon first, but 'ant' comes first in the file."""
    use_pool(monkeypatch, False)
    write(tmp_path / "a.xml", [[polygon("ant", "1,1;9,1;9,9", z=2), polygon("zebra", "1,1;9,1;9,9", z=0)]])
    with Project.create(tmp_path / "q") as q:
        registry.import_into("cvat", tmp_path / "a.xml", q, {"require_images": False})
        assert [c.name for c in q.categories()] == ["cat", "ant", "zebra"]
        names = {c.id: c.name for c in q.categories()}
        assert [names[i.category_id] for i in q.load_instances(q.images()[0].id)] == ["zebra", "ant"]
