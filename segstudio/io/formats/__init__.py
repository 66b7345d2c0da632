"""Annotation formats, one module each; see `segstudio.io.registry` for how to add one."""
