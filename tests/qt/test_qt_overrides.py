"""No class of ours hides a Qt method behind a non-callable attribute.

`self.shape = (h, w)` on a QGraphicsItem hid QGraphicsItem.shape(), which Qt calls for hover and
tooltips: every rest of the mouse on the canvas raised "'tuple' object is not callable" into an
error dialog.  Two scans: the source of every Qt subclass in segstudio.qt (assignments to
`self.<name>` and class attributes), and the live objects of a window with every feature.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import textwrap

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QGraphicsItem

import segstudio.qt

# Names that hide a *non-virtual* Qt method on purpose (Qt never calls them through Python).
ALLOWED = {
    ("MainWindow", "actions"): "public dict of the window's QActions (docs/canvas.md); QWidget.actions() is not virtual",
}


def _qt_method_names(cls: type) -> set[str]:
    names: set[str] = set()
    for base in cls.__mro__:
        if base.__module__.startswith(("PySide6", "shiboken6")):
            names |= {n for n, v in vars(base).items() if callable(v) and not n.startswith("__")}
    return names


def _our_qt_classes() -> list[type]:
    classes = []
    for info in pkgutil.walk_packages(segstudio.qt.__path__, "segstudio.qt."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__ and issubclass(cls, (QObject, QGraphicsItem)):
                classes.append(cls)
    return classes


def _self_assignments(cls: type) -> list[tuple[str, int]]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    found.append((t.attr, node.lineno))
    return found


def test_no_source_assignment_hides_a_qt_method():
    classes = _our_qt_classes()
    assert len(classes) > 30  # the scan really saw the GUI
    bad = []
    for cls in classes:
        qt_names = _qt_method_names(cls)
        for name, line in _self_assignments(cls):
            if name in qt_names and (cls.__name__, name) not in ALLOWED:
                bad.append(f"{cls.__module__}.{cls.__name__}: self.{name} = ... (line {line} of the class) hides Qt's {name}()")
        for name, value in vars(cls).items():
            if name in qt_names and not callable(value) and not isinstance(value, (property, staticmethod, classmethod)):
                bad.append(f"{cls.__module__}.{cls.__name__}.{name} (class attribute) hides Qt's {name}()")
    assert not bad, "\n".join(bad)


def test_no_live_object_hides_a_qt_method(full_window):
    w = full_window
    objects: list[object] = [w, *w.findChildren(QObject), *w.canvas.scene().items()]
    bad = []
    for obj in objects:
        if not type(obj).__module__.startswith("segstudio"):
            continue
        attrs = getattr(obj, "__dict__", {})
        qt_names = _qt_method_names(type(obj))
        for name, value in attrs.items():
            if name in qt_names and not callable(value) and (type(obj).__name__, name) not in ALLOWED:
                bad.append(f"{type(obj).__name__}.{name} = {type(value).__name__} hides Qt's {name}()")
    assert len(objects) > 100
    assert not bad, "\n".join(sorted(set(bad)))
