#!/bin/sh
# Maillage container entrypoint: one image, several roles (docs/operations.md, "Deployment").
#   web       gunicorn (`maillage serve`), no task consumer beside it, no collectstatic (the
#             static files were collected when the image was built)
#   worker    the task-queue consumer (`maillage worker`): outbox, periodic tasks, backups
#   migrate   `maillage migrate` then `maillage db_app_role "$DB_APP_ROLE"`: run with the
#             database OWNER's DATABASE_URL, once per deployment, before web and worker start
#   other     any `maillage` command, e.g. `crt_admin`, `createsuperuser`, `backup --out FILE`
set -eu

role="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$role" in
  web)
    exec maillage serve --sans-worker --sans-collectstatic --bind "0.0.0.0:${PORT:-8000}" "$@"
    ;;
  worker)
    exec maillage worker "$@"
    ;;
  migrate)
    maillage migrate --noinput
    exec maillage db_app_role "${DB_APP_ROLE:-maillage_app}"
    ;;
  *)
    exec maillage "$role" "$@"
    ;;
esac
