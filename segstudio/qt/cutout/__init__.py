"""Background removal GUI: the dock, its controller and the batch dialog."""
