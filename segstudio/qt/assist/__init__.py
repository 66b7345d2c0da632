"""AI assistance in the GUI: model picker, click/box prompt tools with live proposals,
pre-label of the current image and batch pre-label of the project (see docs/models.md)."""
