"""The composition root: the ``suite`` CLI and ``suite up``; the only package that knows all services."""
