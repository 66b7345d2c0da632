"""Export an evaluation: a self-contained HTML report (inline SVG charts) and a tidy CSV.

The CSV has one row per scope: `dataset` (one row), `class` (one per category)
and `image` (one per evaluated image/frame), with the same columns, so a
spreadsheet filter or `df[df.scope == "image"]` gives each table.
"""

from __future__ import annotations

import csv
import io
import math
import time
from html import escape
from pathlib import Path

import numpy as np

from segstudio import __version__
from segstudio.eval import svg
from segstudio.eval.compare import EvalResult

CSV_COLUMNS = (
    "scope", "image_id", "frame", "image", "category", "n_gt", "n_pred", "tp", "fp", "fn",
    "precision", "recall", "f1", "iou", "dice", "boundary_f", "matched_iou", "agreement",
    "uncertainty", "ap", "ap50", "ap75", "ar100",
)


def _num(v: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def csv_rows(result: EvalResult) -> list[dict[str, str]]:
    s = result.summary()
    rows = [{
        "scope": "dataset", "n_gt": _num(sum(c.n_gt for c in result.classes)),
        "n_pred": _num(sum(c.n_pred for c in result.classes)),
        "tp": _num(int(s["tp"])), "fp": _num(int(s["fp"])), "fn": _num(int(s["fn"])),
        "precision": _num(s["precision"]), "recall": _num(s["recall"]), "f1": _num(s["f1"]),
        "iou": _num(s["mIoU"]), "dice": _num(s["mDice"]), "boundary_f": _num(s["mBoundaryF"]),
        "matched_iou": _num(s["matched_iou"]), "agreement": _num(s["mean_agreement"]),
        "ap": _num(s.get("AP")), "ap50": _num(s.get("AP50")), "ap75": _num(s.get("AP75")),
        "ar100": _num(s.get("AR100")),
    }]
    for c in result.classes:
        rows.append({
            "scope": "class", "category": c.name, "n_gt": _num(c.n_gt), "n_pred": _num(c.n_pred),
            "tp": _num(c.tp), "fp": _num(c.fp), "fn": _num(c.fn), "precision": _num(c.precision),
            "recall": _num(c.recall), "f1": _num(c.f1), "iou": _num(c.iou), "dice": _num(c.dice),
            "boundary_f": _num(c.boundary_f), "matched_iou": _num(c.matched_iou),
            "ap": _num(c.ap), "ap50": _num(c.ap50), "ap75": _num(c.ap75), "ar100": _num(c.ar100),
        })
    for im in result.images:
        p = im.tp / (im.tp + im.fp) if im.tp + im.fp else float("nan")
        r = im.tp / (im.tp + im.fn) if im.tp + im.fn else float("nan")
        f = 2 * im.tp / (2 * im.tp + im.fp + im.fn) if im.tp + im.fp + im.fn else float("nan")
        rows.append({
            "scope": "image", "image_id": str(im.image_id), "frame": str(im.frame), "image": im.name,
            "n_gt": _num(im.n_gt), "n_pred": _num(im.n_pred), "tp": _num(im.tp), "fp": _num(im.fp),
            "fn": _num(im.fn), "precision": _num(p), "recall": _num(r), "f1": _num(f),
            "iou": _num(im.iou), "dice": _num(im.dice), "boundary_f": _num(im.boundary_f),
            "matched_iou": _num(im.mean_matched_iou), "agreement": _num(im.agreement),
            "uncertainty": _num(im.uncertainty),
        })
    return rows


def write_csv(result: EvalResult, path: str | Path) -> None:
    _atomic_write(Path(path), _csv_text(result))


def _csv_text(result: EvalResult) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, restval="", lineterminator="\n")
    w.writeheader()
    w.writerows(csv_rows(result))
    return buf.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OSError(f"{path}: cannot write ({e.strerror})") from None


def _fmt(v: float | None) -> str:
    if v is None or (isinstance(v, float) and (math.isnan(v) or v < 0)):
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def present_classes(result: EvalResult) -> list[int]:
    """Indices of the classes that occur in either set (charts leave the others out)."""
    cm = result.confusion
    return [k for k, c in enumerate(result.classes)
            if c.n_gt or c.n_pred or cm[k + 1].any() or cm[:, k + 1].any()]


