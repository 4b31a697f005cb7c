import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.test import Client, override_settings

from tests.conftest import free_port, wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
TEST_KEY = "test-key-" + "x1y2z3" * 9  # as long and varied as the deploy check asks


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    """Run collectstatic once, as the image build does, so that pages render
    with the real hashed-and-compressed storage instead of a test stand-in."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield static_root


@pytest.fixture
def csrf_client():
    """A client that enforces CSRF like a browser session would meet it."""
    return Client(enforce_csrf_checks=True)


def coverage_env():
    """The variables by which coverage measures a subprocess too (pyproject.toml),
    for the tests that start Python with an environment of their own."""
    return {name: value for name, value in os.environ.items() if name.startswith("COVERAGE_")}


def load_settings(env=None, *, entry="project.settings"):
    """Import the settings in a fresh interpreter with exactly `env` set.

    Settings are read once per process, so each environment needs its own
    process. Returns every upper-case setting that JSON can carry.
    """
    script = (
        "import importlib, json, sys\n"
        f"module = importlib.import_module({entry!r})\n"
        "values = {k: v for k, v in vars(module).items() if k.isupper()}\n"
        "json.dump(values, sys.stdout, default=lambda v: repr(v))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"PATH": os.environ["PATH"], **coverage_env(), **(env or {})},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def https_settings():
    """The settings with the "behind an HTTPS proxy" switch on."""
    return load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY})


@pytest.fixture
def gunicorn(tmp_path):
    """Starts gunicorn with Greeter's gunicorn.conf.py on a free loopback port:
    `gunicorn("-k sync -w 2", "some.module:app", env={...})`. Returns the URL,
    once it answers, and the process (its stdout is a non-blocking pipe)."""
    servers = []

    def start(options="", *app, env=None, ready="/healthz"):
        port = free_port()
        arguments = f"{options} -b 127.0.0.1:{port} --worker-tmp-dir {tmp_path}"
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), *app],
            cwd=BASE_DIR,
            env={**(os.environ if env is None else env), "DJANGO_DEBUG": "false",
                 "GUNICORN_CMD_ARGS": arguments},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        servers.append(server)
        assert server.stdout is not None
        os.set_blocking(server.stdout.fileno(), False)
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: requests.get(f"{url}{ready}", timeout=1).ok, timeout=30)
        return url, server

    yield start
    for server in servers:
        server.terminate()
        server.wait(timeout=10)
