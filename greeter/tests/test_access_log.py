"""project/access_log.py writes the very line gunicorn's own logger writes,
in batches, and leaves any other access-log setup to gunicorn."""

import base64
import time
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
import requests
from gunicorn import glogging
from gunicorn.config import Config

from project.access_log import BUFFER_BYTES, FLUSH_SECONDS, AccessLogger

AUTH = "Basic " + base64.b64encode(b"ada:secret").decode()


@pytest.fixture(autouse=True)
def no_flush_at_exit():
    """Lines a test leaves waiting are not written when pytest exits."""
    with mock.patch("project.access_log.atexit.register"):
        yield


def logger(logger_class, **settings):
    config = Config()
    config.set("accesslog", "-")
    config.set("worker_class", "project.gevent_worker.GeventWorker")
    for name, value in settings.items():
        config.set(name, value)
    return logger_class(config)


def log_request(logger, status=200, sent=1685, headers=()):
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": '/?q="x"', "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "172.18.0.1", **dict(headers)}  # fmt: skip
    response = SimpleNamespace(status=status, sent=sent, headers=[])
    with mock.patch("time.strftime", return_value="[26/Nov/2026:10:06:20 +0000]"):
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))


def gunicorns_line(status, sent, headers):
    gunicorns = logger(glogging.Logger)
    with mock.patch.object(gunicorns.access_log, "info") as info:
        log_request(gunicorns, status, sent, headers)
    message, atoms = info.call_args.args
    return message % atoms + "\n"


@pytest.mark.parametrize(
    ("status", "sent", "headers"),
    [
        ("200 OK", 1685, {}),
        (422, 1702, {"HTTP_USER_AGENT": 'Mozilla "quoted"', "HTTP_REFERER": "http://x/"}),
        ("403 Forbidden", None, {"HTTP_AUTHORIZATION": AUTH}),
        ("304 Not Modified", 0, {"HTTP_USER_AGENT": "curl/8.5"}),
    ],
)
def test_access_line_is_gunicorns_default_line(capsys, status, sent, headers):
    ours = logger(AccessLogger)
    log_request(ours, status, sent, headers)
    ours.flush_access()
    line = capsys.readouterr().out
    assert line == gunicorns_line(status, sent, headers)
    assert line.startswith("172.18.0.1 - ")
    assert '"GET /?q=\\"x\\" HTTP/1.1"' in line  # quotes escaped: one request, one line


def test_lines_wait_until_flushed_and_are_written_together(capsys):
    ours = logger(AccessLogger)
    for _ in range(3):
        log_request(ours)
    assert capsys.readouterr().out == ""
    with mock.patch("sys.stdout") as stdout:
        ours.flush_access()
    stdout.write.assert_called_once()
    assert stdout.write.call_args.args[0].count("\n") == 3


def test_a_full_buffer_is_written_at_once(capsys):
    ours = logger(AccessLogger)
    for _ in range(BUFFER_BYTES // 80 + 1):
        log_request(ours)
    assert capsys.readouterr().out.count('"GET /?q=') >= BUFFER_BYTES // 100


def test_waiting_lines_are_written_when_the_worker_exits():
    with mock.patch("project.access_log.atexit.register") as at_exit:
        ours = logger(AccessLogger)
    at_exit.assert_called_with(ours.flush_access)


def test_lines_are_flushed_within_the_flush_interval():
    ours = logger(AccessLogger)
    with mock.patch("project.access_log.gevent.spawn_later") as later:
        log_request(ours)
        log_request(ours)
    later.assert_called_once_with(FLUSH_SECONDS, ours.flush_access)  # one timer per batch


@pytest.mark.parametrize(
    "settings",
    [
        {"access_log_format": "%(h)s %(r)s"},
        {"accesslog": "{tmp}/access.log"},  # a file: the test's own temporary folder
        {"worker_class": "sync"},
        {"worker_class": "gthread"},
    ],
)
def test_any_other_access_log_is_gunicorns_own(settings, tmp_path):
    settings = {name: value.format(tmp=tmp_path) for name, value in settings.items()}
    other = logger(AccessLogger, **settings)
    with mock.patch.object(glogging.Logger, "access") as gunicorns_access:
        log_request(other)
    gunicorns_access.assert_called_once()
    assert other.pending == []


def wait_for_line(server, text, seconds):
    deadline, seen = time.monotonic() + seconds, b""
    while time.monotonic() < deadline:
        seen += server.stdout.read() or b""  # non-blocking: None while nothing waits
        if text.encode() in seen:
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("worker_class", ["sync", "gthread", "project.gevent_worker.GeventWorker"])
def test_each_access_line_appears_within_a_second_whatever_the_worker(gunicorn, worker_class):
    url, server = gunicorn(f"-k {worker_class} -w 2")
    for number in range(3):
        marker = f"/healthz?line={number}"
        assert requests.get(f"{url}{marker}", timeout=5).ok
        assert wait_for_line(server, f"GET {marker} HTTP/1.1", seconds=1.0), worker_class
