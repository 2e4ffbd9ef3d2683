#!/usr/bin/env bash
# Archive Chroma's persistent directory (the chroma_data volume) as a gzip tarball.
# Stop Chroma (or Oyl's writers) first: a copy taken during writes may be inconsistent.
#
#   deploy/backup/chroma-backup.sh CHROMA_DATA_DIR [OUTPUT.tar.gz]
#
# With Docker Compose, the volume is reached through a throw-away container (the Oyl guide):
#   docker compose -f deploy/docker-compose.yml stop chroma
#   docker run --rm -v deploy_chroma_data:/data -v "$PWD/backups":/backup -v "$PWD/deploy/backup":/scripts:ro \
#     alpine sh -c 'apk add --no-cache bash >/dev/null && /scripts/chroma-backup.sh /data /backup/chroma.tar.gz'
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 CHROMA_DATA_DIR [OUTPUT.tar.gz]" >&2
  exit 2
fi
source_dir="$1"
output="${2:-chroma_$(date -u +%Y%m%d_%H%M%S).tar.gz}"
if [[ ! -d "$source_dir" ]]; then
  echo "$0: $source_dir is not a directory" >&2
  exit 1
fi
partial="$output.partial"
trap 'rm -f "$partial"' EXIT
# Paths inside the archive are relative, so it restores into any directory.
tar -czf "$partial" -C "$source_dir" .
mv "$partial" "$output"
trap - EXIT
echo "$output"
