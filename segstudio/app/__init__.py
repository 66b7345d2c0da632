"""Qt-free application state the GUI drives: what a window holds open (images, documents,
their histories).  Above every model and data layer, below the GUI."""
