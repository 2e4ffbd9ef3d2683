"""The extension SDK (spec §8.1): a Python client for the API, the input- and output-extension
base classes and their data classes, and one real extension of each kind (Markdown notes in,
hybrid search out). It talks to the backend
over HTTP only, like any extension, and imports nothing of the server."""
