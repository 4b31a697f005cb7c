"""gunicorn.conf.py: the worker count from the container's limits, one line for
a mistyped variable, and, under real gunicorn started as the image starts it,
the proxy trust, the access line, the shared key and the worker class."""

import json
import math
import os
import re
import runpy
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import requests

from tests.support import ROOT, TEST_KEY

MIB = 2**20
TEAM = {"DJANGO_SETTINGS_MODULE": "greeter.tests.team_settings"}


def load_conf(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "PORT", "FORWARDED_ALLOW_IPS", "DJANGO_BEHIND_HTTPS_PROXY",
                 "DJANGO_SECRET_KEY_FILE", "DJANGO_LOG_FORMAT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DJANGO_SECRET_KEY", "")  # set, so that it is restored: the conf writes it
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with warnings.catch_warnings():
        # The conf runs the settings, which this process has imported already.
        warnings.filterwarnings("ignore", "'project.settings' found in sys.modules")
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def fake_cgroup(root, version, cpus, memory):
    """The cgroup files of a container with `cpus` CPUs and `memory` bytes (None:
    no limit), on cgroup v2 or on v1 (Docker on older hosts, this CI's)."""
    if version == 2:
        (root / "cpu.max").write_text(f"{int(cpus * 100000)} 100000\n")
        (root / "memory.max").write_text(f"{memory or 'max'}\n")
    else:
        (root / "cpu").mkdir()
        (root / "cpu/cpu.cfs_quota_us").write_text(f"{int(cpus * 100000)}\n")
        (root / "cpu/cpu.cfs_period_us").write_text("100000\n")
        (root / "memory").mkdir()
        (root / "memory/memory.limit_in_bytes").write_text(f"{memory or 9223372036854771712}\n")
    return root


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize(
    ("cpus", "memory", "workers"),
    [(1, None, 2), (64, None, 64), (1.5, 256 * MIB, 2), (12, 256 * MIB, 5), (64, 1024 * MIB, 24),
     (2, 64 * MIB, 1)],
)  # fmt: skip
def test_a_worker_per_cpu_the_container_may_use_as_many_as_its_memory_holds(
    monkeypatch, tmp_path, version, cpus, memory, workers
):
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)))  # a big host
    worker_count = load_conf(monkeypatch)["worker_count"]
    count, warning = worker_count(0, fake_cgroup(tmp_path, version, cpus, memory))
    assert count == workers
    assert bool(warning) == (workers < max(2, math.ceil(cpus)))
    assert worker_count(0, tmp_path / "none")[0] == 64  # no cgroup files: the CPUs it may use


def test_web_concurrency_is_lowered_to_what_the_memory_holds(monkeypatch, tmp_path):
    (tmp_path / "memory.max").write_text(f"{256 * MIB}\n")
    worker_count = load_conf(monkeypatch)["worker_count"]
    assert worker_count(12, tmp_path) == (
        5,
        "12 workers would outgrow the memory limit: starting 5",
    )


def test_the_configuration_loads_on_macos(monkeypatch, tmp_path):
    """No sched_getaffinity (Linux only) and no /dev/shm: the CPU count and
    gunicorn's own temp folder instead. A container has /dev/shm: heartbeats there."""
    real_isdir = os.path.isdir
    monkeypatch.setattr("os.path.isdir", lambda path: path == "/dev/shm" or real_isdir(path))
    assert load_conf(monkeypatch)["worker_tmp_dir"] == "/dev/shm"
    monkeypatch.delattr("os.sched_getaffinity", raising=False)  # absent on macOS already
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    monkeypatch.setattr("os.path.isdir", lambda path: path != "/dev/shm" and real_isdir(path))
    conf = load_conf(monkeypatch)
    assert conf["worker_count"](0, tmp_path) == (8, "")
    assert "worker_tmp_dir" not in conf  # gunicorn's default


def test_empty_variables_mean_the_defaults(monkeypatch):
    empty = {name: "" for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_WORKER_CONNECTIONS",
                                   "GUNICORN_LOG_LEVEL", "DJANGO_BEHIND_HTTPS_PROXY",
                                   "FORWARDED_ALLOW_IPS")}  # fmt: skip
    conf = load_conf(monkeypatch, **empty)
    assert conf["bind"] == "[::]:5000"
    assert (conf["worker_connections"], conf["loglevel"], conf["keepalive"]) == (1000, "info", 2)
    assert conf["forwarded_allow_ips"] == "127.0.0.1/32,::1/128,::ffff:7f00:1/128"


def test_a_kernel_without_ipv6_listens_on_every_ipv4_address(monkeypatch):
    monkeypatch.setattr("socket.has_dualstack_ipv6", lambda: False)
    assert load_conf(monkeypatch, PORT="8080")["bind"] == "0.0.0.0:8080"


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [("DJANGO_BEHIND_HTTPS_PROXY", "ture", "DJANGO_BEHIND_HTTPS_PROXY='ture' is neither"),
     ("GUNICORN_WORKER_CONNECTIONS", "many", "GUNICORN_WORKER_CONNECTIONS='many' can't"),
     ("FORWARDED_ALLOW_IPS", "172.19.0.0/16, proxy", "FORWARDED_ALLOW_IPS: 'proxy' does not"),
     ("DJANGO_BEHIND_HTTPS_PROXY", "true", "DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE must")],
)  # fmt: skip
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(monkeypatch, variable, value, said):
    with pytest.raises(SystemExit) as refused:
        load_conf(monkeypatch, **{variable: value})
    assert str(refused.value).startswith(f"Greeter can't start: {said}")
    assert "\n" not in str(refused.value)


