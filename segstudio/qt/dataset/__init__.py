"""The Dataset menu's dialogs: import, export, convert and validate with a progress dialog."""
