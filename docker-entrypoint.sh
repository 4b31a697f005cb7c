#!/bin/sh
# The image's entrypoint: runs its command (gunicorn by default) once gunicorn's
# own variables are safe to read. gunicorn reads them when it is imported, before
# gunicorn.conf.py can look: an empty WEB_CONCURRENCY (a `WEB_CONCURRENCY=` line
# in .env, which compose passes on) ends it with a traceback, and an empty
# FORWARDED_ALLOW_IPS trusts no proxy instead of the default. So an empty one
# counts as unset, as every other variable does (project/environment.py), and a
# WEB_CONCURRENCY that is not a number stops the start with a message naming it.
set -eu
for name in WEB_CONCURRENCY FORWARDED_ALLOW_IPS GUNICORN_CMD_ARGS; do
  if [ -z "$(printenv "$name" || true)" ]; then
    unset "$name"
  fi
done
case "${WEB_CONCURRENCY:-0}" in
  *[!0-9]*)
    echo "Greeter can't start: WEB_CONCURRENCY='$WEB_CONCURRENCY' is not a number of workers (leave it empty for one per CPU)." >&2
    exit 2
    ;;
esac
exec "$@"
