"""URLs of a service's own routes that stay right wherever the service is mounted.

Starlette's ``request.url_for`` resolves route names from the outermost application. Under
``suite up`` every service is mounted, by name, under ``/<service>``: from there a service's
route names are not found (they would need the ``<mount name>:`` prefix, which a service cannot
know), and with unnamed mounts they could resolve to another service's route of the same name.
Resolving the name in the application that handles the request (``request.app``, the service)
and prefixing the request's ``root_path`` (the server's root path plus every mount prefix above
the service) gives the same answer standalone, mounted, or behind a proxy's root path.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request


def url_path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of the route ``name`` of the service handling ``request``, mount prefix included.

    Only the path is returned, no scheme or host: it follows the page's own origin, so it is
    right behind a TLS-terminating proxy that does not forward the scheme (where an absolute
    ``http://`` URL would be blocked as mixed content). Call it from routes of the service app
    itself (included routers count); the app that renders must be the app that has the route.
    """
    return request.scope.get("root_path", "") + request.app.url_path_for(name, **path_params)
