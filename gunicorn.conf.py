"""gunicorn's configuration: the only place the server is configured.

gunicorn reads ./gunicorn.conf.py by default, so the image's command is just
`gunicorn`. Only what differs from gunicorn's defaults is here, each with its
reason. gunicorn's own variables still apply (WEB_CONCURRENCY,
FORWARDED_ALLOW_IPS, and GUNICORN_CMD_ARGS for any setting, e.g.
GUNICORN_CMD_ARGS="--timeout 60"); docs/configuration.md lists them.
"""

import math
import os
import runpy
import secrets
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from project.environment import behind_https_proxy, env

wsgi_app = "project.wsgi:application"

# gevent: every connection is a cheap greenlet, not a worker or a thread. A sync
# worker is held for the whole time a client takes to send its request, so a
# few hundred slow clients (slowloris) take the site down without a buffering
# proxy in front (gunicorn's docs say so); a gthread worker has the same limit
# at its thread count. Greeter's view does no blocking I/O and holds no state,
# so it runs unchanged on greenlets. project/gevent_worker.py is gunicorn's
# gevent worker with a prompt stop and batched accepts (see there for why).
worker_class = "project.gevent_worker.GeventWorker"


def post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    """Let the other connections go first after every response.

    A keep-alive client that sends its next request at once finds its socket
    readable again, and a greenlet only gives way when a read would block: so
    a few busy connections kept a worker to themselves while the others waited
    (p99 0.7 s at 16 connections). gevent.sleep(0) resumes this greenlet before
    the hub has polled the other sockets; a 0.1 ms timer queues it behind them
    (p99 36 ms, for 7% less throughput). Measured with wrk through the published port.
    """
    import gevent  # imported in the worker, after gevent has patched it
    from gunicorn.workers.ggevent import GeventWorker

    if isinstance(worker, GeventWorker):  # a sync or gthread worker has no event loop
        gevent.sleep(0.0001)


def container_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this container may use: its cgroup quota, not the host's core count.

    os.cpu_count() sees every core of the host (129 workers on a 64-core host is
    a reported bug); Docker's --cpus and Kubernetes' CPU limits only show in
    the cgroup: cpu.max on cgroup v2, cpu.cfs_quota_us/cpu.cfs_period_us on v1.
    """
    # sched_getaffinity honours --cpuset-cpus, but is Linux's alone: on macOS,
    # where gunicorn runs outside a container, the core count.
    linux = hasattr(os, "sched_getaffinity")
    cpus = len(os.sched_getaffinity(0)) if linux else os.cpu_count() or 1
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return cpus
    if quota in ("max", "-1"):
        return cpus
    return max(1, min(cpus, math.ceil(int(quota) / int(period))))


def container_memory(cgroup: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes of memory this container may use, or None when it has no limit:
    memory.max on cgroup v2, memory/memory.limit_in_bytes on v1 (where "no
    limit" is a number near 2**63, beyond any machine's memory)."""
    for path in (cgroup / "memory.max", cgroup / "memory" / "memory.limit_in_bytes"):
        try:
            limit = path.read_text().strip()
        except OSError:
            continue
        if limit == "max" or int(limit) >= 2**60:
            return None
        return int(limit)
    return None


# Measured in Greeter's image with docker stats (docs/image.md):
# the main process about 20 MiB, each gevent worker about 29 MiB idle and 34 MiB
# after load. The budget leaves room for growth and the 16 MiB /tmp tmpfs,
# which counts against the container's memory too.
MAIN_PROCESS_MIB = 48
WORKER_MIB = 40


