"""Workers sized by the container's memory as well as its CPUs.

A 64-core host without a CPU limit would ask gunicorn for 64 workers; under
compose's 256 MB each worker past what fits is OOM-killed, forked again and
killed again, and nothing answers. Here the compose stack runs with the worker
count that host gets (WEB_CONCURRENCY=64) and is loaded: gunicorn starts what
the memory holds, says so in its log, and every request is answered.
"""

import pytest

from bench.measure import container_memory_mib, wrk
from bench.targets import worker_count
from tests.conftest import another_stack, require, run
from tests.load import wrk_available

pytestmark = pytest.mark.container


@pytest.fixture
def many_core_stack(stack, tmp_path):
    override = tmp_path / "64-cores.yml"
    override.write_text("services:\n  web:\n    environment:\n      WEB_CONCURRENCY: '64'\n")
    with another_stack("greeter-cores", [override]) as many:
        yield many


def test_the_workers_a_64_core_host_asks_for_fit_the_memory_under_load(many_core_stack):
    if not wrk_available():
        require("wrk", "apt-get install wrk")
    container = many_core_stack.container_id()
    limits = run(["docker", "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}",
                  container]).stdout.split()  # fmt: skip
    assert limits == [str(256 * 2**20), "0"]  # compose's memory limit, and no CPU limit

    load = wrk(f"{many_core_stack.url}/", seconds=8, connections=64)
    memory = container_memory_mib(container)
    workers = worker_count(container)
    print(f"\n{workers} workers, {load['requests']} requests, {memory:.0f} MiB after load")

    assert load["requests"] > 0
    assert load["errors"] == 0, load["output"]  # every request answered, 2xx
    state = run(["docker", "inspect", "-f", "{{.State.OOMKilled}} {{.RestartCount}}", container])
    assert state.stdout.split() == ["false", "0"]
    logs = many_core_stack.compose("logs", "web").stdout
    assert "was sent SIGKILL" not in logs
    assert "WEB_CONCURRENCY=64 would start 64 workers" in logs
    assert workers == 5