def test_behind_https_the_keep_alive_outlasts_caddys_idle_connections(monkeypatch):
    """Caddy closes an idle connection to Greeter first, so it never sends a
    request down one gunicorn has just closed (a POST would get a 502)."""
    caddyfile = (ROOT / "deploy/caddy/Caddyfile").read_text()
    caddys = int(caddyfile.split("keepalive ", 1)[1].split("s", 1)[0])
    behind = load_conf(monkeypatch, DJANGO_BEHIND_HTTPS_PROXY="true", DJANGO_SECRET_KEY=TEST_KEY)
    assert behind["keepalive"] > caddys


def access_line(server, marker):
    deadline, seen = time.monotonic() + 5, ""
    while time.monotonic() < deadline:
        seen += server.output()
        if marker in seen:
            return next(line for line in seen.splitlines() if marker in line)
        time.sleep(0.02)
    raise AssertionError(f"no access line with {marker} in {seen!r}")


FROM_A_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
                "X-Request-ID": "d1e5", "Host": "localhost"}  # fmt: skip
BEHIND_HTTPS = {"DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY}


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8", ""])  # "": the default
def test_the_trusted_proxys_scheme_and_client_are_believed(gunicorn, trusted):
    """The tests connect to 127.0.0.1, which gunicorn's [::] socket reports as
    ::ffff:127.0.0.1: a proxy given as IPv4 is still trusted (it was not: every
    request was redirected to https, forever)."""
    server = gunicorn("-w 1", env={**BEHIND_HTTPS, "FORWARDED_ALLOW_IPS": trusted})
    page = requests.get(f"{server.url}/robots.txt?a", headers=FROM_A_PROXY, timeout=10,
                        allow_redirects=False)  # fmt: skip
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"] == "max-age=3600"
    line = access_line(server, "/robots.txt?a")
    request = '"GET /robots.txt\\?a HTTP/1.1" 200 \\d+ "-" "python-requests/.+"'
    assert re.fullmatch(rf"203\.0\.113\.9 - - \[.+\] {request} d1e5", line), line


def test_an_untrusted_peers_forwarded_headers_change_nothing(gunicorn):
    server = gunicorn("-w 1", env={**BEHIND_HTTPS, "FORWARDED_ALLOW_IPS": "10.9.9.9"})
    page = requests.get(f"{server.url}/robots.txt?b", headers=FROM_A_PROXY, timeout=10,
                        allow_redirects=False)  # fmt: skip
    assert page.status_code == 301
    assert page.headers["Location"] == "https://localhost/robots.txt?b"
    assert "Strict-Transport-Security" not in page.headers
    assert access_line(server, "/robots.txt?b").startswith("127.0.0.1 - - [")


def test_json_logs_carry_the_request_in_one_object_per_record(gunicorn):
    server = gunicorn("-w 1", env={**TEAM, "DJANGO_LOG_FORMAT": "json"})
    headers = {"X-Request-ID": "f00d", "X-Forwarded-For": "203.0.113.9"}
    assert requests.get(f"{server.url}/fails", headers=headers, timeout=10).status_code == 500
    access = json.loads(access_line(server, '"path": "/fails"'))
    assert access["request_id"] == "f00d"
    assert (access["client"], access["method"], access["status_code"]) == (
        "203.0.113.9",
        "GET",
        500,
    )
    server.process.terminate()
    errors = [json.loads(line) for line in server.process.stderr.read().decode().splitlines()]
    [error] = [record for record in errors if record["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert (error["request_id"], error["client"], error["path"]) == (
        "f00d",
        "203.0.113.9",
        "/fails",
    )
    assert "RuntimeError: a bug in a view" in error["traceback"]
    assert error["time"]


def test_without_a_key_every_worker_shares_the_one_made_at_start(gunicorn):
    server = gunicorn("-k sync --threads 1 -w 3", env=TEAM)

    def together(query=""):  # three requests at once: each held 0.3 s by another worker
        with ThreadPoolExecutor(3) as pool:
            texts = pool.map(
                lambda _: requests.get(f"{server.url}/signs{query}", timeout=10).text, range(3)
            )
        return dict(text.split(" ", 1) for text in texts)

    signed = together()
    assert len(signed) == 3
    for signature in signed.values():
        checked = together(f"?value={quote(signature)}")
        assert len(checked) == 3
        assert set(checked.values()) == {"signed"}


def test_an_async_view_and_a_database_call_beside_it_both_answer(gunicorn):
    """One worker: while an async view awaits, a sync view calls an async_unsafe
    function, as every database query does. Under gevent both ran on one thread
    (the async view's event loop) and the sync one answered 500."""
    server = gunicorn("-w 1", env=TEAM)
    waited: dict[str, requests.Response] = {}
    waiting = threading.Thread(
        target=lambda: waited.update(r=requests.get(f"{server.url}/waits", timeout=10))
    )
    waiting.start()
    time.sleep(0.5)  # the async view is awaiting now
    queried = requests.get(f"{server.url}/queries", timeout=10)
    waiting.join(timeout=10)
    assert (queried.status_code, queried.text) == (200, "queried")
    assert (waited["r"].status_code, waited["r"].text) == (200, "waited")
