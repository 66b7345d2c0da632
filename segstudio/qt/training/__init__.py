"""Training GUI: the training dialog with live curves, and the scribble classifier panel."""
