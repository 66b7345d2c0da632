"""Qt-free model layer: the only place torch and onnxruntime are imported (lazily)."""
