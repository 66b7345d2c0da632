"""Imported by the worker pool's fork server (`parallel.JIT_PRELOAD`): loads the compiled
polygon kernels there, so every worker forks with them ready (~0.4 s once, not per worker)."""

from segstudio.io import polygon_jit

polygon_jit.warm()
