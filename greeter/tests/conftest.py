"""Fixtures of the in-process tier: Django's test client with the real static
files, the settings as a fresh process reads them, and local gunicorn started
as the image starts it."""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.test import Client

from tests.support import ROOT, TEST_KEY, free_port, load_settings, python_env, wait_until


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """collectstatic, as the image build does, into STATIC_ROOT (ignored by git):
    pages render with the real hashed and compressed files, in this process
    and in the gunicorn the tests start."""
    call_command("collectstatic", "--noinput", "--clear", verbosity=0)


@pytest.fixture
def csrf_client():
    """A client that meets CSRF checks as a browser does."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture(scope="session")
def https_settings():
    """The settings with the HTTPS switch on."""
    return load_settings({"DJANGO_BEHIND_HTTPS_PROXY": "true", "DJANGO_SECRET_KEY": TEST_KEY})


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """What it has written to stdout so far (a non-blocking read)."""
        assert self.process.stdout is not None
        return (self.process.stdout.read() or b"").decode()


@pytest.fixture
def gunicorn():
    """`gunicorn [OPTIONS] [APP]` in the project folder, as the image runs it: its
    gunicorn.conf.py, and the port by PORT, so it binds what the image binds
    ([::]). `env` replaces the test's environment (PATH and coverage's kept)."""
    servers = []

    def start(options="", *app, env=None, ready="/healthz"):
        port = free_port()
        variables = {"DJANGO_DEBUG": "false", **(env or {}), "PORT": str(port)}
        if options:
            variables["GUNICORN_CMD_ARGS"] = options
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), *app], cwd=ROOT,
            env=python_env(**variables), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        servers.append(process)
        assert process.stdout is not None
        assert process.stderr is not None
        os.set_blocking(process.stdout.fileno(), False)
        server = Server(port, process)
        up = wait_until(lambda: requests.get(f"{server.url}{ready}", timeout=1).ok, timeout=30)
        assert up, process.stderr.read().decode() if process.poll() is not None else "no answer"
        return server

    yield start
    for process in servers:
        process.send_signal(signal.SIGINT)  # gunicorn's quick stop: no graceful wait
        process.wait(timeout=10)


def pytest_collection_finish(session):
    """The coverage gate holds for runs of the whole in-process tier (plain
    `pytest`, scripts/test): not when a contributor runs a few tests."""
    config = session.config
    whole = config.args_source == pytest.Config.ArgsSource.TESTPATHS and not config.option.keyword
    coverage = config.pluginmanager.getplugin("_cov")
    if coverage is not None and not (
        whole and "not image" in (config.option.markexpr or "not image")
    ):
        coverage.options.cov_fail_under = 0
