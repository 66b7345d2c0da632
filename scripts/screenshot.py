"""Render the real main window, with an annotated sample image, to a PNG (offscreen).

    .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png] [--size 1920x1080]

The annotations are made here from the bundled sample images with OpenCV's
GrabCut (person, helmet) and simple shapes (badge), in a throw-away copy of the
sample project, so the picture shows what a user sees mid-task: instances in
their category colours, a selected instance, a model proposal awaiting
Enter/Esc, the image list with statuses, and the instance list.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def _grabcut(img: np.ndarray, prior: np.ndarray) -> np.ndarray:
    mask = np.where(prior, cv2.GC_PR_FGD, cv2.GC_BGD).astype(np.uint8)
    bg, fg = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.grabCut(img, mask, None, bg, fg, 6, cv2.GC_INIT_WITH_MASK)
    return (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)


def _poly(shape, pts) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.array(pts, np.int32)], 1)
    return m.astype(bool)


def _ellipse(shape, c, r) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.ellipse(m, c, r, 0, 0, 360, 1, -1)
    return m.astype(bool)


def annotate(project_root: Path) -> tuple[int, np.ndarray]:
    """Instances on astronaut.jpg (and a little on the others); returns its id and a proposal mask."""
    from segstudio.core.instance import Instance
    from segstudio.core.masks import MaskPatch
    from segstudio.store import Project

    with Project.open(project_root) as p:
        cats = {c.name: c.id for c in p.categories()}
        for name, color in (("helmet", (150, 90, 255)), ("badge", (40, 200, 170)), ("rocket", (120, 220, 60))):
            cats[name] = p.add_category(name, color).id
        recs = {r.name: r for r in p.images()}
        astro = recs["astronaut.jpg"]
        img = cv2.imread(str(p.image_path(astro)))
        shape = img.shape[:2]
        person = _grabcut(img, _poly(shape, [(150, 10), (310, 10), (330, 150), (360, 300), (380, 512), (20, 512), (40, 300), (110, 160)]))
        helmet = _grabcut(img, _ellipse(shape, (400, 445), (120, 95)))
        badge = _ellipse(shape, (172, 386), (40, 40))
        tank = _grabcut(img, _poly(shape, [(400, 0), (440, 0), (480, 250), (470, 330), (350, 330), (370, 200)]))
        person &= ~helmet & ~badge  # exclusive: each pixel belongs to one object
        insts = [
            Instance(1, cats["person"], MaskPatch.from_full(person)),
            Instance(2, cats["helmet"], MaskPatch.from_full(helmet), source="model", score=0.94),
            Instance(3, cats["badge"], MaskPatch.from_full(badge), attributes={"shape": "round"}),
        ]
        p.replace_instances(astro.id, insts)
        p.set_status(astro.id, "in_progress")
        cat_img = cv2.imread(str(p.image_path(recs["chelsea.jpg"])))
        cat = _grabcut(cat_img, _ellipse(cat_img.shape[:2], (230, 160), (190, 140)))
        p.replace_instances(recs["chelsea.jpg"].id, [Instance(1, cats["cat"], MaskPatch.from_full(cat))])
        p.set_status(recs["chelsea.jpg"].id, "done")
        p.set_status(recs["coffee.jpg"].id, "in_review")
        return astro.id, tank


def render(out: Path, size: tuple[int, int]) -> Path:
    from PySide6.QtWidgets import QApplication

    from segstudio.core.masks import MaskPatch
    from segstudio.core.proposal import Proposal
    from segstudio.qt.main_window import MainWindow
    from segstudio.qt.theme import apply_dark_theme
    from segstudio.store.sample import ensure_sample_project

    tmp = Path(tempfile.mkdtemp(prefix="segstudio-shot-"))
    os.environ["SEGSTUDIO_SETTINGS"] = str(tmp / "settings.ini")
    root = ensure_sample_project(tmp / "sample-project")
    image_id, tank = annotate(root)
    app = QApplication.instance() or QApplication([])
    apply_dark_theme(app)
    w = MainWindow(install_features=True)
    w.resize(*size)
    w.show()
    app.processEvents()
    w.open_project(root)
    w.go_to_image(image_id)
    w.set_tool("brush")
    w.select_instances([2])
    doc = w.current_document()
    doc.set_proposal(Proposal(MaskPatch.from_full(tank), score=0.88, category_id=None, model_id="sample-model"))
    w.categories_panel.set_current(next(c.id for c in w.project.categories() if c.name == "rocket"))
    for _ in range(5):
        app.processEvents()
    w.canvas.fit()
    # Put the brush cursor on the image, as when painting.
    from segstudio.core.tools import Buttons, Mods

    w.canvas.tool.move(250.0, 300.0, Buttons.NONE, Mods.NONE)
    w.status("Proposal from sample-model: Enter accepts, Esc discards", 60000)
    app.processEvents()
    out.parent.mkdir(parents=True, exist_ok=True)
    w.grab().save(str(out))
    w.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--size", default="1920x1080", help="window size, WxH")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    print(render(args.out, (w, h)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
