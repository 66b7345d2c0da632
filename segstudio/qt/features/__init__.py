"""GUI feature modules; each defines install(window). Discovered by the main window.

`install_all(window)` imports every module of this package in name order and calls
its `install(window)`; a feature that fails to import or install is logged and
skipped, never fatal (the rest of the app keeps working).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

log = logging.getLogger(__name__)


def discover() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def install_all(window: Any, names: list[str] | None = None) -> dict[str, str | None]:
    """{feature name: None if installed, else the error text}."""
    results: dict[str, str | None] = {}
    for name in discover() if names is None else names:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
            install = getattr(module, "install", None)
            if install is None:
                raise AttributeError(f"{name} defines no install(window)")
            install(window)
        except Exception as e:  # a broken feature must not take the window down
            log.exception("feature %s failed to install", name)
            results[name] = f"{type(e).__name__}: {e}"
        else:
            results[name] = None
    return results
