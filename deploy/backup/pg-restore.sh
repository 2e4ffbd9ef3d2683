#!/usr/bin/env bash
# Restore a dump made by pg-backup.sh into a database (a fresh one, or an existing one whose
# objects are dropped and recreated: --clean --if-exists). Stops at the first error.
#
#   deploy/backup/pg-restore.sh DUMP_FILE DATABASE_URL
#
# The target server needs the extensions the dump uses (pgvector for Phiacta). Afterwards
# `alembic current` (deploy/alembic/<service>.ini) shows the revision the dump was taken at;
# `alembic upgrade head` brings it to the running release.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 DUMP_FILE DATABASE_URL" >&2
  exit 2
fi
dump="$1"
if [[ ! -f "$dump" ]]; then
  echo "$0: no dump file at $dump" >&2
  exit 1
fi
url="$(printf '%s' "$2" | sed -E 's#^postgres(ql)?(\+[A-Za-z0-9_]+)?://#postgresql://#')"
pg_restore="${PG_BIN:+$PG_BIN/}pg_restore"

"$pg_restore" --clean --if-exists --no-owner --no-privileges --exit-on-error \
  --single-transaction --dbname="$url" "$dump"
