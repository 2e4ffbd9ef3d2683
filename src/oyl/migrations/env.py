from oyl.models import Base
from servicekit.db import run_alembic_env

run_alembic_env(Base.metadata)
