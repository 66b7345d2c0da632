"""Small self-contained SVG charts for the HTML report (no plotting library)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

FONT = 'font-family="sans-serif" font-size="11"'


def _svg(w: int, h: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, color: str = "#3b7dd8") -> str:
    """Horizontal bars of values in [0, 1] (NaN shown as 'n/a')."""
    row, left, width = 20, 140, 300
    h = 30 + row * len(labels)
    body = [f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    for k, (lab, v) in enumerate(zip(labels, values)):
        y = 24 + k * row
        body.append(f'<text x="{left - 6}" y="{y + 13}" {FONT} text-anchor="end">{escape(lab[:22])}</text>')
        body.append(f'<rect x="{left}" y="{y + 2}" width="{width}" height="{row - 6}" fill="#eee"/>')
        if v is None or math.isnan(v):
            body.append(f'<text x="{left + 4}" y="{y + 13}" {FONT} fill="#888">n/a</text>')
            continue
        bw = max(0.0, min(1.0, float(v))) * width
        body.append(f'<rect x="{left}" y="{y + 2}" width="{bw:.1f}" height="{row - 6}" fill="{color}"/>')
        body.append(f'<text x="{left + width + 6}" y="{y + 13}" {FONT}>{v:.3f}</text>')
    return _svg(left + width + 60, h, body, title)


def heat_color(t: float) -> str:
    """White to dark blue."""
    t = max(0.0, min(1.0, t))
    r = int(255 - 215 * t)
    g = int(255 - 170 * t)
    b = int(255 - 75 * t)
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(matrix: np.ndarray, labels: Sequence[str], title: str) -> str:
    """Row-normalised confusion heatmap (rows: ground truth, columns: prediction)."""
    n = len(labels)
    cell, left, top = max(18, min(40, 480 // max(n, 1))), 110, 110
    m = np.asarray(matrix, np.float64)
    rows = m.sum(axis=1, keepdims=True)
    norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    body = [f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    for j, lab in enumerate(labels):
        x = left + j * cell + cell / 2
        body.append(f'<text x="{x:.1f}" y="{top - 6}" {FONT} transform="rotate(-60 {x:.1f} {top - 6})">{escape(lab[:16])}</text>')
    for i, lab in enumerate(labels):
        y = top + i * cell
        body.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" {FONT} text-anchor="end">{escape(lab[:16])}</text>')
        for j in range(n):
            t = norm[i, j]
            body.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell}" height="{cell}" fill="{heat_color(t)}" stroke="#fff">'
                f"<title>{escape(labels[i])} -> {escape(labels[j])}: {int(m[i, j])} px ({t:.1%})</title></rect>"
            )
    body.append(f'<text x="{left}" y="{top + n * cell + 16}" {FONT} fill="#555">rows: ground truth, columns: prediction (row-normalised)</text>')
    return _svg(left + n * cell + 20, top + n * cell + 24, body, title)


def histogram(series: Sequence[tuple[str, np.ndarray, str]], title: str, bins: int = 20) -> str:
    """Stacked score histogram over [0, 1] for named series (label, values, colour)."""
    w, h, left, bottom = 420, 200, 40, 30
    edges = np.linspace(0, 1, bins + 1)
    counts = [np.histogram(np.clip(v, 0, 1), edges)[0] if len(v) else np.zeros(bins, int) for _, v, _ in series]
    total = np.sum(counts, axis=0) if counts else np.zeros(bins)
    top = max(1, int(total.max()) if total.size else 1)
    pw, ph = w - left - 10, h - bottom - 30
    body = [f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>']
    base = np.zeros(bins)
    for (label, _, color), c in zip(series, counts):
        for b in range(bins):
            if c[b]:
                x = left + b * pw / bins
                y1 = 24 + ph - (base[b] + c[b]) / top * ph
                bh = c[b] / top * ph
                body.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{pw / bins - 1:.1f}" height="{bh:.1f}" fill="{color}"><title>{escape(label)} {edges[b]:.2f}-{edges[b + 1]:.2f}: {int(c[b])}</title></rect>')
        base += c
    body.append(f'<line x1="{left}" y1="{24 + ph}" x2="{left + pw}" y2="{24 + ph}" stroke="#333"/>')
    for t in (0, 0.5, 1):
        body.append(f'<text x="{left + t * pw:.1f}" y="{24 + ph + 14}" {FONT} text-anchor="middle">{t:g}</text>')
    body.append(f'<text x="{left - 4}" y="30" {FONT} text-anchor="end">{top}</text>')
    lx = left
    for label, _, color in series:
        body.append(f'<rect x="{lx}" y="{h - 10}" width="10" height="8" fill="{color}"/>')
        body.append(f'<text x="{lx + 14}" y="{h - 2}" {FONT}>{escape(label)}</text>')
        lx += 16 + 7 * len(label)
    return _svg(w, h, body, title)


def pr_curve(recall: np.ndarray, precision: np.ndarray, title: str) -> str:
    """A precision-recall curve (COCO's 101-point interpolated precision)."""
    w, h, left, bottom = 300, 240, 40, 30
    pw, ph = w - left - 10, h - bottom - 30
    pts = " ".join(f"{left + r * pw:.1f},{24 + ph - max(p, 0) * ph:.1f}" for r, p in zip(recall, precision))
    body = [
        f'<text x="4" y="14" {FONT} font-weight="bold">{escape(title)}</text>',
        f'<rect x="{left}" y="24" width="{pw}" height="{ph}" fill="none" stroke="#ccc"/>',
        f'<polyline points="{pts}" fill="none" stroke="#d83b3b" stroke-width="2"/>',
        f'<text x="{left + pw / 2}" y="{h - 6}" {FONT} text-anchor="middle">recall</text>',
        f'<text x="12" y="{24 + ph / 2}" {FONT} transform="rotate(-90 12 {24 + ph / 2})" text-anchor="middle">precision</text>',
    ]
    return _svg(w, h, body, title)
