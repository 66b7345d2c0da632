import csv
import xml.etree.ElementTree as ET

from segstudio.eval import synthetic
from segstudio.eval.compare import evaluate
from segstudio.eval.report import html_report, write_csv, write_html


def small_result():
    return evaluate(synthetic.make_images(6, 6, 3, shape=(48, 64), seed=3), synthetic.categories(3))


def test_html_is_self_contained_with_valid_svg(tmp_path):
    r = small_result()
    text = html_report(r)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text and "<script" not in text and "src=" not in text
    svgs = [s.split("</svg>")[0] + "</svg>" for s in text.split("<svg")[1:]]
    assert len(svgs) >= 4  # IoU bars, boundary bars, confusion, score histogram, PR
    for s in svgs:
        ET.fromstring("<svg" + s)
    for c in r.classes:
        assert f"<td>{c.name}</td>" in text
    out = tmp_path / "r.html"
    write_html(r, out)
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_csv_has_dataset_class_and_image_rows(tmp_path):
    r = small_result()
    out = tmp_path / "r.csv"
    write_csv(r, out)
    rows = list(csv.DictReader(out.open()))
    scopes = [row["scope"] for row in rows]
    assert scopes.count("dataset") == 1 and scopes.count("class") == 3 and scopes.count("image") == 6
    dataset = rows[0]
    assert int(dataset["tp"]) == sum(c.tp for c in r.classes)
    first = next(row for row in rows if row["scope"] == "image")
    assert first["image"] == r.images[0].name and int(first["fp"]) == r.images[0].fp


def test_charts_leave_out_classes_absent_from_both_sets():
    from segstudio.eval.report import present_classes

    cats = synthetic.categories(3) + [(99, "unused")]
    r = evaluate(synthetic.make_images(4, 6, 3, shape=(48, 64), seed=3), cats)
    assert present_classes(r) == [0, 1, 2]
    text = html_report(r)
    charts = text.split("<h2>Per class</h2>")[0]
    assert "unused" not in charts and "<td>unused</td>" in text  # still listed in the table
