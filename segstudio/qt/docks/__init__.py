"""Dock widgets of the main window (each shows one slice of project/document state)."""
