"""Soak: 60 s of a visitor's mix (the form and the greeting) at 64 connections,
through wrk: no error at all, and no memory growth beyond 10%."""

import os

import pytest
import requests

from bench.measure import container_memory_mib, wrk
from tests.conftest import csrf_token, require
from tests.load import wrk_available

pytestmark = pytest.mark.container

SOAK_SECONDS = 60
CONNECTIONS = 64


def test_sixty_seconds_at_64_connections_without_errors_or_memory_growth(stack):
    if not wrk_available():
        require("wrk", "apt-get install wrk")
    session = requests.Session()
    token = csrf_token(session.get(f"{stack.url}/", timeout=10).text)
    env = {**os.environ, "CSRF_COOKIE": session.cookies["csrftoken"], "CSRF_TOKEN": token}
    container = stack.container_id()

    warm_up = wrk(
        stack.url, seconds=10, connections=CONNECTIONS, script="bench/wrk/mixed.lua", env=env
    )
    assert warm_up["errors"] == 0, warm_up["output"]
    memory_after_warm_up = container_memory_mib(container)
    soak = wrk(
        stack.url,
        seconds=SOAK_SECONDS,
        connections=CONNECTIONS,
        script="bench/wrk/mixed.lua",
        env=env,
    )
    memory_at_end = container_memory_mib(container)
    print(
        f"\nsoak: {soak['requests']} requests ({soak['rate']:.0f}/s, p99 {soak['p99_ms']:.0f} ms), "
        f"{soak['errors']} errors; "
        f"memory {memory_after_warm_up:.1f} MiB after warm-up, {memory_at_end:.1f} MiB at the end"
    )
    assert soak["errors"] == 0, soak["output"]
    assert soak["requests"] > 0
    assert memory_at_end <= memory_after_warm_up * 1.10
