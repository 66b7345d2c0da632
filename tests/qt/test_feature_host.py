"""Features use the main window through `FeatureHost` (segstudio.qt.context): the window provides
all of it, installed features are found in `window.features`, and no feature probes the window
with getattr/hasattr or reads its private state."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from segstudio.qt.context import FeatureHost, Features
from tests.qt.conftest import close_full_window, make_full_window

QT = Path(__file__).resolve().parents[2] / "segstudio" / "qt"


def _members(proto: type) -> dict[str, bool]:
    """name -> is it a method, for every member the protocol declares."""
    out = {name: False for name in inspect.get_annotations(proto)}
    out.update({name: True for name, v in vars(proto).items() if inspect.isfunction(v) and not name.startswith("_")})
    return out


def test_the_window_provides_the_feature_host_and_finds_its_features(qtbot):
    w = make_full_window(qtbot)
    try:
        missing = [n for n in _members(FeatureHost) if not hasattr(w, n)]
        assert missing == []
        not_callable = [n for n, method in _members(FeatureHost).items() if method and not callable(getattr(w, n))]
        assert not_callable == []
        assert isinstance(w.features, Features)
        assert all(getattr(w.features, name) is not None for name in inspect.get_annotations(Features))
    finally:
        close_full_window(w)


def test_no_feature_probes_the_window():
    probe = re.compile(r"\b(getattr|hasattr)\((self\.)?(window|w)\b|\b(window|w)\._[a-z]")
    found = [f"{p.relative_to(QT)}:{n}: {line.strip()}" for p in QT.rglob("*.py") if p.name != "main_window.py"
             for n, line in enumerate(p.read_text("utf-8").splitlines(), 1) if probe.search(line)]
    assert found == []
