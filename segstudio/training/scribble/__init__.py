"""Live pixel classifier trained from a few scribbles (ilastik-style): per-pixel filter
features and gradient-boosted oblivious trees, numpy + OpenCV only (no torch)."""
