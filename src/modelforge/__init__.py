"""ModelForge: registry and serving of ONNX models, with a prediction cache and async jobs."""