def worker_count(requested: int, cpus: int, memory: int | None) -> tuple[int, str | None]:
    """(workers, warning or None). One gevent worker keeps one CPU busy; at least
    two, so a worker that dies or is recycled never leaves nobody accepting. Never
    more than the memory limit holds: a worker past it is OOM-killed, forked
    again and killed again, and the container stops answering."""
    wanted = requested or max(2, cpus)
    if memory is None:
        return wanted, None
    fits = max(1, (memory // 2**20 - MAIN_PROCESS_MIB) // WORKER_MIB)
    if wanted <= fits:
        return wanted, None
    asked = f"WEB_CONCURRENCY={requested}" if requested else f"{cpus} CPUs"
    return fits, (
        f"{asked} would start {wanted} workers, but the container's memory limit "
        f"({memory // 2**20} MiB) holds {fits} (about {WORKER_MIB} MiB each): starting {fits}. "
        "Raise the memory limit for more."
    )


def shared_secret_key(environ: MutableMapping[str, str] = os.environ) -> str | None:
    """Without a configured key, make one here, in the main process, before the
    workers fork: they inherit it, so that a value one worker signs verifies in
    every other (a key per worker breaks sessions and signed cookies at random).
    Over HTTPS, Django's settings refuse to start without a configured key."""
    if env.str("DJANGO_SECRET_KEY", default="") or behind_https_proxy():
        return None
    environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return (
        "DJANGO_SECRET_KEY is not set: made one for this container's workers. It changes "
        "at every restart, and with it anything signed (sessions, signed cookies); "
        "`manage.py` commands run beside them get a key of their own. Set "
        "DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE to keep one."
    )


def on_starting(server: Any) -> None:
    for warning in (workers_warning, secret_key_warning):
        if warning:
            server.log.warning(warning)


# Log every request and every error to stdout/stderr: `docker logs` collects them.
# The access line is gunicorn's default format, written without gunicorn's
# per-request dict of every header and variable (project/access_log.py).
accesslog = "-"
logger_class = "project.access_log.AccessLogger"
errorlog = "-"

# Workers prove they are alive by touching a file; on the container's overlay
# filesystem that can stall, /dev/shm is memory (and writable when / is read-only).
# macOS has no /dev/shm: gunicorn's default (the temp folder) serves there.
if os.path.isdir("/dev/shm"):  # noqa: S108 (a per-container tmpfs, not a shared /tmp)
    worker_tmp_dir = "/dev/shm"  # noqa: S108
# gunicorn >= 25 opens a control socket under $HOME or $XDG_RUNTIME_DIR: that
# fails on a read-only root filesystem, and nothing here uses it.
control_socket_disable = True

# SIGTERM (docker stop) lets requests in flight finish for up to this long.
# It must stay below compose's stop_grace_period (10 s), after which Docker
# sends SIGKILL and in-flight requests would be cut.
graceful_timeout = 5


# Every variable is read here, before any worker starts: an empty one means its
# default, a mistyped one stops the start with one line naming it
# (project/environment.py) instead of a traceback from every worker that boots.
try:
    port = env.int("PORT", default=5000)
    bind = f"0.0.0.0:{port}"
    worker_connections = env.int("GUNICORN_WORKER_CONNECTIONS", default=1000)
    loglevel = env.str("GUNICORN_LOG_LEVEL", default="info")
    workers, workers_warning = worker_count(
        env.int("WEB_CONCURRENCY", default=0), container_cpus(), container_memory()
    )
    secret_key_warning = shared_secret_key()
    # Idle keep-alive connections: gunicorn's 2 s where clients connect directly.
    # Behind a proxy (the HTTPS switch) it must outlast the proxy's own idle timeout
    # (Caddy's is 60 s, deploy/caddy/Caddyfile), as gunicorn's docs advise: else the
    # proxy may reuse a connection gunicorn has just closed, and answer 502 to a
    # POST it can't retry. 75 s is what nginx uses for the same reason.
    keepalive = 75 if behind_https_proxy() else 2
    # Django's settings, run once without importing them into this process
    # (the workers import their own): the same check for every DJANGO_ variable.
    runpy.run_module("project.settings")
except ImproperlyConfigured as error:
    raise SystemExit(f"Greeter can't start: {error}") from None
