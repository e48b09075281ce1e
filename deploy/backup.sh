#!/usr/bin/env bash
# Back up the service's PostgreSQL database: one compressed custom-format dump per run, the last
# N days kept. Run as a user that may read the database (e.g. postgres), from cron (deploy/crontab).
#   deploy/backup.sh /srv/backups/lowcarbon 14
# Restore: see deploy/README.md ("Backup and restore").
set -euo pipefail
target="${1:?backup directory}"
keep_days="${2:-14}"
database="${PGDATABASE:-lowcarbon}"
mkdir -p "$target"
file="$target/$database-$(date +%Y%m%d-%H%M%S).dump"
# --format=custom: compressed, restorable table by table with pg_restore; consistent (one snapshot).
pg_dump --format=custom --no-owner --file="$file.partial" "$database"
mv "$file.partial" "$file"
find "$target" -name "$database-*.dump" -mtime +"$keep_days" -delete
echo "backed up $database to $file ($(du -h "$file" | cut -f1))"
