"""Fine-tuning templates and the training loop (Qt-free; torch imported lazily)."""
