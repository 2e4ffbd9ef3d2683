"""What a credential may do. A signed-in user holds every scope; an API token holds those it
was created with. ``admin`` on a token counts only while its owner is an admin."""

from __future__ import annotations

READ = "read"  # see models, versions, aliases, predictions, jobs
WRITE = "write"  # create, change, upload, validate and delete models
PREDICT = "predict"  # run predictions and jobs
ADMIN = "admin"  # cache metrics and reset, Celery detail

ALL = (READ, WRITE, PREDICT, ADMIN)
USER_SCOPES = (READ, WRITE, PREDICT)
