"""What the container may use, for gunicorn.conf.py: the CPUs of its quota (which
os.cpu_count() does not see) and its memory limit, from its cgroup (v2, or v1
on older hosts)."""

import math
import os
from pathlib import Path


def cgroup(root: Path, v2: str, *v1: str) -> list[str]:
    """A limit of this container, as words: cgroup v2's file, else v1's files."""
    if (root / v2).exists():
        return (root / v2).read_text().split()
    return [
        word for name in v1 if (root / name).exists() for word in (root / name).read_text().split()
    ]


def worker_count(requested: int, root: Path = Path("/sys/fs/cgroup")) -> tuple[int, str]:
    """WEB_CONCURRENCY, or a worker per CPU the container may use (its quota, which
    os.cpu_count() does not see), at least two; never more than its memory holds:
    48 MiB for the main process and 40 a worker (20 and 34 measured after load)."""
    # sched_getaffinity honours --cpuset-cpus, but only Linux has it (not macOS).
    linux = hasattr(os, "sched_getaffinity")
    cpus = len(os.sched_getaffinity(0)) if linux else os.cpu_count() or 1
    quota = cgroup(root, "cpu.max", "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us")
    if len(quota) == 2 and quota[0] not in ("max", "-1"):
        cpus = min(cpus, math.ceil(int(quota[0]) / int(quota[1])))
    wanted = requested or max(2, cpus)
    memory = cgroup(root, "memory.max", "memory/memory.limit_in_bytes")
    if not memory or memory[0] == "max" or int(memory[0]) >= 2**60:  # v1's "no limit" is huge
        return wanted, ""
    fits = max(1, (int(memory[0]) // 2**20 - 48) // 40)
    if wanted <= fits:
        return wanted, ""
    return fits, f"{wanted} workers would outgrow the memory limit: starting {fits}"
