"""Entry point of the PyInstaller desktop bundle.

Normally it is the `segstudio` command (no arguments opens the app). Two extra switches exist
only in the bundle:

* `--bundle-smoke-test [--image N]`: start the GUI offscreen, open the sample project in the real
  main window, run the built-in salient-object model on one sample image inside this process
  (torch, its native libraries and the weights shipped in the bundle), check the mask, exit 0.
  `packaging/build_bundle.sh` runs it after every build.
* `--bundle-info`: print where the bundle keeps its resources (for bug reports).

`multiprocessing.freeze_support()` comes first so that worker processes (training runs in a
separate process) start correctly from a frozen executable.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time


def _smoke_test(image_index: int = 0) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    from PySide6.QtWidgets import QApplication

    from segstudio.io.images import load_image
    from segstudio.qt.main_window import MainWindow
    from segstudio.store import Project
    from segstudio.store.sample import ensure_sample_project

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SegStudio")
    root = ensure_sample_project()
    window = MainWindow()
    window.open_project(root)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    shown = time.perf_counter() - t0
    if "torch" in sys.modules:
        print("smoke: FAIL torch was imported before the first model use", file=sys.stderr)
        return 1

    with Project.open(root) as project:
        records = project.images()
        if len(records) <= image_index:
            print(f"smoke: FAIL the sample project has {len(records)} images", file=sys.stderr)
            return 1
        record = records[image_index]
        rgb = load_image(project.image_path(record)).rgb8()

    mask, model_id = _run_builtin_model(rgb)
    area = float(mask.mean())
    window.close()
    app.processEvents()
    print(
        f"smoke: OK window shown in {shown:.2f} s; {len(records)} sample images; model {model_id} on "
        f"{record.path} ({rgb.shape[1]}x{rgb.shape[0]}): foreground {area:.1%}; "
        f"total {time.perf_counter() - t0:.2f} s"
    )
    if not 0.005 < area < 0.95:
        print("smoke: FAIL the built-in model found no plausible foreground", file=sys.stderr)
        return 1
    return 0


def _run_builtin_model(rgb):
    """The built-in salient-object model on one RGB image -> (bool mask, model id).

    Through the model registry (card discovery in the frozen resources, then the adapter) when
    the registry exists; the U²-Netp adapter directly otherwise."""
    import numpy as np

    try:
        from segstudio.inference import registry
    except ModuleNotFoundError:
        from segstudio.inference.u2net import SalientSegmenter

        model = SalientSegmenter()
        return model.saliency(rgb) >= 0.5, model.model_id
    cards, problems = registry.discover()
    for problem in problems:
        print(f"smoke: warning: {problem}", file=sys.stderr)
    card = next((c for c in cards if c.kind == "salient"), None)
    if card is None:
        raise SystemExit(f"smoke: FAIL no built-in salient model card among {[c.id for c in cards]}")
    result = registry.load(card).segment(rgb)
    mask = np.zeros(rgb.shape[:2], bool)
    for det in result.instances:
        mask |= det.mask.to_full()
    return mask, card.id


def _bundle_info() -> int:
    import segstudio

    print(f"SegStudio {segstudio.__version__}")
    print(f"executable: {sys.executable}")
    print(f"frozen: {getattr(sys, 'frozen', False)}; bundle dir: {getattr(sys, '_MEIPASS', '-')}")
    print(f"package: {os.path.dirname(segstudio.__file__)}")
    return 0


def main() -> int:
    multiprocessing.freeze_support()
    # A windowed executable (SegStudio.exe, the macOS .app) has no console: sys.stdout/stderr are
    # None and any print() would raise. Send them to the null device; the app log keeps records.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    args = sys.argv[1:]
    if args[:1] == ["--bundle-smoke-test"]:
        index = int(args[2]) if args[1:2] == ["--image"] and len(args) > 2 else 0
        return _smoke_test(index)
    if args[:1] == ["--bundle-info"]:
        return _bundle_info()
    from segstudio.cli.main import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
