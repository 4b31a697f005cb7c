"""Small, bounded load helpers for the resilience tests (loopback only)."""

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

import requests

ROOT_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    ok: int = 0
    failures: list = field(default_factory=list)  # (seconds since start, what happened)
    latencies: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self):
        return self.ok / self.seconds if self.seconds else 0.0

    def p99(self):
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class BackgroundLoad:
    """`clients` threads sending GET requests in a loop until stopped (or for
    at most `limit` seconds), each on a fresh connection."""

    def __init__(self, url, clients=8, limit=60):
        self.url, self.clients, self.limit = url, clients, limit
        self.result = LoadResult()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self):
        while not self._stop.is_set() and time.monotonic() - self.started < self.limit:
            sent = time.monotonic()
            try:
                status = requests.get(self.url, timeout=5).status_code
                outcome = None if status == 200 else f"HTTP {status}"
            except requests.RequestException as error:
                outcome = type(error).__name__
            with self._lock:
                if outcome:
                    self.result.failures.append((sent - self.started, outcome))
                else:
                    self.result.ok += 1
                    self.result.latencies.append(time.monotonic() - sent)

    def __enter__(self):
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.result.seconds = time.monotonic() - self.started


def measure(url, seconds=3, clients=8):
    with BackgroundLoad(url, clients, limit=seconds) as load:
        time.sleep(seconds)
    return load.result


def wrk(url, *, seconds, connections, script=None, env=None, timeout=10):
    """Runs wrk; returns requests, errors (socket errors, including answers
    slower than `timeout` seconds, and non-2xx/3xx answers), req/s and p99.

    The timeout is 10 s, not wrk's default 2 s: at 64 connections with wrk on
    the same two cores, the slowest 1% of answers through Docker's published
    port take 2 to 4 s (docker-proxy's share of the CPU; straight to the
    container's address p99 is about 250 ms). Slow is reported as p99; only
    a request that fails, or takes over 10 s, is an error.
    """
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout}s",
        "--latency",
    ]
    if script:
        command += ["-s", str(ROOT_DIR / script)]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, env=env,
        timeout=seconds + 60,
    ).stdout  # fmt: skip
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {
        "p99_ms": float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)],
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": errors + (int(non_2xx.group(1)) if non_2xx else 0),
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "output": out,
    }


def wrk_available():
    return shutil.which("wrk") is not None


def container_memory_mib(container):
    """The container's memory use as `docker stats` shows it (cache excluded)."""
    usage = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split("/")[0].strip()  # fmt: skip
    number, unit = re.fullmatch(r"([\d.]+)\s*([KMG]i?B)", usage).groups()
    return float(number) * {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "kB": 1 / 1000, "MB": 1}[unit]
