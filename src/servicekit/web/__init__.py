"""The web base shared by the five service UIs: templates, vendored static assets, and helpers.

A service wires its UI with::

    templates = make_templates(Path(__file__).parent / "templates")
    mount_static(app)

and its pages ``{% extends "base.html" %}``. In templates, ``url_for`` and ``kit_static`` give
paths that include the service's mount prefix; in Python, ``url_path_for(request, name)`` does.
``templates/base.html`` lists its blocks and the context it understands; ``static/kit.js``
describes the ``data-markdown`` attribute and the toasts shown for failed htmx requests.
"""

from servicekit.web.static_files import (
    KIT_STATIC_DIR,
    KIT_STATIC_MOUNT_PATH,
    KIT_STATIC_ROUTE,
    mount_static,
)
from servicekit.web.templating import KIT_TEMPLATE_DIR, make_templates
from servicekit.web.urls import url_path_for

__all__ = [
    "KIT_STATIC_DIR",
    "KIT_STATIC_MOUNT_PATH",
    "KIT_STATIC_ROUTE",
    "KIT_TEMPLATE_DIR",
    "make_templates",
    "mount_static",
    "url_path_for",
]
