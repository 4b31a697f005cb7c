"""Small, bounded load helpers for the resilience tests (loopback only)."""

import shutil
import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class LoadResult:
    ok: int = 0
    # (seconds since start, what happened)
    failures: list[tuple[float, str]] = field(default_factory=list)
    retried: int = 0  # requests sent again after a connection closed without an answer
    latencies: list[float] = field(default_factory=list)
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

    def __init__(self, url, clients=8, limit=60, verify=True, retry_unanswered=False):
        self.url, self.clients, self.limit, self.verify = url, clients, limit, verify
        # What browsers do (RFC 9112 §9.3.1): a GET whose connection closed before
        # any answer came is sent once more, on a new connection.
        self.retry_unanswered = retry_unanswered
        self.result = LoadResult()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self):
        while not self._stop.is_set() and time.monotonic() - self.started < self.limit:
            sent = time.monotonic()
            try:
                status = self._get()
                outcome = None if status == 200 else f"HTTP {status}"
            except requests.RequestException as error:
                outcome = f"{type(error).__name__}: {str(error)[-160:]}"
            with self._lock:
                if outcome:
                    self.result.failures.append((sent - self.started, outcome))
                else:
                    self.result.ok += 1
                    self.result.latencies.append(time.monotonic() - sent)

    def _get(self):
        try:
            return requests.get(self.url, timeout=5, verify=self.verify).status_code
        except requests.ConnectionError as error:
            if not (self.retry_unanswered and "without response" in str(error)):
                raise
            with self._lock:
                self.result.retried += 1
            return requests.get(self.url, timeout=5, verify=self.verify).status_code

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


def measure(url, seconds=3, clients=8, verify=True):
    with BackgroundLoad(url, clients, limit=seconds, verify=verify) as load:
        time.sleep(seconds)
    return load.result


def wrk_available():
    return shutil.which("wrk") is not None
