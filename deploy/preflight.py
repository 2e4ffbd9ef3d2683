"""Check a service's configuration before its server or worker starts (the image's CMD).

``uvicorn --workers N`` imports the app only inside its worker processes and replaces a worker
that dies, so a service whose settings are invalid (``SECRET_KEY`` missing in production...)
would have its workers restarted forever while the container looks alive. Checked here first,
the container stops at once, non-zero, with the reason on one line per problem.

Besides each Settings class's own rules, production needs ``DATABASE_URL``: without it a service
would start the embedded PostgreSQL inside its container, which is for development only.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

from pydantic import ValidationError


def problems(package: str) -> list[str]:
    try:
        settings = import_module(f"{package}.config").Settings()
    except ValidationError as exc:
        found = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            found.append(f"{where}: {message}" if where else message)
        return found
    if settings.is_production and not getattr(settings, "database_url", None):
        return [
            "DATABASE_URL is required when ENVIRONMENT=production "
            "(the embedded PostgreSQL is for development only)"
        ]
    return []


def main() -> int:
    package = os.environ.get("SERVICE_PACKAGE", "")
    if not package:
        print("preflight: SERVICE_PACKAGE is not set", file=sys.stderr)
        return 2
    found = problems(package)
    for problem in found:
        print(f"{package}: refusing to start: {problem}", file=sys.stderr)
    return 2 if found else 0


if __name__ == "__main__":
    sys.exit(main())
