"""The composition root: the ``suite`` CLI and ``suite up``.

The only package that knows all the services (through their entry points).
"""
