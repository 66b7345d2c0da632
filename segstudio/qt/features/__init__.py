"""GUI feature modules; each defines install(window). Discovered by the main window."""
