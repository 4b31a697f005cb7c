"""Small, bounded load helpers for the resilience tests (loopback only)."""

import re
import shutil
import threading
import time
from dataclasses import dataclass, field

import requests

from bench.measure import verified_session
from tests.conftest import CSRF_TOKEN, post_form


@dataclass
class LoadResult:
    ok: int = 0
    # (seconds since start, what happened)
    failures: list[tuple[float, str]] = field(default_factory=list)
    retried: int = 0  # requests sent again after a connection closed without an answer
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    change_ended: float = 0.0  # when what the load watched ended (seconds since start)

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

    def _running(self):
        return not self._stop.is_set() and time.monotonic() - self.started < self.limit

    def _run(self):
        while self._running():
            self._timed(self._get)

    def _timed(self, send, what="GET"):
        """Sends one request (`send` returns None when it succeeded, else what
        went wrong) and counts it."""
        sent = time.monotonic()
        try:
            outcome = send()
        except requests.RequestException as error:
            outcome = f"{what} {type(error).__name__}: {str(error)[-160:]}"
        with self._lock:
            if outcome:
                self.result.failures.append((sent - self.started, outcome))
            else:
                self.result.ok += 1
                self.result.latencies.append(time.monotonic() - sent)

    def _get(self):
        status = self._get_status()
        return None if status == 200 else f"HTTP {status}"

    def _get_status(self):
        return self._answered(
            lambda: requests.get(self.url, timeout=5, verify=self.verify).status_code
        )

    def _answered(self, send):
        """send(), and once more if its connection closed before any answer came
        and retry_unanswered says so (counted in result.retried)."""
        try:
            return send()
        except requests.ConnectionError as error:
            # The plain and the TLS form of a connection closed before any answer.
            unanswered = ("without response", "UNEXPECTED_EOF_WHILE_READING")
            if not (self.retry_unanswered and any(text in str(error) for text in unanswered)):
                raise
            with self._lock:
                self.result.retried += 1
            return send()

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


class GreetingLoad(BackgroundLoad):
    """`clients` browsers, each on its own kept-alive session: load the form at
    `url`, post a greeting with its token, and again, until stopped. Certificates
    are checked against `root` alone. `timeout` is long: a proxy may hold a
    request for a while rather than fail it. A request whose kept-alive
    connection was closed before any answer (a Caddy reload closes idle ones) is
    sent again, as Chromium does for any method on a reused connection."""

    CLIENTS = 4

    def __init__(self, url, root, clients=CLIENTS, limit=120, timeout=60):
        super().__init__(url, clients, limit, retry_unanswered=True)
        self.root, self.timeout = root, timeout

    def _run(self):
        session = verified_session(self.root)
        base = self.url.rstrip("/")
        token: list[str] = []

        def form():
            response = self._answered(lambda: session.get(f"{base}/", timeout=self.timeout))
            token[:] = re.findall(CSRF_TOKEN, response.text)
            served = response.status_code == 200 and token
            return None if served else f"GET / {response.status_code}"

        def greeting():
            data = {"username": "Ada", "csrfmiddlewaretoken": token[0]}
            response = self._answered(
                lambda: post_form(session, base, "/greet", data, timeout=self.timeout)
            )
            greeted = response.status_code == 200 and "Hello Ada" in response.text
            return None if greeted else f"POST /greet {response.status_code}"

        while self._running():
            self._timed(form, "GET /")
            if token and self._running():
                self._timed(greeting, "POST /greet")


def measure(url, seconds=3, clients=8, verify=True):
    with BackgroundLoad(url, clients, limit=seconds, verify=verify) as load:
        time.sleep(seconds)
    return load.result


def wrk_available():
    return shutil.which("wrk") is not None
