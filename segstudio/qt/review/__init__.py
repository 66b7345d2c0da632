"""Review mode: prediction vs ground truth on the canvas, the disagreement queue, the dashboard."""
