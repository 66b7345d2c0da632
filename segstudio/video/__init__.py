"""Video: streamed decoding, frame cache, tracks, propagation and interpolation (Qt-free)."""
