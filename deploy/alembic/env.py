"""Alembic's entry point for ``alembic upgrade head`` in the images (the guides' command).

Each service keeps its migrations in its package (``<package>/migrations``); the per-service
``<service>.ini`` beside this file points ``version_locations`` there and names the package. This
environment only adds what the Alembic CLI lacks: the database URL comes from ``DATABASE_URL``, as
everywhere else in the suite, and never from a file. Then the service's own ``env.py`` runs.
"""

import os
import runpy

from alembic import context

url = os.environ.get("DATABASE_URL", "").strip()
if not url:
    raise SystemExit("DATABASE_URL is not set: it names the database to migrate")
# ConfigParser interpolates `%`; encoded passwords contain it.
context.config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
runpy.run_module(f"{context.config.get_main_option('service_package')}.migrations.env")
