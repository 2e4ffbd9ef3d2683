#!/usr/bin/env bash
# Restore a tarball made by chroma-backup.sh into Chroma's persistent directory, then start
# Chroma again. Refuses a non-empty directory unless --force (which empties it first).
#
#   deploy/backup/chroma-restore.sh [--force] BACKUP.tar.gz CHROMA_DATA_DIR
set -euo pipefail

force=0
if [[ "${1:-}" == "--force" ]]; then
  force=1
  shift
fi
if [[ $# -ne 2 ]]; then
  echo "usage: $0 [--force] BACKUP.tar.gz CHROMA_DATA_DIR" >&2
  exit 2
fi
archive="$1"
target="$2"
if [[ ! -f "$archive" ]]; then
  echo "$0: no archive at $archive" >&2
  exit 1
fi
# Checked before anything is touched: a damaged archive must not cost the current data.
tar -tzf "$archive" >/dev/null
mkdir -p "$target"
if [[ -n "$(ls -A "$target")" ]]; then
  if [[ $force -eq 0 ]]; then
    echo "$0: $target is not empty; pass --force to replace its contents" >&2
    exit 1
  fi
  find "$target" -mindepth 1 -delete
fi
tar -xzf "$archive" -C "$target"
