"""Background removal: soft alpha, edge refinement, colour decontamination, cutout export (Qt-free)."""
