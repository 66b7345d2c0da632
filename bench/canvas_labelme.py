"""LabelMe side of the canvas benchmark; runs INSIDE a venv with labelme (PyQt5) installed.

Loads the LabelMe JSON written by canvas_data.py (image + polygons), puts labelme's
own Canvas widget in a QScrollArea with a 1920x1080 viewport (as labelme's app does),
colours the shapes per label like the app, then serves paint rounds so that the caller
can interleave them with its own (A, B, A, B, ...): it prints one JSON line when loaded,
then for each stdin line `paint SCALE REPEATS` one JSON line
{"scale", "ms": [wall per repaint], "cpu_ms": [process CPU per repaint]}; `quit` ends it.

    /tmp/labelme/venv/bin/python bench/canvas_labelme.py bench_8000_1000.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("json_path")
    args = ap.parse_args()

    from labelme._shape import Shape
    from labelme.widgets.canvas import Canvas
    from PyQt5 import QtCore, QtGui, QtWidgets

    app = QtWidgets.QApplication([])
    doc = json.loads(Path(args.json_path).read_text())
    t0 = time.perf_counter()
    pixmap = QtGui.QPixmap(str(Path(args.json_path).parent / doc["imagePath"]))
    labels = sorted({s["label"] for s in doc["shapes"]})
    colours = {lab: QtGui.QColor.fromHsv(int(360 * k / max(1, len(labels))), 200, 230) for k, lab in enumerate(labels)}
    shapes = []
    for s in doc["shapes"]:
        shape = Shape(label=s["label"], shape_type=s["shape_type"])
        for x, y in s["points"]:
            shape.add_point(QtCore.QPointF(x, y))
        shape.close()
        c = colours[s["label"]]
        shape.line_color = QtGui.QColor(c)
        shape.vertex_fill_color = QtGui.QColor(c)
        shape.fill_color = QtGui.QColor(c.red(), c.green(), c.blue(), 128)
        shapes.append(shape)
    canvas = Canvas(epsilon=10.0, double_click="close", num_backups=10)
    canvas.load_pixmap(pixmap)
    canvas.load_shapes(shapes)
    load_s = time.perf_counter() - t0
    area = QtWidgets.QScrollArea()
    area.setWidget(canvas)
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.NoFrame)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
    area.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
    area.resize(1920, 1080)
    area.show()
    app.processEvents()
    print(json.dumps({"labelme_load_s": round(load_s, 3), "viewport": [area.viewport().width(),
                      area.viewport().height()], "shapes": len(shapes)}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        scale, repeats = float(cmd[1]), int(cmd[2])
        canvas.scale = scale
        canvas.adjustSize()
        canvas.update()
        app.processEvents()
        area.horizontalScrollBar().setValue(area.horizontalScrollBar().maximum() // 2)
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum() // 2)
        app.processEvents()
        canvas.repaint()
        ms, cpu = [], []
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            canvas.repaint()
            ms.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        print(json.dumps({"scale": scale, "ms": ms, "cpu_ms": cpu}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
