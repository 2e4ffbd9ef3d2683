"""The extension SDK (spec §8.1): a Python client for the API, the input-extension base class
and its data classes, and one real input extension (Markdown notes). It talks to the backend
over HTTP only, like any extension, and imports nothing of the server."""
