"""Qt-free, torch-free domain model: masks, geometry, instances, documents, history."""
