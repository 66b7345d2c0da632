"""Training GUI: the Training panel with live curves, and the scribble classifier panel."""
