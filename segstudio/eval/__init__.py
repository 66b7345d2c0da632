"""Metrics and comparison of label sets (Qt-free, torch-free)."""
