"""Qt-free, torch-free file formats: images and annotation codecs."""
