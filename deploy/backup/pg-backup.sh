#!/usr/bin/env bash
# Dump one service's database in PostgreSQL's custom format (pg_dump -Fc): compressed, and
# restorable table by table with pg_restore.
#
#   deploy/backup/pg-backup.sh DATABASE_URL [OUTPUT_FILE]
#
# DATABASE_URL may be the service's own (postgresql+asyncpg://...); the driver is dropped for
# libpq. OUTPUT_FILE defaults to ./<database>_<UTC timestamp>.dump. PG_BIN selects the client
# binaries (they must be at least the server's major version).
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 DATABASE_URL [OUTPUT_FILE]" >&2
  exit 2
fi
url="$(printf '%s' "$1" | sed -E 's#^postgres(ql)?(\+[A-Za-z0-9_]+)?://#postgresql://#')"
database="$(printf '%s' "$url" | sed -E 's#^[^/]*//[^/]*/([^?]*).*#\1#')"
output="${2:-${database:-backup}_$(date -u +%Y%m%d_%H%M%S).dump}"
pg_dump="${PG_BIN:+$PG_BIN/}pg_dump"

# Written beside the target first: a failed dump never leaves a truncated file under its name.
partial="$output.partial"
trap 'rm -f "$partial"' EXIT
"$pg_dump" --format=custom --no-owner --no-privileges --dbname="$url" --file="$partial"
mv "$partial" "$output"
trap - EXIT
echo "$output"
