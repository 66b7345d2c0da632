"""Compiled kernels (numba, optional) for the polygon imports' two hot loops.

A 50,000-polygon CVAT file costs ~1 s of numpy in `polygon_blocks`: ~0.35 s reading the
coordinate texts with `float()` and printing their `repr`s for the drawn shapes, ~0.6 s drawing
the polygons with `core.coco_polygons` and encoding the store's box RLE.  Both are byte and
vertex loops; compiled, they take ~0.03 s and ~0.2 s.  numba is an optional dependency
(`pip install segstudio[fast]`, which `scripts/setup.sh` installs); without it, or with
SEGSTUDIO_NO_JIT=1, the numpy code runs and stores the same bytes (the tests compare them).

* `read_points`: "x,y;x,y;..." texts -> float64 values exactly as `float()` reads them and each
  value's `repr` as JSON.  Only plain decimals are taken (`-?(0|[1-9][0-9]*)(\\.[0-9]+)?`, at
  most 15 digits, none below 1e-4 but zero): such a number is m / 10^k with m < 2^53 and 10^k
  exact, so one IEEE division is correctly rounded -- `float()`'s value -- and its `repr` is its
  own digits without the fraction's trailing zeros (a decimal of <= 15 digits is the only one of
  <= 15 digits rounding to its double, so the shortest that reads back).  Anything else makes
  the whole block go to `float()`.
* `draw_rings`: the algorithm of `core.coco_polygons` (pycocotools' crossings of pixel-centre
  columns, the same double operations in the same order, so exactly pycocotools' mask on the
  whole image) for one-ring polygons, straight into the tight box, the canonical column-major
  RLE and pycocotools' compressed string.  A step along y that passes a column is estimated,
  then stepped to: the walk's u is monotonic in the step, so the first step past it is unique.

Compiling takes a few seconds once; numba caches the machine code beside this file (or in its
user cache folder), so later processes load it in ~0.1 s.  `kernels()` compiles or loads only
when asked (`load=True`): the worker pool's fork server asks, so workers fork with the code
loaded, and small imports in the parent never pay for it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import SimpleNamespace

import numpy as np

NO_JIT_ENV = "SEGSTUDIO_NO_JIT"

_kernels: SimpleNamespace | None = None
_broken = False  # numba is installed but failed to compile or load them: numpy from now on


def installed() -> bool:
    """numba can be imported (cheap: nothing is imported)."""
    return not _broken and ("numba" in sys.modules or importlib.util.find_spec("numba") is not None)


def enabled() -> bool:
    """Use the kernels: installed and not turned off (SEGSTUDIO_NO_JIT=1).  The process that
    plans the work decides; workers follow what each task says."""
    return os.environ.get(NO_JIT_ENV, "").strip() in ("", "0") and installed()


def kernels(load: bool = False) -> SimpleNamespace | None:
    """The compiled kernels; None when numba is not installed or they are not loaded in this
    process yet and `load` is False."""
    global _kernels, _broken
    if _kernels is None and load and installed():
        try:
            _kernels = _compile()
        except Exception:  # noqa: BLE001 - a broken numba install: the numpy code runs
            import logging

            logging.getLogger(__name__).warning("numba kernels unavailable; using numpy", exc_info=True)
            _broken = True
    return _kernels


def loaded(_: object = None) -> bool:
    """This process holds the compiled kernels (also a pool task, for checks)."""
    return _kernels is not None


def warm() -> None:
    """Compile or load the kernels now (the fork server's preload: workers inherit them)."""
    k = kernels(load=True)
    if k is not None:
        k.read_points(np.frombuffer(b"1,2;3,4;5,6", np.uint8), 1)
        k.draw_rings(np.array([1.0, 1.0, 3.0, 1.0, 2.0, 3.0]), np.array([0, 3], np.int64),
                     np.array([4], np.int64), np.array([4], np.int64))


def _compile() -> SimpleNamespace:
    from segstudio.io import _polygon_kernels as k

    return SimpleNamespace(read_points=k.read_points, draw_rings=k.draw_rings)
