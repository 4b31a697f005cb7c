"""Every request gets gunicorn's own access line on stdout, at once, whatever
the worker class (gunicorn.conf.py: accesslog "-")."""

import time

import pytest
import requests


def wait_for_line(server, text, seconds):
    deadline, seen = time.monotonic() + seconds, b""
    while time.monotonic() < deadline:
        seen += server.stdout.read() or b""  # non-blocking: None while nothing waits
        if text.encode() in seen:
            return seen.decode()
        time.sleep(0.01)
    return None


@pytest.mark.parametrize("worker_class", ["sync", "gthread"])
def test_each_access_line_appears_within_a_second_whatever_the_worker(gunicorn, worker_class):
    url, server = gunicorn(f"-k {worker_class} -w 2 --threads {1 if worker_class == 'sync' else 4}")
    for number in range(3):
        marker = f"/healthz?line={number}"
        assert requests.get(f"{url}{marker}", timeout=5).ok
        assert wait_for_line(server, f"GET {marker} HTTP/1.1", seconds=1.0), worker_class


def test_the_access_line_is_gunicorns_default_format(gunicorn):
    url, server = gunicorn("-w 1")
    requests.get(f"{url}/healthz?x=1", headers={"User-Agent": 'tool "7"'}, timeout=5)
    seen = wait_for_line(server, "GET /healthz?x=1", seconds=1.0)
    # %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"
    line = next(line for line in seen.splitlines() if "/healthz?x=1" in line)
    assert line.startswith("127.0.0.1 - - [")
    assert line.endswith('] "GET /healthz?x=1 HTTP/1.1" 200 34 "-" "tool \\"7\\""')
