"""Inference core: input decoding, ONNX sessions, the prediction cache and OIP v2 shapes.

Takes plain values (model id, version, file path and sha256, stored schemas) so that the API and
the job worker can both use it without this package knowing the registry's tables.
"""
