"""project/healthcheck.py, the container's health check: exit 0 when /healthz
answers 200, 1 with a reason otherwise."""

import subprocess
import sys

from greeter.tests.conftest import BASE_DIR, coverage_env
from tests.conftest import free_port


def healthcheck(port):
    return subprocess.run(
        [sys.executable, "-m", "project.healthcheck"],
        env={"PORT": str(port), **coverage_env()},
        cwd=BASE_DIR, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_a_server_answering_healthz_is_healthy(gunicorn):
    url, _ = gunicorn("-w 1")
    result = healthcheck(url.rsplit(":", 1)[1])
    assert result.returncode == 0, result.stderr


def test_nothing_listening_is_unhealthy_with_the_reason():
    result = healthcheck(free_port())
    assert result.returncode == 1
    assert "unhealthy: " in result.stderr
    assert "Connection refused" in result.stderr
