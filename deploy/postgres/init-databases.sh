#!/bin/sh
# First start of the compose PostgreSQL: one database per service (each owns its own schema and
# Alembic history). The pgvector extension is created by Phiacta's first migration.
set -eu
for database in galileo_arena modelforge phiacta curiouscore oyl_db; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE $database OWNER \"$POSTGRES_USER\""
done