def html_report(result: EvalResult, title: str = "SegStudio evaluation", worst: int = 25) -> str:
    s = result.summary()
    o = result.options
    shown = present_classes(result)
    classes = [result.classes[k] for k in shown]
    names = [c.name for c in classes]
    keep = [0] + [k + 1 for k in shown]
    charts = [
        svg.bar_chart(names, [c.iou for c in classes], "Per-class IoU (pixels)"),
        svg.bar_chart(names, [c.boundary_f for c in classes], "Per-class boundary F", "#2a9d6f"),
        svg.heatmap(result.confusion[np.ix_(keep, keep)], [result.confusion_labels[k] for k in keep],
                    "Semantic confusion matrix"),
    ]
    if result.has_scores:
        charts.append(svg.histogram([
            ("TP", result.tp_scores, "#2a9d6f"), ("FP", result.fp_scores, "#d83b3b"),
            (f"below {o.score_threshold:g}", result.low_scores, "#aaaaaa"),
        ], "Prediction scores"))
    if result.coco is not None and result.coco.precision.shape[2]:
        pr = result.coco.precision[0, :, :, 0, -1]
        pr = np.where(pr > -1, pr, np.nan)
        if np.isfinite(pr).any():
            charts.append(svg.pr_curve(result.coco.params.recall_thresholds, np.nanmean(pr, axis=1), "PR at IoU 0.5 (mean over classes)"))
    summary_rows = [[k, _fmt(v) if not float(v).is_integer() or k.startswith(("A", "m")) else str(int(v))] for k, v in s.items()]
    class_rows = [[c.name, str(c.n_gt), str(c.n_pred), str(c.tp), str(c.fp), str(c.fn), _fmt(c.precision),
                   _fmt(c.recall), _fmt(c.f1), _fmt(c.iou), _fmt(c.dice), _fmt(c.boundary_f),
                   _fmt(c.matched_iou), _fmt(c.ap), _fmt(c.ap50)] for c in result.classes]
    worst_imgs = sorted(result.images, key=lambda i: i.agreement)[:worst]
    image_rows = [[i.name, str(i.tp), str(i.fp), str(i.fn), _fmt(i.agreement), _fmt(i.iou),
                   _fmt(i.boundary_f), _fmt(i.uncertainty)] for i in worst_imgs]
    ap_note = "" if result.has_scores else "<p class=note>The predictions carry no scores: AP ranks them in file order.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse;margin:8px 0 20px}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right}}td:first-child,th:first-child{{text-align:left}}
th{{background:#f3f3f3}}.charts{{display:flex;flex-wrap:wrap;gap:24px}}.note{{color:#666}}</style></head><body>
<h1>{escape(title)}</h1>
<p>Ground truth <b>{escape(result.gt_name)}</b> vs prediction <b>{escape(result.pred_name)}</b>;
{len(result.images)} images; matching IoU &ge; {o.iou_threshold:g} ({'per class' if o.per_class else 'class-agnostic'}),
score &ge; {o.score_threshold:g}, boundary tolerance {o.boundary_tolerance} px.
Generated by SegStudio {escape(__version__)} on {time.strftime('%Y-%m-%d %H:%M')}.</p>
{ap_note}
<h2>Summary</h2>{_table(['metric', 'value'], summary_rows)}
<h2>Charts</h2><div class="charts">{''.join(charts)}</div>
<h2>Per class</h2>{_table(['class', 'GT', 'pred', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1', 'IoU', 'Dice', 'boundary F', 'matched IoU', 'AP', 'AP50'], class_rows)}
<h2>Images with the most disagreement</h2>{_table(['image', 'TP', 'FP', 'FN', 'agreement', 'IoU', 'boundary F', 'uncertainty'], image_rows)}
</body></html>
"""


def write_html(result: EvalResult, path: str | Path, title: str = "SegStudio evaluation") -> None:
    _atomic_write(Path(path), html_report(result, title))
