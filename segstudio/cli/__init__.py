"""Headless command-line interface (no Qt).  Each command lives in `segstudio/cli/commands/`."""
