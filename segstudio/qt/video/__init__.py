"""GUI of the video feature: timeline, transport, tracks, propagation and interpolation."""
