#!/bin/sh
# gunicorn reads WEB_CONCURRENCY as it is imported, before gunicorn.conf.py can:
# an empty one (a `WEB_CONCURRENCY=` line in .env) would end it with a
# traceback, so it counts as unset, as every other empty variable does; one
# that is not a number stops the start with one line naming it.
set -eu
[ -n "${WEB_CONCURRENCY:-}" ] || unset WEB_CONCURRENCY
case "${WEB_CONCURRENCY:-0}" in
*[!0-9]*) echo "Greeter can't start: WEB_CONCURRENCY='$WEB_CONCURRENCY' is not a number" >&2; exit 2 ;;
esac
exec "$@"
