"""gunicorn's configuration (the image runs just `gunicorn`): what differs from its defaults."""

import os
import runpy
import secrets
import socket

from django.core.exceptions import ImproperlyConfigured

from project.container import worker_count
from project.environment import behind_https_proxy, env, trusted_proxies
from project.logs import logging_config

wsgi_app = "project.wsgi:application"
# gunicorn's threaded worker: a request per thread, so an async view (its event
# loop in its thread) and a database call never share one. Caddy holds slow
# clients in production, so that none holds a thread (docs/security.md).
worker_class = "gthread"
threads = 4
accesslog = "-"  # gunicorn's own line per request, on stdout, with Caddy's request id
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}i)s'
)
# The workers' heartbeat in memory: the root is read-only. macOS has no /dev/shm.
if os.path.isdir("/dev/shm"):  # noqa: S108 (a per-container tmpfs, not a shared /tmp)
    worker_tmp_dir = "/dev/shm"  # noqa: S108
control_socket_disable = True  # gunicorn would make it under the read-only $HOME
graceful_timeout = 5  # below compose's stop_grace_period (10 s): requests finish first


def on_starting(server) -> None:  # type: ignore[no-untyped-def]  # gunicorn is untyped
    for warning in (workers_warning, key_warning):
        if warning:
            server.log.warning(warning)


# Every variable is read here, before any worker starts: a mistyped one stops
# the start with one line naming it, not a traceback from every worker.
try:
    # Every address: [::] takes IPv4 too, 0.0.0.0 on a kernel without IPv6.
    port = env.int("PORT", default=5000)
    bind = f"[::]:{port}" if socket.has_dualstack_ipv6() else f"0.0.0.0:{port}"
    forwarded_allow_ips = ",".join(trusted_proxies())
    worker_connections = env.int("GUNICORN_WORKER_CONNECTIONS", default=1000)
    loglevel = env.str("GUNICORN_LOG_LEVEL", default="info")
    workers, workers_warning = worker_count(env.int("WEB_CONCURRENCY", default=0))
    over_https = behind_https_proxy() is True
    # Without a key, one for every worker, made before they fork (HTTPS refuses instead).
    key_warning = ""
    if not (env.str("DJANGO_SECRET_KEY", default="") or over_https):
        os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
        key_warning = "DJANGO_SECRET_KEY is not set: made one, which changes at each restart."
    # Idle keep-alive: 2 s for clients straight from the network; behind a proxy, longer
    # than its idle timeout (Caddy's 60 s), or it sends a POST down a closed connection.
    keepalive = 75 if over_https else 2
    if env.str("DJANGO_LOG_FORMAT", default="plain") == "json":
        logconfig_dict = logging_config("INFO", "json")
    # Django's settings, run once without importing them here (each worker
    # imports its own): the same check for every DJANGO_ variable.
    runpy.run_module("project.settings")
except ImproperlyConfigured as error:
    raise SystemExit(f"Greeter can't start: {error}") from None
