"""ModelForge: registry and serving of ONNX models, with a prediction cache and async jobs."""

__version__ = "1.0.0"
