"""gunicorn's configuration, read from the working directory, so the image's
command is just `gunicorn`. Only what differs from gunicorn's defaults is here.
gunicorn's own variables still apply: WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, and
GUNICORN_CMD_ARGS for any other setting (docs/configuration.md).
"""

import math
import os
import runpy
import secrets
import socket
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from project.environment import behind_https_proxy, env

wsgi_app = "project.wsgi:application"
# gunicorn's own threaded worker: each request in a thread of its own, so that
# an async view (its event loop in its thread) and a database call beside it
# never share one, as they did under gevent. A connection that sends nothing
# waits in the worker's poller, not in a thread; in production Caddy holds slow
# clients. 4 threads: measured against 8, sync and gevent (docs/benchmark.md).
worker_class = "gthread"
threads = 4
accesslog = "-"  # gunicorn logs no requests by default; `docker logs` reads stdout
# The workers' heartbeat file: /dev/shm is memory, writable on a read-only root,
# where the overlay filesystem can stall. macOS has none: gunicorn's default there.
if os.path.isdir("/dev/shm"):  # noqa: S108 (a per-container tmpfs, not a shared /tmp)
    worker_tmp_dir = "/dev/shm"  # noqa: S108
control_socket_disable = True  # gunicorn >= 25 would create one under a read-only $HOME
# Below compose's stop_grace_period (10 s): requests in flight finish before SIGKILL.
graceful_timeout = 5


def container_cpus(cgroup: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this container may use: its quota (Docker's --cpus, Kubernetes' limit),
    which os.cpu_count() does not see. cgroup v2 cpu.max, or v1 cpu.cfs_*."""
    # sched_getaffinity honours --cpuset-cpus, but only Linux has it.
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
    """Bytes of memory this container may use, None without a limit (cgroup v2
    memory.max, v1 memory.limit_in_bytes, whose "no limit" is near 2**63)."""
    for path in (cgroup / "memory.max", cgroup / "memory" / "memory.limit_in_bytes"):
        try:
            limit = path.read_text().strip()
        except OSError:
            continue
        return None if limit == "max" or int(limit) >= 2**60 else int(limit)
    return None


# Measured with docker stats (docs/image.md): the main process about 20 MiB, a
# worker 29 MiB idle and 34 MiB after load; room kept for growth and /tmp.
MAIN_PROCESS_MIB = 48
WORKER_MIB = 40


def worker_count(requested: int, cpus: int, memory: int | None) -> tuple[int, str | None]:
    """(workers, warning or None): one per CPU, at least two so that one is always
    accepting, never more than the memory holds (past it the kernel kills a worker,
    gunicorn forks another, and the container stops answering)."""
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


def listen_address(port: int) -> str:
    """Every address of both families: `[::]`, which on Linux also takes IPv4
    (dual stack), so an IPv6-only cluster's pod answers too; `0.0.0.0` where the
    kernel has no IPv6 at all (booted with ipv6.disable=1)."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::", 0))
    except OSError:
        return f"0.0.0.0:{port}"
    return f"[::]:{port}"


def shared_secret_key(over_https: bool) -> str | None:
    """Without a configured key, one made here, before the workers fork, so that
    all of them share it: what one signs, every other verifies. Over HTTPS the
    settings refuse to start without a configured key instead."""
    if env.str("DJANGO_SECRET_KEY", default="") or over_https:
        return None
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
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


# Every variable is read here, before any worker starts: an empty one means its
# default, a mistyped one stops the start with one line naming it
# (project/environment.py) instead of a traceback from every worker that boots.
try:
    bind = listen_address(env.int("PORT", default=5000))
    worker_connections = env.int("GUNICORN_WORKER_CONNECTIONS", default=1000)
    loglevel = env.str("GUNICORN_LOG_LEVEL", default="info")
    requested_workers = env.int("WEB_CONCURRENCY", default=0)
    workers, workers_warning = worker_count(requested_workers, container_cpus(), container_memory())
    over_https = behind_https_proxy() is True
    secret_key_warning = shared_secret_key(over_https)
    # Idle keep-alive: gunicorn's 2 s for clients straight from the network.
    # Behind a proxy it must outlast the proxy's idle timeout (Caddy's 60 s), as
    # gunicorn's docs advise, or the proxy may reuse a connection just closed and
    # answer a POST with a 502 it can't retry. 75 s is nginx's choice too.
    keepalive = 75 if over_https else 2
    # Django's settings, run once without importing them into this process
    # (each worker imports its own): the same check for every DJANGO_ variable.
    runpy.run_module("project.settings")
except ImproperlyConfigured as error:
    raise SystemExit(f"Greeter can't start: {error}") from None
